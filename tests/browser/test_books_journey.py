"""The books on a 360×640 phone: the inspector records a delivery at the collection point, the
manager packs a batch from it, settles the month and the household's payslip shows the delivery."""

import pytest
from playwright.sync_api import expect

from coop.models import Batch, Delivery, Settlement
from tests.browser.conftest import screenshot
from tests.factories import set_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, next_path):
    page.context.clear_cookies()
    page.goto(page.url_for(f"/admin/login/?next={next_path}"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def test_inspector_records_manager_packs_and_the_payslip_shows_the_delivery(phone, personas):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a

    sign_in(phone, personas.inspector_a, "/intake/")
    phone.fill("#id_farmer", f"{farmer.member_no} {farmer.head_name}")
    phone.fill("#id_eggs_brought", "34")
    phone.fill("#id_accepted_l", "25")
    phone.fill("#id_accepted_m", "5")
    phone.fill("#id_rejected_cracked", "3")
    expect(phone.locator("#tally")).to_contain_text("33 / 34")  # the running total shows the miscount
    screenshot(phone, "books-intake-mismatch")
    phone.fill("#id_rejected_rotten", "1")
    expect(phone.locator("#tally")).to_contain_text("34 / 34")
    screenshot(phone, "books-intake-filled")
    # (A full-page screenshot leaves the page mid-relayout, so a mouse click right after it can land
    # beside the button; the inspector's thumb does the same as Enter on the focused button.)
    save = phone.get_by_role("button", name="保存并出回执")
    save.focus()
    save.press("Enter")
    expect(phone.locator("#receipt")).to_contain_text("收蛋回执", timeout=20000)
    expect(phone.locator("#receipt")).to_contain_text("¥43.50")  # 25 × 1.50 + 5 × 1.20, rejects unpaid
    screenshot(phone, "books-receipt")
    delivery = Delivery.objects.get()
    assert delivery.inspector == personas.inspector_a and delivery.rejected == 4

    sign_in(phone, personas.manager_a, "/books/pack/")
    expect(phone.locator(".stock")).to_contain_text("25 枚")
    phone.select_option("#id_weight_class", "L")
    phone.fill("#id_pack_size", "10")
    phone.fill("#id_boxes", "2")
    phone.get_by_role("button", name="包装").click()
    expect(phone.locator(".messages")).to_contain_text("已包装批次")
    screenshot(phone, "books-packed")
    batch = Batch.objects.get()
    assert batch.contributions.get().delivery == delivery and batch.eggs == 20

    phone.goto(phone.url_for("/books/settle/"))
    phone.get_by_role("button", name="结算所有农户").click()
    expect(phone.locator("#run")).to_contain_text("已完成", timeout=15000)
    screenshot(phone, "books-settlement-run")
    phone.get_by_role("link", name="查看结算单").click()
    phone.get_by_role("link", name=f"{farmer.member_no} {farmer.head_name}").click()
    expect(phone.locator("#payslip")).to_contain_text("合格 30 枚，不合格 4 枚")
    expect(phone.locator("#payslip .total")).to_contain_text("¥43.50")
    screenshot(phone, "books-payslip")
    assert Settlement.objects.get().net == delivery.amount_due
