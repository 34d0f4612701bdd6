"""Product photos on a 360×640 phone: the manager uploads a photo from the phone, the buyer sees it on the
shop list and the product page at its set size (no layout shift), and a phone that saves data gets none."""

import io

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import expect

from orders.models import ProductPhoto
from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_books_journey import sign_in
from tests.factories import jpeg_with_gps, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _camera_jpeg():
    noise = Image.effect_noise((1600, 1200), 30).filter(ImageFilter.GaussianBlur(3))
    img = Image.merge("RGB", (noise.point(lambda v: v // 3 + 40), noise.point(lambda v: v // 2 + 90),
                              noise.point(lambda v: v // 3 + 60)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def test_manager_uploads_and_the_buyer_sees_light_pages(phone, browser, live_server, shop, personas):
    make_product(shop.coop, name="高山绿壳鸡蛋 30枚装", pack_size=30, price="109.00")

    sign_in(phone, personas.manager_a, "/shop/manage/")
    phone.get_by_role("link", name="绿壳鸡蛋 10枚装").click()
    phone.set_input_files("#photo", files=[{"name": "eggs.jpg", "mimeType": "image/jpeg", "buffer": _camera_jpeg()}])
    phone.get_by_role("button", name="上传").click()
    expect(phone.get_by_text("照片已上传，商城里已经能看到。")).to_be_visible()
    phone.set_input_files("#photo", files=[{"name": "gps.jpg", "mimeType": "image/jpeg",
                                            "buffer": jpeg_with_gps(size=(900, 900))}])
    phone.get_by_role("button", name="上传").click()
    expect(phone.locator("#photos img")).to_have_count(2)
    screenshot(phone, "product-photos-manager")
    assert ProductPhoto.objects.filter(product=shop.product).count() == 2

    buyer = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN",
                                user_agent="Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0").new_page()
    buyer.goto(live_server.url + "/shop/")
    thumb = buyer.locator(".products img").first
    expect(thumb).to_be_visible()
    # Loaded, and the 2× phone chose the 320-px thumbnail for its 96-px box, never the 1600-px photo.
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    assert thumb.evaluate("img => img.currentSrc").endswith("-320.jpg")
    screenshot(buyer, "product-photos-list")

    buyer.goto(live_server.url + f"/shop/p/{shop.product.pk}/")
    main = buyer.locator(".photo img").first
    expect(main).to_be_visible()
    box = main.bounding_box()
    # The box has the photo's shape before and after it loads (width/height set): 4:3 at ≈ 328 CSS px.
    assert 300 <= box["width"] <= 360 and abs(box["height"] / box["width"] - 0.75) < 0.01
    assert buyer.locator(".photo img").nth(1).get_attribute("loading") == "lazy"
    expect(buyer.get_by_text("共 2 张照片，左右滑动看")).to_be_visible()
    screenshot(buyer, "product-photos-product")
    buyer.context.close()

    saver = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN",
                                extra_http_headers={"Save-Data": "on"}).new_page()
    saver.goto(live_server.url + f"/shop/p/{shop.product.pk}/")
    expect(saver.get_by_text("手机已开省流量，不显示图片")).to_be_visible()
    assert saver.locator("img").count() == 0
    saver.goto(live_server.url + "/shop/")
    assert saver.locator("img").count() == 0
    expect(saver.get_by_text("绿壳鸡蛋 10枚装")).to_be_visible()
    screenshot(saver, "product-photos-save-data")
    saver.context.close()
