"""After-sale on a 360×640 phone in WeChat (issue 17): a buyer confirms receipt, asks for after-sale with a
photo, the manager decides a replacement and the buyer sees it; and a buyer scans the box, reports bad eggs,
the manager decides a refund and the buyer is told."""

import re

import pytest
from playwright.sync_api import expect

from coop.models import Notification, Staff
from orders.models import AfterSale, Order, Refund
from orders.services import payments
from orders.services.orders import Item, mark_shipped, pack_order, place_order
from tests.browser.conftest import screenshot
from tests.factories import ADDRESS, jpeg_with_gps, make_batch, make_cooperative, make_product, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def buyer_signs_in(phone, number="13800138000"):
    phone.goto(phone.url_for("/shop/login/?next=/shop/orders/"))
    phone.get_by_label("手机号").fill(number)
    phone.get_by_role("button", name="获取验证码").click()
    body = Notification.objects.filter(phone=number, event="buyer.login_code").latest("id").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    phone.get_by_role("button", name="登录", exact=True).click()
    phone.wait_for_url("**/shop/orders/")
    from orders.models import Buyer

    return Buyer.objects.get(phone=number)


def manager_page(browser, live_server, user):
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/(workbench/)?$"))  # staff land on their workbench
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation on destructive buttons
    return page


def shipped(buyer, product, manager, boxes=2):
    order, _ = place_order(buyer=buyer, items=[Item(product, boxes)], address=ADDRESS)
    payments.record_offline_payment(order, reference="微信转账 0417", user=manager)
    order.refresh_from_db()
    pack_order(order, user=manager)
    mark_shipped(order, courier_company="中国邮政", tracking_no="YZ9812", user=manager)
    return order


@pytest.fixture
def world(tmp_path):
    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLJ")
    product = make_product(coop, name="高山绿壳鸡蛋 10枚装")
    batch = make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    manager = make_staff(coop, Staff.MANAGER, "cadre")
    photo = tmp_path / "broken.jpg"
    photo.write_bytes(jpeg_with_gps((640, 480)))
    return dict(coop=coop, product=product, batch=batch, manager=manager, photo=photo)


def test_receipt_then_after_sale_then_a_replacement_the_buyer_sees(phone, browser, live_server, world):
    buyer = buyer_signs_in(phone)
    order = shipped(buyer, world["product"], world["manager"])
    phone.on("dialog", lambda dialog: dialog.accept())

    phone.goto(phone.url_for(f"/shop/orders/{order.number}/"))
    expect(phone.locator("#status")).to_have_text("已发货")
    screenshot(phone, "aftersale-1-shipped")
    phone.get_by_role("button", name="确认收货").click()
    expect(phone.locator("#status")).to_have_text("已完成")
    expect(phone.get_by_text("已确认收货")).to_be_visible()
    screenshot(phone, "aftersale-2-received")

    phone.get_by_role("link", name="申请售后").click()
    phone.get_by_label("运输破损").check()
    phone.get_by_label("数量").fill("1")
    phone.locator("select[name=unit]").select_option("boxes")
    phone.set_input_files("input[name=photos]", str(world["photo"]))
    phone.get_by_label("补充说明（可选）").fill("快递压坏了一盒")
    screenshot(phone, "aftersale-3-form")
    phone.get_by_role("button", name="提交售后申请").click()
    expect(phone.locator(".aftersale-status")).to_have_text("待合作社处理")
    screenshot(phone, "aftersale-4-requested")
    assert AfterSale.objects.get().photos.count() == 1

    cadre = manager_page(browser, live_server, world["manager"])
    cadre.goto(live_server.url + "/shop/manage/")
    expect(cadre.locator("#aftersales-waiting")).to_contain_text("1 个售后申请待处理")
    cadre.locator("#aftersales-waiting a").first.click()
    expect(cadre.locator("#aftersales")).to_contain_text("运输破损 1 盒")
    expect(cadre.locator("#aftersales img")).to_be_visible()
    # The buyer's photo is private (/files/aftersale-photos/…, checked for this cooperative) and really loads.
    cadre.wait_for_function("() => [...document.querySelectorAll('#aftersales img')].every(i => i.complete)")
    assert cadre.locator("#aftersales img").evaluate("img => img.naturalWidth") > 0
    assert "/files/aftersale-photos/" in cadre.locator("#aftersales img").get_attribute("src")
    screenshot(cadre, "aftersale-5-manager-decides")
    cadre.get_by_role("button", name="同意补发").click()
    expect(cadre.get_by_text("已完成。")).to_be_visible()
    expect(cadre.locator(".aftersale-status")).to_have_text("同意补发")
    screenshot(cadre, "aftersale-6-manager-replaced")

    row = AfterSale.objects.get()
    assert row.status == AfterSale.REPLACED and row.decided_by == world["manager"]
    assert row.replacement.status == Order.PAID and row.replacement.lines.get().boxes == 1
    phone.reload()
    expect(phone.locator(".aftersale-status")).to_have_text("同意补发")
    expect(phone.locator("#aftersales")).to_contain_text("补发 1 盒")
    phone.locator("#aftersales").scroll_into_view_if_needed()
    screenshot(phone, "aftersale-7-buyer-sees-replacement")
    assert "同意补发 1 盒" in Notification.objects.get(event="aftersale.replaced", phone=buyer.phone).body

    phone.get_by_role("button", name="再来一单").click()
    phone.wait_for_url("**/shop/cart/")
    expect(phone.get_by_text("已把这单的商品放入购物车，共 2 盒。")).to_be_visible()
    screenshot(phone, "aftersale-8-reorder")


def test_scan_report_as_the_buyer_then_a_refund_the_buyer_is_told(phone, browser, live_server, world):
    buyer = buyer_signs_in(phone, "13800138001")
    order = shipped(buyer, world["product"], world["manager"])
    code = world["batch"].trace.code
    phone.on("dialog", lambda dialog: dialog.accept())

    phone.goto(phone.url_for(f"/t/{code}"))
    screenshot(phone, "remedy-1-scan")
    phone.get_by_role("link", name="报告坏蛋").first.click()
    phone.wait_for_url(f"**/t/{code}/report/")
    expect(phone.locator("#linked-order")).to_contain_text(f"关联订单 {order.number}")
    phone.fill("input[name=eggs]", "3")
    phone.get_by_text("臭/坏").click()
    phone.set_input_files("input[name=photos]", str(world["photo"]))
    screenshot(phone, "remedy-2-report-form")
    phone.get_by_role("button", name="提交报告").click()
    phone.wait_for_url("**/report/BE*/")
    expect(phone.locator("#remedy-promise")).to_contain_text("退还这 3 枚坏蛋的钱 ¥11.97")
    screenshot(phone, "remedy-3-what-you-get")

    phone.get_by_role("link", name="申请售后（退款或补发）").click()
    expect(phone.locator("#from-report")).to_be_visible()
    expect(phone.get_by_label("坏蛋")).to_be_checked()
    expect(phone.get_by_label("数量")).to_have_value("3")
    phone.get_by_role("button", name="提交售后申请").click()
    expect(phone.locator(".aftersale-status")).to_have_text("待合作社处理")

    cadre = manager_page(browser, live_server, world["manager"])
    cadre.goto(live_server.url + f"/shop/manage/o/{order.number}/")
    expect(cadre.locator("#aftersales input[name=amount]")).to_have_value("11.97")
    cadre.get_by_role("button", name="同意退款").click()
    expect(cadre.locator(".aftersale-status")).to_have_text("同意退款")
    screenshot(cadre, "remedy-4-manager-refunded")
    refund = Refund.objects.get(order=order)
    assert refund.amount_fen == 1197 and refund.out_refund_no.startswith("AS")

    told = Notification.objects.get(event="aftersale.refunded", phone=buyer.phone)
    assert "同意退款 ¥11.97" in told.body
    report_ref = AfterSale.objects.get().report_reference
    phone.goto(phone.url_for(f"/report/{report_ref}/"))
    expect(phone.locator("#aftersale-status")).to_have_text("同意退款")
    expect(phone.locator("#remedy")).to_contain_text("¥11.97")
    screenshot(phone, "remedy-5-buyer-told")
    phone.goto(phone.url_for(f"/shop/orders/{order.number}/"))
    expect(phone.locator("#aftersales")).to_contain_text("¥11.97")
    screenshot(phone, "remedy-6-order-page")
