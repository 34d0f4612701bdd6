"""The daily WeChat Pay trade bill (交易账单) reconciled against our payments and refunds.

WeChat publishes yesterday's bill after 10:00 Beijing time; the beat task runs at 10:30 and keeps one
``TradeBillCheck`` per day (running it again for a day replaces that day's result). Each difference is one
entry the manager reads in the admin (微信支付对账):

- ``paid_there_not_here``  — WeChat took the money, our payment is not recorded as paid (a lost notification
  whose query never came: ask WeChat with ``sync_payment`` — the order is paid then, or refunded if cancelled);
- ``paid_here_not_there``  — we recorded a WeChat payment on that day the bill does not have (a payment
  recorded near midnight may be in the next day's bill; anything else is a serious error);
- ``amount_differs``       — both have it, the amounts differ;
- the same three for refunds (``refund_there_not_here``, ``refund_here_not_there``, ``refund_amount_differs``).

Amounts are compared in fen (integers) parsed from the bill's yuan with ``Decimal``: never floats.
"""

import datetime
from decimal import Decimal, InvalidOperation

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from orders.models import Payment, Refund, TradeBillCheck

from . import get_provider
from .base import ProviderError


def _fen(text):
    try:
        return int((Decimal(text or "0") * 100).to_integral_value())
    except InvalidOperation:
        raise ProviderError(f"bad amount in bill: {text!r}") from None


def parse_trade_bill(text):
    """The bill's rows as dicts keyed by its Chinese column names. Every value in WeChat's file is prefixed
    with a backtick (so Excel keeps long numbers as text); the two summary lines at the end are skipped."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0].split(",")
    rows = []
    for line in lines[1:]:
        if line.startswith("总交易单数"):
            break
        values = [v[1:] if v.startswith("`") else v for v in line.split(",")]
        rows.append(dict(zip(header, values, strict=False)))
    return rows


def _beijing_day(day):
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()), timezone.get_default_timezone())
    return start, start + datetime.timedelta(days=1)


def reconcile_trade_bill(bill_date, *, provider_name=Payment.WECHAT):
    """Download the bill of ``bill_date`` and compare; returns the saved ``TradeBillCheck``."""
    try:
        text = get_provider(provider_name).trade_bill(bill_date)
        rows = parse_trade_bill(text)
        check = _compare(bill_date, rows, provider_name)
    except ProviderError as exc:
        check = TradeBillCheck(bill_date=bill_date, status=TradeBillCheck.FAILED, error=str(exc)[:300])
    TradeBillCheck.objects.update_or_create(bill_date=bill_date, defaults={
        "status": check.status, "bill_rows": check.bill_rows, "paid_fen": check.paid_fen,
        "refunded_fen": check.refunded_fen, "differences": check.differences, "error": check.error,
        "checked_at": timezone.now()})
    return TradeBillCheck.objects.get(bill_date=bill_date)


def _compare(bill_date, rows, provider_name):
    paid = {r["商户订单号"]: r for r in rows if r.get("交易状态") == "SUCCESS"}
    refunded = {r["商户退款单号"]: r for r in rows if r.get("交易状态") == "REFUND"}
    differences = []

    ours = {p.out_trade_no: p for p in Payment.objects.filter(provider=provider_name,
                                                              out_trade_no__in=list(paid)).select_related("order")}
    for out_trade_no, row in sorted(paid.items()):
        theirs = _fen(row.get("订单金额") or row.get("应结订单金额"))
        payment = ours.get(out_trade_no)
        if payment is None or payment.status != Payment.SUCCEEDED:
            differences.append({"kind": "paid_there_not_here", "out_trade_no": out_trade_no,
                                "transaction_id": row.get("微信订单号", ""), "theirs_fen": theirs,
                                "ours_fen": payment.amount_fen if payment else None,
                                "order": payment.order.number if payment else "",
                                "ours_status": payment.status if payment else "missing"})
        elif payment.amount_fen != theirs:
            differences.append({"kind": "amount_differs", "out_trade_no": out_trade_no, "theirs_fen": theirs,
                                "ours_fen": payment.amount_fen, "order": payment.order.number})
    start, end = _beijing_day(bill_date)
    for payment in Payment.objects.filter(provider=provider_name, status=Payment.SUCCEEDED,
                                          succeeded_at__gte=start, succeeded_at__lt=end).select_related("order"):
        if payment.out_trade_no not in paid:
            differences.append({"kind": "paid_here_not_there", "out_trade_no": payment.out_trade_no,
                                "ours_fen": payment.amount_fen, "theirs_fen": None, "order": payment.order.number})

    ours_refunds = {r.out_refund_no: r for r in Refund.objects.filter(
        payment__provider=provider_name, out_refund_no__in=list(refunded)).select_related("order")}
    for out_refund_no, row in sorted(refunded.items()):
        theirs = _fen(row.get("申请退款金额") or row.get("退款金额"))
        refund = ours_refunds.get(out_refund_no)
        if refund is None or refund.status != Refund.SUCCEEDED:
            differences.append({"kind": "refund_there_not_here", "out_refund_no": out_refund_no,
                                "out_trade_no": row.get("商户订单号", ""), "theirs_fen": theirs,
                                "ours_fen": refund.amount_fen if refund else None,
                                "order": refund.order.number if refund else "",
                                "ours_status": refund.status if refund else "missing"})
        elif refund.amount_fen != theirs:
            differences.append({"kind": "refund_amount_differs", "out_refund_no": out_refund_no,
                                "theirs_fen": theirs, "ours_fen": refund.amount_fen, "order": refund.order.number})
    for refund in Refund.objects.filter(payment__provider=provider_name, status=Refund.SUCCEEDED,
                                        succeeded_at__gte=start, succeeded_at__lt=end).select_related("order"):
        if refund.out_refund_no not in refunded:
            differences.append({"kind": "refund_here_not_there", "out_refund_no": refund.out_refund_no,
                                "ours_fen": refund.amount_fen, "theirs_fen": None, "order": refund.order.number})

    return TradeBillCheck(
        bill_date=bill_date, status=TradeBillCheck.DIFFERENCES if differences else TradeBillCheck.CLEAN,
        bill_rows=len(rows), paid_fen=sum(_fen(r.get("订单金额") or r.get("应结订单金额")) for r in paid.values()),
        refunded_fen=sum(_fen(r.get("申请退款金额") or r.get("退款金额")) for r in refunded.values()),
        differences=differences)


@shared_task(name="orders.tasks.reconcile_trade_bill", acks_late=True)
def reconcile_trade_bill_task(bill_date=None):
    """Beat: yesterday's bill (Beijing time). Safe to run twice: the day's check is replaced."""
    if settings.PAYMENT_PROVIDER != Payment.WECHAT:
        return "skipped: PAYMENT_PROVIDER is not wechat"
    day = (datetime.date.fromisoformat(bill_date) if bill_date
           else (timezone.localtime() - datetime.timedelta(days=1)).date())
    return reconcile_trade_bill(day).status
