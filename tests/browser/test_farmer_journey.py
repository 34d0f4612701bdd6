"""A household on a 360×640 phone: scans its member card, signs in, sees a fine, appeals."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from coop.models import LedgerEntry
from coop.services.ledger import post_entry
from quality.models import Appeal, Penalty
from tests.browser.conftest import screenshot
from tests.factories import give_pin, make_delivery, make_farmer
from tests.quality.test_farmer_penalties import a_fine, fining_charter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_household_signs_in_sees_its_fine_and_appeals(phone, personas, live_server, settings):
    settings.SITE_URL = live_server.url
    farmer = personas.farmer_a
    for accepted, rejected in (({"L": 26, "M": 4}, {"cracked": 2}), ({"L": 18}, {})):
        d = make_delivery(farmer, accepted=accepted, rejected=rejected)
        post_entry(farmer=farmer, kind=LedgerEntry.DELIVERY, amount=d.amount_due, reason="交蛋", source=d,
                   dedupe_key=f"delivery:{d.pk}")
    make_delivery(make_farmer(personas.coop_a, personas.village_a), accepted={"L": 99})  # a neighbour's
    fining_charter(personas.coop_a)
    penalty = a_fine(farmer, personas.manager_a, eggs=3)
    give_pin(farmer, personas.manager_a, pin="135790")

    # The QR code on the member card opens the sign-in with the number filled in.
    phone.goto(phone.url_for(f"/farmer/login/?phone={farmer.phone}"))
    expect(phone.locator("#id_phone")).to_have_value(farmer.phone)
    phone.fill("#id_pin", "000000")
    phone.get_by_role("button", name="登录").click()
    expect(phone.get_by_role("alert")).to_contain_text("手机号或密码不对")
    screenshot(phone, "farmer-sign-in-wrong-pin")
    phone.fill("#id_pin", "135790")
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/farmer/")
    expect(phone.get_by_text("吉克拉哈，您好")).to_be_visible()
    expect(phone.locator(".bigcard.amber .num")).to_have_text("¥72.00")  # 30×1.50 + 18×1.50, not yet settled
    screenshot(phone, "farmer-home")

    phone.get_by_role("link", name="交蛋").first.click()
    expect(phone.locator(".item")).to_have_count(3)  # two above + the one packed into the reported batch
    screenshot(phone, "farmer-deliveries")

    phone.locator(".fnav").get_by_role("link", name="处罚").click()
    expect(phone.locator(".item.warn .amount")).to_have_text("¥6.00")
    expect(phone.get_by_text("还能申诉 7 天")).to_be_visible()
    screenshot(phone, "farmer-penalties")
    phone.locator(".item.warn").click()
    expect(phone.get_by_text("交臭蛋的，每枚罚款2元。")).to_be_visible()
    expect(phone.locator("figure.photo img")).to_be_visible()
    # The report's photo is private (/files/report-photos/…, checked for this household) and really loads.
    phone.wait_for_function("() => [...document.querySelectorAll('figure.photo img')].every(i => i.complete)")
    assert phone.locator("figure.photo img").evaluate("img => img.naturalWidth") > 0
    assert "/files/report-photos/" in phone.locator("figure.photo img").get_attribute("src")
    screenshot(phone, "farmer-penalty")
    phone.fill("#grounds", "那天的蛋是路上碰坏的，不是臭蛋。")
    phone.get_by_role("button", name="提交申诉").click()
    expect(phone.get_by_text("申诉已提交")).to_be_visible()
    expect(phone.get_by_text("待议事会审理")).to_be_visible()
    screenshot(phone, "farmer-appealed")

    assert Appeal.objects.get(penalty=penalty).grounds == "那天的蛋是路上碰坏的，不是臭蛋。"
    assert Penalty.objects.get(pk=penalty.pk).status == Penalty.APPEALED
    assert not LedgerEntry.objects.filter(farmer=farmer, kind=LedgerEntry.FINE).exists()
    assert Decimal(penalty.amount) == Decimal("6.00")

    phone.locator(".fnav").get_by_role("link", name="钱").click()
    screenshot(phone, "farmer-money")
    phone.locator(".fnav").get_by_role("link", name="消息").click()
    expect(phone.get_by_text("申诉已收到", exact=True)).to_be_visible()
    screenshot(phone, "farmer-notifications")
    phone.goto(phone.url_for("/farmer/card/"))
    screenshot(phone, "farmer-card")
    # The card's QR code, as a phone camera sees it, opens the sign-in with the number filled in.
    import io

    import zxingcpp
    from PIL import Image

    shot = Image.open(io.BytesIO(phone.locator(".mc-qr svg").screenshot()))
    codes = zxingcpp.read_barcodes(shot)
    assert [c.text for c in codes] == [f"{live_server.url}/farmer/login/?phone={farmer.phone}"]
