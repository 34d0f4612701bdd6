"""A customer scans the QR code on a box with a 360×640 phone, reads the batch's story in Chinese,
then switches to English."""

import io

import pytest
import zxingcpp
from PIL import Image

from quality.services.labels import label_png
from tests.browser.conftest import screenshot
from tests.factories import make_batch, make_cooperative, make_delivery, make_farmer, make_village


@pytest.mark.django_db(transaction=True)
def test_a_customer_opens_a_decoded_label_url_and_switches_to_english(phone, live_server, settings):
    settings.SITE_URL = live_server.url
    coop = make_cooperative(name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋", producer_code="HBLX",
                            phone="0834-1234567")
    village = make_village(coop, name="桌古村", altitude_m=2480)
    farmer = make_farmer(coop, village)
    batch = make_batch(coop, deliveries=[make_delivery(farmer, accepted={"L": 40}, rejected={"cracked": 3})],
                       boxes=4, code="HBLX-20261127-01")
    # The URL comes from the printed label, read by a real decoder — not built by the test.
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(label_png(batch, batch.trace))))]
    assert len(decoded) == 1

    phone.goto(decoded[0])
    body = phone.locator("body")
    assert "HBLX-20261127-01" in body.inner_text()
    assert "桌古村" in body.inner_text() and "海拔 2480 米" in body.inner_text()
    bb = batch.best_before
    assert f"{bb.year}年{bb.month}月{bb.day}日" in body.inner_text()
    assert phone.get_by_role("link", name="报告坏蛋").is_visible()
    screenshot(phone, "trace-scan-zh")

    phone.get_by_role("link", name="English").click()
    phone.wait_for_load_state()
    text = phone.locator("body").inner_text()
    assert "Best before" in text and "HBLX-20261127-01" in text and "Report a bad egg" in text
    assert bb.strftime("%b") in text
    screenshot(phone, "trace-scan-en")


@pytest.mark.django_db(transaction=True)
def test_a_recalled_batch_shows_the_red_notice_on_a_phone(phone, live_server):
    from quality.services.recall import recall_batch

    batch = make_batch(make_cooperative(), code="HBLY-20261127-02")
    recall_batch(batch, reason="检出蛋壳污染")
    phone.goto(phone.url_for(f"/t/{batch.trace.code}"))
    alert = phone.get_by_role("alert")
    assert "此批次已召回" in alert.inner_text() and "检出蛋壳污染" in alert.inner_text()
    screenshot(phone, "trace-scan-recalled")


@pytest.mark.django_db(transaction=True)
def test_an_unknown_code_offers_a_lookup_box(phone):
    phone.goto(phone.url_for("/t/ABCDEFGHJK"))
    assert "找不到这个溯源码" in phone.locator("h1").inner_text()
    phone.fill("#code", "abcdefghjk")
    screenshot(phone, "trace-unknown")
