"""The complaint's journey in a real browser, on a 360×640 phone:

scan page → report 2 rotten eggs with a photo → manager confirms → the household's penalty is
notified → appeal filed (by the manager for the household) → the committee waives → the ledger is
unchanged; and the same with the appeal upheld → the fine appears once in the next settlement.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coop.models import LedgerEntry, Notification, Settlement, Staff
from coop.services.ledger import balance, post_entry
from quality.models import Appeal, BadEggReport, Penalty
from tests.browser.conftest import screenshot
from tests.factories import (
    confirm,
    jpeg_with_gps,
    make_batch,
    make_charter,
    make_cooperative,
    make_delivery,
    make_farmer,
    make_staff,
    make_village,
    report_on,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    coop = make_cooperative(name="贺波洛乡合作社", producer_code="HBLJ")
    village = make_village(coop, name="尔吉村")
    farmer = make_farmer(coop, village, head_name="吉克拉哈")
    make_charter(coop)
    batch = make_batch(coop, deliveries=[make_delivery(farmer, accepted={"L": 30})], pack_size=10, boxes=3)
    post_entry(farmer=farmer, kind=LedgerEntry.DELIVERY, amount=Decimal("45.00"), reason="交蛋 30 枚")
    manager = make_staff(coop, Staff.MANAGER, "mgr")
    committee = make_staff(coop, Staff.COMMITTEE, "cttee")
    # An earlier confirmed offence (a warning), so this report is the household's second: a fine.
    confirm(report_on(batch, eggs=1, defect="dirty"), manager)
    photo = tmp_path / "rotten.jpg"
    photo.write_bytes(jpeg_with_gps((320, 240)))
    return dict(coop=coop, village=village, farmer=farmer, batch=batch, manager=manager, committee=committee,
                photo=photo)


def sign_in(browser, live_server, user, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1100, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/workbench/")  # staff land on their workbench
    return page


def customer_reports(phone, world, variant):
    batch = world["batch"]
    code = getattr(getattr(batch, "trace", None), "code", None) or batch.code
    phone.goto(phone.url_for(f"/t/{code}"))
    report_link = phone.get_by_role("link", name="报告坏蛋")
    if report_link.count():
        report_link.first.click()
    else:  # the scan page is not in this tree: start from the report form itself
        phone.goto(phone.url_for(f"/t/{code}/report/"))
    phone.wait_for_url(f"**/t/{code}/report/")
    phone.fill("input[name=eggs]", "2")
    phone.get_by_text("臭/坏").click()
    phone.set_input_files("input[name=photos]", str(world["photo"]))
    phone.fill("textarea[name=note]", "打开盒子就闻到臭味")
    screenshot(phone, f"charter-{variant}-1-report-form")
    phone.get_by_role("button", name="提交报告").click()
    expect(phone.locator("#status")).to_have_text("已受理")
    reference = phone.locator("#reference").inner_text().strip()
    screenshot(phone, f"charter-{variant}-2-reference")
    return BadEggReport.objects.get(reference=reference)


def manager_confirms(browser, live_server, world, report, variant):
    page = sign_in(browser, live_server, world["manager"])
    page.goto(live_server.url + f"/admin/quality/badeggreport/{report.pk}/change/")
    expect(page.locator("img.gs-photo")).to_have_count(1)
    page.click("#confirm-report")
    expect(page.locator("#proposed")).to_contain_text("第二次的，每枚坏蛋罚款。")
    expect(page.locator("#proposed")).to_contain_text("罚款 ¥4.00")
    assert not Penalty.objects.filter(report=report).exists()  # the preview decided nothing
    page.fill("#reason", "照片清楚，批次只有这一户")
    screenshot(page, f"charter-{variant}-3-confirm-preview")
    page.click("#do-confirm")
    expect(page.locator(".messagelist")).to_contain_text("处罚已告知")
    penalty = Penalty.objects.get(report=report)
    assert penalty.status == Penalty.NOTIFIED and penalty.amount == Decimal("4.00")
    note = Notification.objects.get(dedupe_key=f"penalty:{penalty.pk}:notified")
    assert report.reference in note.body and "¥4.00" in note.body

    page.goto(live_server.url + f"/admin/quality/penalty/{penalty.pk}/change/")
    page.click("#file-appeal")
    page.fill("#text", "户主说那天的蛋都照过，是运输时坏的")
    page.click("#submit-appeal")
    expect(page.locator(".messagelist")).to_contain_text("已代农户提交申诉")
    screenshot(page, f"charter-{variant}-4-appeal-filed")
    page.context.close()
    return Penalty.objects.get(pk=penalty.pk)


def committee_decides(browser, live_server, world, penalty, decision, variant):
    page = sign_in(browser, live_server, world["committee"])
    page.goto(live_server.url + f"/admin/quality/appeal/{penalty.appeal.pk}/change/")
    expect(page.locator("#hearing")).to_contain_text("运输时坏的")
    expect(page.locator("#hearing img.gs-photo")).to_have_count(1)
    page.check(f"input[name=decision][value={decision}]")
    page.fill("input[name=members_present]", "吉克阿牛、阿苏日古、沙马阿依")
    page.fill("textarea[name=reason]", "议事会听取双方陈述后表决")
    screenshot(page, f"charter-{variant}-5-hearing")
    page.click("#record-decision")
    expect(page.locator(".messagelist")).to_contain_text("裁决已记录")
    page.context.close()


def test_appeal_waived_leaves_the_ledger_unchanged(phone, browser, live_server, world):
    before = balance(world["farmer"])
    report = customer_reports(phone, world, "waived")
    penalty = manager_confirms(browser, live_server, world, report, "waived")
    assert penalty.status == Penalty.APPEALED
    committee_decides(browser, live_server, world, penalty, "waived", "waived")
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.WAIVED
    assert Appeal.objects.get().decision == Appeal.WAIVED
    assert balance(world["farmer"]) == before == Decimal("45.00")
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.FINE).exists()
    phone.goto(phone.url_for(f"/report/{report.reference}/"))
    expect(phone.locator("#status")).to_have_text("已确认")
    screenshot(phone, "charter-waived-6-status")


def test_appeal_upheld_puts_the_fine_once_in_the_next_settlement(phone, browser, live_server, world):
    report = customer_reports(phone, world, "upheld")
    penalty = manager_confirms(browser, live_server, world, report, "upheld")
    committee_decides(browser, live_server, world, penalty, "upheld", "upheld")
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.APPLIED
    from quality.services.penalties import apply_due_penalties

    apply_due_penalties()  # the periodic sweep must not post it again
    fines = LedgerEntry.objects.filter(farmer=world["farmer"], kind=LedgerEntry.FINE)
    assert [f.amount for f in fines] == [Decimal("-4.00")]

    settlements = pytest.importorskip("coop.services.settlements", reason="settlements are not in this tree")
    today = timezone.localdate()
    settlements.settle_period(period_start=today.replace(day=1), period_end=today + datetime.timedelta(days=1),
                              cooperative_ids=[world["coop"].pk])
    slip = Settlement.objects.get(farmer=world["farmer"])
    assert slip.fines == Decimal("-4.00") and slip.net == Decimal("41.00")
    assert list(slip.lines.filter(kind=LedgerEntry.FINE).values_list("amount", flat=True)) == [Decimal("-4.00")]
    page = sign_in(browser, live_server, world["manager"])
    page.goto(live_server.url + f"/books/payslip/{slip.pk}/")
    expect(page.locator("body")).to_contain_text("41.00")
    assert page.locator("body").inner_text().count(report.reference) == 1  # the fine's line, once
    screenshot(page, "charter-upheld-6-payslip")
    page.context.close()


def test_report_form_and_notice_board_fit_a_phone_in_both_languages(phone, world):
    batch = world["batch"]
    phone.goto(phone.url_for(f"/t/{batch.code}/report/"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone.get_by_role("button", name="English").click()
    expect(phone.get_by_role("button", name="Send report")).to_be_visible()
    expect(phone.get_by_text("Rotten")).to_be_visible()
    screenshot(phone, "charter-report-form-en")
    phone.get_by_role("button", name="中文").click()
    # Without JavaScript the form still posts and the server answers with the errors in place.
    phone.fill("input[name=eggs]", "0")
    phone.get_by_role("button", name="提交报告").click()
    expect(phone.locator(".errorlist").first).to_be_visible()
    assert not BadEggReport.objects.filter(eggs=0).exists()
    # A third offence (doubled fine, public notice), applied; and a hygiene award winner next door.
    confirm(report_on(batch, eggs=1), world["manager"])
    (third,) = confirm(report_on(batch, eggs=2), world["manager"])
    Penalty.objects.filter(pk=third.pk).update(appeal_deadline=timezone.now() - datetime.timedelta(seconds=1))
    from quality.services.penalties import apply_due_penalties

    apply_due_penalties()
    from coop import models as coop_models

    if hasattr(coop_models, "HygieneScore"):
        neighbour = make_farmer(world["coop"], world["village"], head_name="沙马阿依")
        inspection = coop_models.HygieneInspection.objects.create(
            cooperative=world["coop"], village=world["village"], inspected_on=timezone.localdate())
        coop_models.HygieneScore.objects.create(inspection=inspection, farmer=neighbour, score=97, award="50.00")
    phone.goto(phone.url_for(f"/notice/{world['village'].pk}"))
    expect(phone.locator("#sanctions")).to_contain_text("吉克**")
    expect(phone.locator("#sanctions")).not_to_contain_text("吉克拉哈")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "charter-notice-board")
