"""发票 requests (issue 17, after-sale): the buyer asks with saved details, the manager issues or returns it,
the buyer is told and downloads the PDF. Bad details get a Chinese message and write nothing; another buyer
and another cooperative's manager get 404."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coop.models import AuditEvent, Notification
from orders.models import Buyer, InvoiceError, InvoiceRequest, Refund
from orders.services import invoices, payments
from orders.services.orders import Item, place_order
from orders.services.programmes import counted_amounts
from quality.services.workbench import workbench
from tests.factories import ADDRESS, make_batch, make_user, pay, place

pytestmark = pytest.mark.django_db

GOOD_CODE = "91440300708461136T"  # a real licence's unified social credit code


def paid_order(shop, manager, boxes=2, buyer=None):
    order, _ = place_order(buyer=buyer or shop.buyer, items=[Item(shop.product, boxes)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=manager)
    order.refresh_from_db()
    return order


def page(resp):
    return resp.content.decode()


def pdf_upload(name="invoice.pdf", body=b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def order(shop, personas):
    return paid_order(shop, personas.manager_a)


@pytest.fixture
def buyer(client_for, personas):
    return client_for(personas.buyer)


def ask(client, order, **fields):
    data = {"kind": "company", "title": "佛山市禅城区紫南食品有限公司", "tax_number": GOOD_CODE,
            "email": "caiwu@example.com", "save_details": "1", **fields}
    return client.post(f"/shop/orders/{order.number}/invoice/", data)


def test_it_asks_shows_the_details_to_confirm_then_sends_one_request(order, buyer, shop, personas):
    shown = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert 'id="ask-invoice"' in shown and 'id="receipt-link"' in shown
    check = ask(buyer, order, step="check", tax_number="９１４４０３００７０８４６１１３６ｔ")  # typed full-width
    assert check.status_code == 200 and 'id="invoice-confirm"' in page(check)
    assert GOOD_CODE in page(check) and "¥79.80" in page(check)
    assert not InvoiceRequest.objects.exists()  # the confirm step writes nothing
    sent = ask(buyer, order, step="confirm")
    assert sent.status_code == 302
    row = InvoiceRequest.objects.get()
    assert (row.kind, row.title, row.tax_number, row.email, row.amount, row.status) == (
        "company", "佛山市禅城区紫南食品有限公司", GOOD_CODE, "caiwu@example.com", Decimal("79.80"), "requested")
    shop.buyer.refresh_from_db()  # saved for next time
    assert (shop.buyer.invoice_kind, shop.buyer.invoice_title, shop.buyer.tax_number) == (
        "company", "佛山市禅城区紫南食品有限公司", GOOD_CODE)
    note = Notification.objects.get(event="order.invoice_requested")
    assert note.phone == shop.buyer.phone and order.number in note.body and "开票申请" in note.body
    assert AuditEvent.objects.filter(action="invoice.requested").count() == 1
    after = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert "待开票" in after and 'id="ask-invoice"' not in after
    # The second order's form starts with what was saved.
    second = paid_order(shop, personas.manager_a, boxes=1)
    form = page(buyer.get(f"/shop/orders/{second.number}/invoice/"))
    assert f'value="{GOOD_CODE}"' in form and 'value="caiwu@example.com"' in form


@pytest.mark.parametrize("fields, message", [
    ({"tax_number": "91440300708461136X"}, "统一社会信用代码（18 位）有一位不对"),
    ({"tax_number": "1234"}, "纳税人识别号应为 15、18 或 20 位"),
    ({"tax_number": "91440300-7084-611*6T"}, "纳税人识别号应为 15、18 或 20 位"),
    ({"tax_number": ""}, "开给单位的发票要填纳税人识别号"),
    ({"title": "  "}, "请填写发票抬头"),
    ({"title": "长" * 101}, "发票抬头最多 100 个字"),
    ({"kind": "friend"}, "请选择开给个人还是单位"),
    ({"email": "not-an-email"}, "邮箱格式不对"),
])
def test_bad_details_get_a_chinese_message_and_write_nothing(order, buyer, shop, fields, message):
    before = Buyer.objects.values().get(pk=shop.buyer.pk)
    for step in ("check", "confirm"):
        resp = ask(buyer, order, step=step, **fields)
        assert resp.status_code == 400 and message in page(resp)
    assert not InvoiceRequest.objects.exists()
    assert Buyer.objects.values().get(pk=shop.buyer.pk) == before
    assert not AuditEvent.objects.filter(action__startswith="invoice.").exists()
    assert not Notification.objects.filter(event__startswith="order.invoice").exists()


def test_a_personal_invoice_needs_only_a_name_and_drops_a_typed_tax_number(order, buyer):
    assert ask(buyer, order, step="confirm", kind="personal", title="张三", tax_number="garbage").status_code == 302
    row = InvoiceRequest.objects.get()
    assert (row.kind, row.title, row.tax_number) == ("personal", "张三", "")


def test_a_second_submit_never_makes_a_second_request(order, buyer):
    assert ask(buyer, order, step="confirm").status_code == 302
    again = ask(buyer, order, step="confirm", title="另一个抬头")
    assert again.status_code == 302
    assert InvoiceRequest.objects.get().title == "佛山市禅城区紫南食品有限公司"
    assert "已经申请过发票" in page(buyer.get(again.url))
    with pytest.raises(InvoiceError, match="已经申请过发票"):
        invoices.request_invoice(order, kind="personal", title="张三")
    assert InvoiceRequest.objects.count() == 1


def test_unpaid_and_fully_refunded_orders_cannot_be_invoiced(shop, personas, buyer):
    unpaid, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    resp = buyer.get(f"/shop/orders/{unpaid.number}/invoice/")
    assert resp.status_code == 302 and "付款后可以申请开票" in page(buyer.get(resp.url))
    assert ask(buyer, unpaid, step="confirm").status_code == 302
    refunded = paid_order(shop, personas.manager_a, boxes=1)
    row = payments.refund(refunded, out_refund_no="RALL", reason="不要了", user=personas.manager_a)
    payments.confirm_offline_refund(row, user=personas.manager_a, confirmation="现金退还")
    refunded.refresh_from_db()
    with pytest.raises(InvoiceError, match="已退款"):
        invoices.request_invoice(refunded, kind="personal", title="张三")
    assert not InvoiceRequest.objects.exists()


def test_the_amount_is_paid_less_refunds_by_the_one_rule(order, personas):
    part = payments.refund(order, out_refund_no="RPART", amount="10.00", reason="坏蛋赔付", user=personas.manager_a)
    assert invoices.invoiced_amount(order) == Decimal("79.80")  # an offline refund not yet handed back
    payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="现金退还")
    assert part.status == Refund.SUCCEEDED
    row = invoices.request_invoice(order, kind="personal", title="张三")
    assert row.amount == Decimal("69.80") == counted_amounts([order])[order.pk]


def test_an_institutional_buyer_of_a_programme_gets_a_company_invoice_by_default(pairing, personas, client_for):
    pairing.org.invoice_title, pairing.org.tax_number = "佛山市禅城区某机关食堂", GOOD_CODE
    pairing.org.save()
    order = pay(place(pairing, 1), personas.manager_a)
    form = page(client_for(personas.buyer).get(f"/shop/orders/{order.number}/invoice/"))
    assert 'value="company" checked' in form
    assert 'value="佛山市禅城区某机关食堂"' in form and f'value="{GOOD_CODE}"' in form
    walk_in = pay(place(pairing, 1, buyer=pairing.other_buyer, code=""), personas.manager_a)
    assert invoices.prefill(walk_in)["kind"] == "personal"


def test_another_buyer_and_another_cooperative_get_404(order, buyer, personas, client_for):
    ask(buyer, order, step="confirm")
    other = client_for(make_user("other_buyer"))
    assert other.get(f"/shop/orders/{order.number}/invoice/").status_code == 404
    assert ask(other, order, step="confirm", title="冒名").status_code == 404
    manager_b = client_for(personas.manager_b)
    assert manager_b.get(f"/shop/orders/{order.number}/invoice/").status_code == 404
    assert manager_b.get(f"/shop/manage/invoices/{order.number}/").status_code == 404
    resp = manager_b.post(f"/shop/manage/invoices/{order.number}/",
                          {"action": "issue", "invoice_number": "12345678", "amount": "79.80"})
    assert resp.status_code == 404
    assert order.number not in page(manager_b.get("/shop/manage/invoices/"))
    assert InvoiceRequest.objects.get().status == "requested"


def test_the_manager_issues_with_a_pdf_and_the_buyer_downloads_it(order, buyer, personas, client_for):
    ask(buyer, order, step="confirm")
    manager = client_for(personas.manager_a)
    listed = page(manager.get("/shop/manage/invoices/"))
    assert order.number in listed and "佛山市禅城区紫南食品有限公司" in listed
    assert "¥79.80" in page(manager.get(f"/shop/manage/invoices/{order.number}/"))
    resp = manager.post(f"/shop/manage/invoices/{order.number}/", {
        "action": "issue", "invoice_number": "26442000000123456789", "amount": "79.80", "pdf": pdf_upload()})
    assert resp.status_code == 302
    row = InvoiceRequest.objects.get()
    assert (row.status, row.invoice_number, row.handled_by) == ("issued", "26442000000123456789", personas.manager_a)
    assert row.pdf.name.startswith("invoices/")
    assert "private" in row.pdf.path  # private media, never under the public MEDIA_URL
    issued = Notification.objects.get(event="order.invoice_issued")
    assert "26442000000123456789" in issued.body
    audit = AuditEvent.objects.get(action="invoice.issued")
    assert audit.actor == personas.manager_a and audit.data["invoice_number"] == "26442000000123456789"
    shown = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert "已开票" in shown and "26442000000123456789" in shown and 'id="invoice-pdf"' in shown
    pdf = buyer.get(f"/shop/orders/{order.number}/invoice.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-1.7")
    assert client_for(make_user("other_buyer")).get(f"/shop/orders/{order.number}/invoice.pdf").status_code == 404
    assert client_for(personas.manager_b).get(f"/shop/orders/{order.number}/invoice.pdf").status_code == 404
    assert "没有待开的发票" in page(manager.get("/shop/manage/invoices/"))
    again = manager.post(f"/shop/manage/invoices/{order.number}/",
                         {"action": "issue", "invoice_number": "12345678", "amount": "79.80"})
    assert again.status_code == 409 and "已经处理过了" in page(again)
    assert InvoiceRequest.objects.get().invoice_number == "26442000000123456789"


@pytest.mark.parametrize("fields, message", [
    ({"invoice_number": "12AB5678"}, "发票号码应为 8 位"),
    ({"invoice_number": "123"}, "发票号码应为 8 位"),
    ({"invoice_number": "１２３４５６７８"}, "发票号码应为 8 位"),
    ({"pdf": "notpdf"}, "请上传税务系统导出的 PDF"),
    ({"amount": "90.00"}, "开票金额已变为 ¥79.80"),
    ({"amount": "abc"}, "开票金额已变为 ¥79.80"),
])
def test_bad_issue_input_gets_a_message_and_changes_nothing(order, buyer, personas, client_for, fields, message):
    ask(buyer, order, step="confirm")
    data = {"action": "issue", "invoice_number": "12345678", "amount": "79.80", **fields}
    if data.get("pdf") == "notpdf":
        data["pdf"] = SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    resp = client_for(personas.manager_a).post(f"/shop/manage/invoices/{order.number}/", data)
    assert resp.status_code in (400, 409) and message in page(resp)
    row = InvoiceRequest.objects.get()
    assert (row.status, row.invoice_number, row.pdf.name) == ("requested", "", "")
    assert not Notification.objects.filter(event="order.invoice_issued").exists()


def test_an_invoice_number_is_registered_once_per_cooperative(shop, personas):
    first = invoices.request_invoice(paid_order(shop, personas.manager_a), kind="personal", title="张三")
    second = invoices.request_invoice(paid_order(shop, personas.manager_a), kind="personal", title="张三")
    invoices.issue_invoice(first, user=personas.manager_a, invoice_number="12345678", amount=first.amount)
    with pytest.raises(InvoiceError, match="已经登记在订单"):
        invoices.issue_invoice(second, user=personas.manager_a, invoice_number="12345678", amount=second.amount)


def test_a_refund_after_asking_changes_what_is_issued(order, buyer, personas, client_for):
    ask(buyer, order, step="confirm")
    part = payments.refund(order, out_refund_no="RLATE", amount="9.80", reason="坏蛋", user=personas.manager_a)
    payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="现金")
    manager = client_for(personas.manager_a)
    assert "¥70.00" in page(manager.get(f"/shop/manage/invoices/{order.number}/"))
    stale = manager.post(f"/shop/manage/invoices/{order.number}/",
                         {"action": "issue", "invoice_number": "12345678", "amount": "79.80"})
    assert stale.status_code == 409 and "¥70.00" in page(stale)
    manager.post(f"/shop/manage/invoices/{order.number}/",
                 {"action": "issue", "invoice_number": "12345678", "amount": "70.00"})
    assert InvoiceRequest.objects.get().amount == Decimal("70.00")


def test_returned_with_a_reason_then_corrected_and_sent_again_as_the_same_request(order, buyer, personas,
                                                                                   client_for):
    ask(buyer, order, step="confirm")
    manager = client_for(personas.manager_a)
    empty = manager.post(f"/shop/manage/invoices/{order.number}/", {"action": "return", "reason": " "})
    assert empty.status_code == 400 and "请写明退回原因" in page(empty)
    assert InvoiceRequest.objects.get().status == "requested"
    manager.post(f"/shop/manage/invoices/{order.number}/", {"action": "return", "reason": "抬头与营业执照不一致"})
    row = InvoiceRequest.objects.get()
    assert (row.status, row.return_reason) == ("returned", "抬头与营业执照不一致")
    assert "抬头与营业执照不一致" in Notification.objects.get(event="order.invoice_returned").body
    shown = page(buyer.get(f"/shop/orders/{order.number}/"))
    assert "已退回" in shown and "抬头与营业执照不一致" in shown and "修改后重新申请开票" in shown
    form = page(buyer.get(f"/shop/orders/{order.number}/invoice/"))
    assert "抬头与营业执照不一致" in form and 'value="佛山市禅城区紫南食品有限公司"' in form
    assert ask(buyer, order, step="confirm", title="佛山市禅城区紫南食品有限责任公司").status_code == 302
    row = InvoiceRequest.objects.get()
    assert (row.status, row.title, row.submissions, row.return_reason) == (
        "requested", "佛山市禅城区紫南食品有限责任公司", 2, "")
    assert Notification.objects.filter(event="order.invoice_requested").count() == 2  # one per submission
    assert AuditEvent.objects.filter(action="invoice.resubmitted").count() == 1


def test_the_workbench_counts_invoices_to_issue_and_links_to_the_list(order, personas):
    invoices.request_invoice(order, kind="personal", title="张三")
    orders_card = next(s for s in workbench(personas.manager_a)["sections"] if s.key == "orders")
    item = next(i for i in orders_card.items if i.key == "to_invoice")
    assert (item.count, item.url) == (1, "/shop/manage/invoices/")
    other = next(s for s in workbench(personas.manager_b)["sections"] if s.key == "orders")
    assert next(i for i in other.items if i.key == "to_invoice").count == 0


def test_the_managers_list_makes_as_many_queries_for_20_requests_as_for_1(shop, personas, client_for):
    make_batch(personas.coop_a, weight_class="L", pack_size=10, boxes=30)  # stock for twenty orders
    manager = client_for(personas.manager_a)

    def count():
        manager.get("/shop/manage/invoices/")
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get("/shop/manage/invoices/").status_code == 200
        return len(ctx.captured_queries)

    invoices.request_invoice(paid_order(shop, personas.manager_a, boxes=1), kind="personal", title="张三")
    one = count()
    for _i in range(19):
        invoices.request_invoice(paid_order(shop, personas.manager_a, boxes=1), kind="company", title="某公司",
                                 tax_number=GOOD_CODE)
    assert count() == one


def test_the_profile_saves_tax_numbers_through_the_same_check(shop, buyer):
    resp = buyer.post("/shop/me/", {"action": "profile", "kind": "enterprise", "name": "张三",
                                    "invoice_title": "某公司", "tax_number": "91440300708461136X"}, follow=True)
    assert "有一位不对" in page(resp)
    shop.buyer.refresh_from_db()
    assert (shop.buyer.invoice_title, shop.buyer.tax_number) == ("", "")
    buyer.post("/shop/me/", {"action": "profile", "kind": "enterprise", "name": "张三", "invoice_title": "某公司",
                             "tax_number": "91440300708461136t"})
    shop.buyer.refresh_from_db()
    assert shop.buyer.tax_number == GOOD_CODE


def test_the_managers_order_page_and_queue_lead_to_the_request_and_the_receipt(order, personas, client_for):
    manager = client_for(personas.manager_a)
    assert 'id="invoices-link"' in page(manager.get("/shop/manage/"))
    before = page(manager.get(f"/shop/manage/o/{order.number}/"))
    assert 'id="invoice-request"' not in before and f"/shop/orders/{order.number}/receipt/" in before
    invoices.request_invoice(order, kind="personal", title="张三")
    after = page(manager.get(f"/shop/manage/o/{order.number}/"))
    assert 'id="invoice-request"' in after and f"/shop/manage/invoices/{order.number}/" in after


def test_a_replacement_sent_for_nothing_needs_no_invoice(shop, personas):
    from orders.models import AfterSale
    from orders.services import aftersale
    from tests.orders.test_aftersale_services import shipped_order

    order = shipped_order(shop, personas.manager_a)
    aftersale.confirm_receipt(order, user=personas.buyer)
    order.refresh_from_db()
    row = aftersale.request_aftersale(order, line=order.lines.get(), reason=AfterSale.BROKEN, unit=AfterSale.BOXES,
                                      quantity=1)
    replacement = aftersale.decide_replacement(row, user=personas.manager_a).replacement
    assert invoices.can_request(replacement) == (False, "补发的订单没有付款，不用开票。")
    with pytest.raises(InvoiceError, match="补发的订单"):
        invoices.request_invoice(replacement, kind="personal", title="张三")
