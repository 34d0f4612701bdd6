"""The daily trade bill (交易账单) from the local APIv3 server, reconciled against our payments and refunds."""

import pytest
from django.utils import timezone

from orders.models import TradeBillCheck
from orders.services import payments
from orders.services.orders import Item, place_order
from orders.services.payments.base import Payer
from orders.services.payments.bills import parse_trade_bill, reconcile_trade_bill, reconcile_trade_bill_task
from tests.factories import ADDRESS, start_local_wechat


@pytest.fixture
def wechat(settings, tmp_path):
    api = start_local_wechat(settings, tmp_path, refund_instantly=True)
    yield api
    api.stop()


def paid_order(shop, api, boxes=1, *, tell_us=True):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], address=ADDRESS)
    payment, _data = payments.start_payment(order, payer=Payer("native"))
    api.pay(payment.out_trade_no)
    if tell_us:
        payments.sync_payment(payment)
    order.refresh_from_db()
    return order, payment


def today():
    return timezone.localtime().date()


def test_a_clean_day_reports_no_difference(shop, wechat):
    paid_order(shop, wechat, 1)
    order, payment = paid_order(shop, wechat, 2)
    payments.refund(order, out_refund_no="RB1", reason="破了一盒", amount="39.90")
    check = reconcile_trade_bill(today())
    assert check.status == TradeBillCheck.CLEAN, check.differences
    assert check.differences == []
    assert check.bill_rows == 3 and check.paid_fen == 3990 + 7980 and check.refunded_fen == 3990
    assert ("GET", f"/v3/bill/tradebill?bill_date={today().isoformat()}&bill_type=ALL&tar_type=GZIP") \
        in wechat.requests


def test_planted_differences_are_listed_for_the_manager(shop, wechat):
    paid_order(shop, wechat, 1)
    lost, lost_payment = paid_order(shop, wechat, 1, tell_us=False)  # the notification never arrived
    wrong, wrong_payment = paid_order(shop, wechat, 2)
    wechat.transactions[wrong_payment.out_trade_no]["amount"]["total"] = 7900  # WeChat's books say otherwise
    check = reconcile_trade_bill(today())
    assert check.status == TradeBillCheck.DIFFERENCES
    found = {(d["kind"], d["out_trade_no"]) for d in check.differences}
    assert found == {("paid_there_not_here", lost_payment.out_trade_no),
                     ("amount_differs", wrong_payment.out_trade_no)}
    diff = next(d for d in check.differences if d["kind"] == "amount_differs")
    assert (diff["theirs_fen"], diff["ours_fen"], diff["order"]) == (7900, 7980, wrong.number)


def test_a_refund_wechat_made_that_we_do_not_know_is_listed(shop, wechat):
    order, payment = paid_order(shop, wechat, 2)
    row = payments.refund(order, out_refund_no="RB2", reason="少了一盒", amount="39.90")
    type(row).objects.filter(pk=row.pk).update(status="processing", succeeded_at=None)
    check = reconcile_trade_bill(today())
    assert [(d["kind"], d["out_refund_no"], d["ours_status"]) for d in check.differences] == [
        ("refund_there_not_here", "RB2", "processing")]


def test_our_payment_missing_from_the_bill_is_listed_and_a_rerun_replaces_the_day(shop, wechat):
    order, payment = paid_order(shop, wechat, 1)
    del wechat.transactions[payment.out_trade_no]  # (a bill without it: e.g. recorded from a forged source)
    check = reconcile_trade_bill(today())
    assert [d["kind"] for d in check.differences] == ["paid_here_not_there"]
    assert TradeBillCheck.objects.count() == 1
    reconcile_trade_bill(today())
    assert TradeBillCheck.objects.count() == 1


def test_a_broken_download_is_a_failed_check_not_a_crash(shop, wechat, monkeypatch):
    paid_order(shop, wechat, 1)
    real_bill = wechat._bill

    def tampered(query):
        answer = real_bill(query)
        answer["hash_value"] = "0" * 40
        return answer

    monkeypatch.setattr(wechat, "_bill", tampered)
    check = reconcile_trade_bill(today())
    assert check.status == TradeBillCheck.FAILED and "摘要不符" in check.error


def test_the_task_skips_without_the_real_provider(settings, shop):
    settings.PAYMENT_PROVIDER = "sandbox"
    assert reconcile_trade_bill_task().startswith("skipped")
    assert not TradeBillCheck.objects.exists()


def test_the_bill_parser_reads_wechats_backticked_columns():
    text = ("交易时间,商户订单号,交易状态,订单金额\r\n`2026-12-02 10:00:00,`A1,`SUCCESS,`12.30\r\n"
            "总交易单数,应结订单总金额\r\n`1,`12.30\r\n")
    assert parse_trade_bill(text) == [{"交易时间": "2026-12-02 10:00:00", "商户订单号": "A1", "交易状态": "SUCCESS",
                                       "订单金额": "12.30"}]
