"""发票 and the order receipt on a 360×640 phone in WeChat (issue 17): the buyer asks for a 发票 on a paid
order (a mistyped tax number first), confirms, opens the receipt; the manager issues it with the PDF from
the list; the buyer sees 已开票 and downloads the PDF."""

import pytest
from playwright.sync_api import expect

from coop.models import Notification, Staff
from orders.models import InvoiceRequest
from orders.services import payments
from orders.services.orders import Item, place_order
from tests.browser.conftest import screenshot
from tests.browser.test_aftersale_journey import buyer_signs_in, manager_page
from tests.factories import ADDRESS, make_batch, make_cooperative, make_product, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLF")
    coop.address, coop.phone = "凉山州布拖县贺波洛乡尔吉村", "0834-8123456"
    coop.save()
    product = make_product(coop, name="高山绿壳鸡蛋 10枚装")
    make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    return dict(coop=coop, product=product, manager=make_staff(coop, Staff.MANAGER, "cadre"))


def test_ask_for_a_fapiao_open_the_receipt_and_download_the_issued_pdf(phone, browser, live_server, world, tmp_path):
    buyer = buyer_signs_in(phone)
    order, _ = place_order(buyer=buyer, items=[Item(world["product"], 2)], address=ADDRESS)
    payments.record_offline_payment(order, reference="微信转账 0417", user=world["manager"])

    phone.goto(phone.url_for(f"/shop/orders/{order.number}/"))
    phone.locator("#invoice").scroll_into_view_if_needed()
    screenshot(phone, "invoice-1-order")
    phone.get_by_role("link", name="申请开票").click()
    phone.get_by_role("radio", name="单位").check()
    phone.get_by_label("发票抬头（单位全称或个人姓名）").fill("佛山市禅城区紫南食品有限公司")
    phone.get_by_label("纳税人识别号（开给单位必填）").fill("91440300708461136X")  # last character mistyped
    phone.get_by_role("button", name="下一步").click()
    expect(phone.locator("#tax-number-error")).to_contain_text("有一位不对")
    screenshot(phone, "invoice-2-wrong-tax-number")
    assert not InvoiceRequest.objects.exists()
    phone.get_by_label("纳税人识别号（开给单位必填）").fill("91440300708461136T")
    phone.get_by_role("button", name="下一步").click()
    expect(phone.locator("#invoice-confirm")).to_contain_text("91440300708461136T")
    screenshot(phone, "invoice-3-confirm")
    phone.get_by_role("button", name="确认提交").click()
    expect(phone.locator("#invoice-status")).to_have_text("待开票")
    screenshot(phone, "invoice-4-requested")

    phone.get_by_role("link", name="查看订单凭证（收据）").click()
    expect(phone.locator("#receipt-net")).to_have_text("¥79.80")
    expect(phone.locator("#receipt")).to_contain_text("0834-8123456")
    screenshot(phone, "invoice-5-receipt")
    pdf = phone.request.get(phone.url_for(f"/shop/orders/{order.number}/receipt.pdf"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    manager = manager_page(browser, live_server, world["manager"])
    manager.goto(live_server.url + "/shop/manage/invoices/")
    screenshot(manager, "invoice-6-manager-list")
    manager.locator(".invoice-row").first.click()
    manager.get_by_label("发票号码（8 位或 20 位）").fill("26442000000123456789")
    invoice_file = tmp_path / "fapiao.pdf"
    invoice_file.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
    manager.set_input_files("#pdf", str(invoice_file))
    screenshot(manager, "invoice-7-manager-issue")
    manager.get_by_role("button", name="登记已开票").click()
    expect(manager.locator("#no-invoices")).to_be_visible()
    manager.context.close()

    phone.goto(phone.url_for(f"/shop/orders/{order.number}/"))
    expect(phone.locator("#invoice-status")).to_have_text("已开票")
    expect(phone.locator("#invoice-number")).to_have_text("26442000000123456789")
    phone.locator("#invoice").scroll_into_view_if_needed()
    screenshot(phone, "invoice-8-issued")
    got = phone.request.get(phone.url_for(f"/shop/orders/{order.number}/invoice.pdf"))
    assert got.status == 200 and got.body().startswith(b"%PDF-1.7")
    assert Notification.objects.filter(phone=buyer.phone, event="order.invoice_issued").exists()
