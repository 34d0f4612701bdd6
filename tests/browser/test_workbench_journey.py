"""The staff's workbench in a real browser, at 360×640 (a phone) and 1280×800 (a laptop).

The manager, the inspector and the committee member each sign in and land on their own jobs (screenshots in
bench/out/screens/workbench-*). The manager then does the four daily jobs from the workbench — pack, print
labels, confirm a complaint, settle a month to paid — and the test counts every click it makes from the
workbench until the job's outcome is on the screen: at most 3 for each (typing a value is not a tap).

Before the workbench (issue 16): pack 3 taps + 2 inputs, labels 4 taps + typing a code, confirm a complaint 5,
settle to paid about 11 across two interfaces.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coop.models import LedgerEntry, Settlement, Staff
from quality.models import LabelSheet, Penalty
from quality.services.appeals import file_appeal
from tests.browser.conftest import screenshot
from tests.factories import (
    confirm,
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

VIEWPORTS = {"phone": {"width": 360, "height": 640}, "laptop": {"width": 1280, "height": 800}}
MOST_TAPS = 3


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    coop = make_cooperative(name="贺波洛乡合作社", producer_code="HBLW")
    village = make_village(coop, name="尔吉村")
    farmer = make_farmer(coop, village, head_name="吉克拉哈")
    other = make_farmer(coop, village, head_name="沙马阿牛")
    make_charter(coop)
    batch = make_batch(coop, deliveries=[make_delivery(farmer, accepted={"L": 30})], pack_size=10, boxes=3)
    make_delivery(other, accepted={"L": 40})  # today's eggs, waiting to be packed
    manager = make_staff(coop, Staff.MANAGER, "wb-manager")
    inspector = make_staff(coop, Staff.INSPECTOR, "wb-inspector")
    committee = make_staff(coop, Staff.COMMITTEE, "wb-committee")
    report = report_on(batch, eggs=2)
    appealed = confirm(report_on(batch, eggs=1, defect="dirty"), manager)[0]
    file_appeal(appealed, user=manager, grounds="那天的蛋不是我家的", on_behalf=True)
    last_month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    LedgerEntry.objects.create(cooperative=coop, farmer=farmer, kind=LedgerEntry.DELIVERY, amount=Decimal("48.00"),
                               reason="交蛋 32 枚", occurred_on=last_month_end)
    # Another cooperative's jobs, which nobody of this one may see.
    coop_b = make_cooperative(name="竹核乡合作社", producer_code="ZHXW")
    make_delivery(make_farmer(coop_b, head_name="阿苏木呷"), accepted={"XL": 500})
    return dict(coop=coop, batch=batch, report=report, manager=manager, inspector=inspector, committee=committee,
                appealed=appealed)


def sign_in(browser, live_server, user, viewport):
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], device_scale_factor=1, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/workbench/")  # sign-in lands on the workbench
    return page


class Taps:
    """Clicks made since the workbench, for one job."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def __call__(self, selector):
        self.n += 1
        self.page.locator(selector).first.click()


def home(page, live_server):
    page.goto(live_server.url + "/admin/workbench/")
    return Taps(page)


def fits(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
def test_each_role_lands_on_its_own_jobs(browser, live_server, world, viewport):
    page = sign_in(browser, live_server, world["inspector"], viewport)
    expect(page.locator("#job-intake")).to_be_visible()
    expect(page.locator("#count-intake-today .n")).to_have_text("2")  # this cooperative's two deliveries
    expect(page.locator("#count-quality-reports .n")).to_have_text("1")
    assert page.locator("#job-settlements, #job-packing, #job-orders").count() == 0
    fits(page, viewport)
    screenshot(page, f"workbench-inspector-{viewport}")
    page.context.close()

    page = sign_in(browser, live_server, world["committee"], viewport)
    expect(page.locator("#count-quality-appeals .n")).to_have_text("1")
    expect(page.locator(f"#hear-{world['appealed'].appeal.pk}")).to_contain_text("吉克拉哈")
    assert page.locator("#job-intake, #job-settlements").count() == 0
    fits(page, viewport)
    screenshot(page, f"workbench-committee-{viewport}")
    page.click("#to-workbench")  # the header link, from the workbench itself
    page.click("#all-tables")  # the 40 tables, one tap away, grouped by job
    expect(page.locator("#content-main caption").first).to_contain_text("收蛋")
    page.context.close()

    page = sign_in(browser, live_server, world["manager"], viewport)
    for section in ("intake", "packing", "labels", "orders", "quality", "settlements"):
        expect(page.locator(f"#job-{section}")).to_be_visible()
    expect(page.locator("#count-packing-eggs .n")).to_have_text("40")
    assert "阿苏木呷" not in page.content()
    fits(page, viewport)
    screenshot(page, f"workbench-manager-{viewport}")
    page.context.close()


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
def test_the_daily_jobs_take_at_most_three_taps_from_the_workbench(browser, live_server, world, viewport):
    page = sign_in(browser, live_server, world["manager"], viewport)
    taps = {}

    # Pack: the grade's button opens the form filled in (4 boxes of 10 from the 40 L waiting); one tap packs.
    tap = home(page, live_server)
    tap("#pack-L")
    expect(page.locator("input[name=boxes]")).to_have_value("4")
    tap("#pack-form button[type=submit]")
    expect(page.locator("#packed-next")).to_contain_text("打印标签")
    taps["pack"] = tap.n
    screenshot(page, f"workbench-job-pack-{viewport}")

    # Print labels for a batch that has none: its button opens the label form; one tap makes the file.
    tap = home(page, live_server)
    tap(f"#print-{world['batch'].pk}")
    tap("#content form button.default")
    expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()
    assert LabelSheet.objects.filter(batch=world["batch"], status=LabelSheet.DONE).count() == 1
    taps["labels"] = tap.n
    screenshot(page, f"workbench-job-labels-{viewport}")

    # Confirm a complaint: the report's 确认 opens the proposed penalties; one tap decides.
    tap = home(page, live_server)
    tap(f"#confirm-{world['report'].pk}")
    tap("#do-confirm")
    expect(page.locator(".messagelist")).to_contain_text("处罚已告知")
    assert Penalty.objects.filter(report=world["report"]).count() == 1
    taps["complaint"] = tap.n
    screenshot(page, f"workbench-job-complaint-{viewport}")

    # Settle last month to paid: settle, then 审批并登记付款 on the finished run, then the payment's reference.
    tap = home(page, live_server)
    tap("#settle-month")
    expect(page.locator("#approve-and-pay")).to_be_visible()
    tap("#approve-and-pay button")
    expect(page.locator("#ask-summary")).to_contain_text("¥48.00")
    page.fill("input[name=value]", "WX-20261201-01")
    tap("#ask-form input[type=submit]")
    page.wait_for_url("**/admin/workbench/")  # paid: back on the workbench, which says so
    expect(page.locator(".messagelist")).to_contain_text("已付款 1 张结算单")
    assert Settlement.objects.get(cooperative=world["coop"]).status == Settlement.PAID
    taps["settle to paid"] = tap.n
    screenshot(page, f"workbench-job-settle-{viewport}")

    print(f"\ntaps from the workbench ({viewport}):", taps)
    assert taps == {"pack": 2, "labels": 2, "complaint": 2, "settle to paid": 3}
    assert max(taps.values()) <= MOST_TAPS

    # Every job done: the workbench says so (the batch just packed is the one left to label).
    home(page, live_server)
    expect(page.locator("#count-labels-unlabelled .n")).to_have_text("1")
    for count in ("#count-settlements-to_run", "#count-settlements-to_approve", "#count-settlements-to_pay"):
        expect(page.locator(f"{count} .n")).to_have_text("0")
    expect(page.locator("#count-quality-reports .n")).to_have_text("0")
    page.context.close()
