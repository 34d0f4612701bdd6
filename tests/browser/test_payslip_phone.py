"""A household reads its payslip on a 360×640 phone: the money at the top, above the fold, then the eggs
and the deductions in plain words; the payslip PDF rendered to PNG has the money at the top too."""

import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from coop.models import Settlement
from coop.services.intake import confirm_delivery
from coop.services.payslips import render_pdf
from coop.services.settlements import month_bounds, settle_period
from tests.browser.conftest import SCREENS, screenshot
from tests.factories import deliver, give_pin, set_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_payslip_shows_the_money_first_above_the_fold(phone, personas):
    from django.utils import timezone

    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    big = deliver(farmer, accepted={"L": 100000 // 2, "M": 100000 // 2}, rejected={"cracked": 12})
    if big.flagged:  # so many eggs are held for a manager to check first
        confirm_delivery(big, user=personas.manager_a, reason="核实过，是全村一起交的")
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get(farmer=farmer)
    give_pin(farmer, personas.manager_a, pin="135790")

    phone.goto(phone.url_for(f"/farmer/login/?phone={farmer.phone}"))
    phone.fill("#id_pin", "135790")
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/farmer/")
    phone.goto(phone.url_for(f"/farmer/payslips/{s.pk}/"))
    outcome = phone.locator("#outcome")
    expect(outcome).to_contain_text("将付给您")
    expect(outcome.locator(".num")).to_have_text(f"¥{s.paid_out:,}")
    top, eggs = outcome.bounding_box(), phone.locator("#eggs").bounding_box()
    assert top["y"] + top["height"] <= 640 and top["y"] < eggs["y"]  # first, and visible without scrolling
    expect(phone.locator("#eggs")).to_contain_text("共 100012 枚")  # a 100,000-egg line, whole
    # Nothing wider than the phone (a cut line or a page that scrolls sideways).
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "farmer-payslip")

    if shutil.which("pdftoppm"):
        pdf = SCREENS / "payslip.pdf"
        pdf.write_bytes(render_pdf(s))
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(SCREENS / "payslip-pdf")],
                       check=True)
