"""Offline transfer or cash, recorded by a manager with a reference. Nothing asynchronous: the
manager's record *is* the fact, so create/verify/close are not used."""

from orders.models import Payment, Refund
from orders.services.payments.base import NotificationRejected

from .base import PaymentProvider, RefundFacts, TradeFacts


class OfflineProvider(PaymentProvider):
    name = "offline"
    asynchronous = False

    def create(self, payment, *, description, notify_url):
        return {}

    def verify_notification(self, headers, body):

        raise NotificationRejected("offline payments have no notifications", status=404)

    def query(self, out_trade_no):

        payment = Payment.objects.get(out_trade_no=out_trade_no)
        state = "SUCCESS" if payment.status == Payment.SUCCEEDED else "NOTPAY"
        return TradeFacts(out_trade_no=out_trade_no, trade_state=state, amount_total=payment.amount_fen)

    def close(self, out_trade_no):
        return None

    def refund(self, *, out_trade_no, out_refund_no, refund_fen, total_fen, reason):
        # Nobody moves this money but a person: the refund waits ("MANUAL") until a manager confirms
        # that it was handed back (orders.services.payments.confirm_offline_refund).
        return RefundFacts(out_refund_no=out_refund_no, status="MANUAL", refund_id=f"OFFLINE-{out_refund_no}")

    def query_refund(self, out_refund_no):

        row = Refund.objects.filter(out_refund_no=out_refund_no).first()
        status = {Refund.SUCCEEDED: "SUCCESS", Refund.AWAITING_OFFLINE: "MANUAL"}.get(row.status if row else "",
                                                                                     "NOTEXIST")
        return RefundFacts(out_refund_no=out_refund_no, status=status, refund_id=f"OFFLINE-{out_refund_no}")
