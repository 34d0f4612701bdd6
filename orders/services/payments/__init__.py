"""Payments of orders: start, confirm (notification, query, or a manager's record), close, refund.

Every path to "paid" goes through ``_apply_success``: a compare-and-set on the Payment
(created → succeeded) and then on the Order (pending → paid). A replayed notification finds the
payment already succeeded and changes nothing. A payment that lands on an order that can no longer
take it (cancelled by the 30-minute timeout, or already paid another way) is refunded at once.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from coop.lib.locking import lock_keys
from coop.services.audit import log_action
from orders.models import Order, OrderError, Payment, PaymentNotification, Refund
from orders.services.status import set_status

from .base import NotificationRejected, ProviderDisabled, ProviderError, RefundFacts

logger = logging.getLogger("greenshell.payments")

PROVIDERS = {
    Payment.SANDBOX: "orders.services.payments.sandbox.SandboxProvider",
    Payment.OFFLINE: "orders.services.payments.offline.OfflineProvider",
    Payment.WECHAT: "orders.services.payments.wechat.WeChatPayProvider",
}


def online_provider_name():
    """The provider buyers pay with online: ``PAYMENT_PROVIDER`` ("" = none: managers record transfers)."""
    return settings.PAYMENT_PROVIDER


def check_payment_provider(app_configs=None, **kwargs):
    """``manage.py check --deploy``: the sandbox takes no money, so it must never face real buyers."""
    if settings.PAYMENT_PROVIDER == Payment.SANDBOX and not settings.DEBUG:
        return [checks.Error(
            "PAYMENT_PROVIDER=sandbox with DEBUG off: buyers' orders are marked paid and no money moves.",
            hint="Set PAYMENT_PROVIDER=wechat for real payments, or leave it unset (managers record transfers). "
                 "DEMO_MODE=true is only for a demo site, whose shop pages say 演示环境，不会真实收款.",
            id="greenshell.E001")]
    return []


def get_provider(name):

    if name not in PROVIDERS:
        raise ProviderError(f"unknown payment provider {name!r}")
    return import_string(PROVIDERS[name])()


def to_fen(amount):
    return int((Decimal(amount) * 100).to_integral_value())


def notify_url(provider_name):

    return settings.SITE_URL.rstrip("/") + reverse("orders-pay-notify", args=[provider_name])


def start_payment(order, *, provider_name=None, payer=None):
    """Open (or reuse) an online payment for a pending order. Returns ``(payment, client_data)``.
    ``payer`` (``base.Payer``) says how the buyer pays, for providers with several ways (WeChat Pay)."""
    provider_name = provider_name or online_provider_name()
    if not provider_name or provider_name == Payment.OFFLINE:
        # A transfer or cash is recorded by a manager (record_offline_payment), never by the buyer.
        raise OrderError(_("本店暂未开通在线支付，请按合作社提供的账户转账，管理员确认收款后订单即为已付款。"),
                         "no_online_payment")
    if order.status != Order.PENDING_PAYMENT:
        raise OrderError(_("订单当前不能付款（%(s)s）。") % {"s": order.get_status_display()}, "not_payable")
    if order.pay_by <= timezone.now():
        raise OrderError(_("付款时间已过，订单将被取消。"), "expired")
    try:
        provider = get_provider(provider_name)
    except ProviderError as exc:
        raise OrderError(exc.message, "payment_unavailable", status=503) from None
    payment = order.payments.filter(provider=provider_name, status=Payment.CREATED,
                                    amount_fen=order.total_fen).first()
    if payment is None:
        n = order.payments.count() + 1
        payment = Payment.objects.create(order=order, provider=provider_name, out_trade_no=f"{order.number}P{n}",
                                         amount_fen=order.total_fen)
        log_action(order, "payment.started", actor_label=order.buyer.display_name,
                   data={"out_trade_no": payment.out_trade_no, "amount_fen": payment.amount_fen,
                         "provider": provider_name})
    # Only providers with several ways to pay (``channels``) take the payer; the sandbox has one cashier.
    extra = {"payer": payer} if payer is not None and getattr(provider, "channels", ()) else {}
    data = provider.create(payment, description=_("绿壳鸡蛋 订单%(no)s") % {"no": order.number},
                           notify_url=notify_url(provider_name), **extra)
    return payment, data


def handle_notification(provider_name, headers, body):
    """Process a payment platform's notification. Returns ``(http_status, json_answer)`` as WeChat expects:
    200 + ``{"code": "SUCCESS"}`` when handled (also for replays), 4xx + ``{"code": "FAIL"}`` otherwise
    (the platform retries; a forged or stale one never changes anything)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    # The evidence row keeps the body as text; PostgreSQL text cannot hold NUL, which no genuine
    # notification carries (it would 500 on a forged one instead of being refused and recorded).
    record = dict(headers={k: v for k, v in headers.items() if k.lower().startswith("wechatpay")},
                  body=body[:20000].replace("\x00", "\\x00"))
    try:
        provider = get_provider(provider_name)
    except (ProviderError, ImproperlyConfigured) as exc:
        # Unknown or unconfigured provider: refuse (the platform retries) and keep the evidence.
        PaymentNotification.objects.create(accepted=False, outcome=f"rejected: provider {provider_name!r}: "
                                           f"{str(exc)[:120]}", **record)
        return 400, {"code": "FAIL", "message": "unknown provider"}
    try:
        facts = provider.verify_notification(headers, body)
    except (NotificationRejected, ProviderError) as exc:
        reason = getattr(exc, "reason", str(exc))
        PaymentNotification.objects.create(accepted=False, outcome=f"rejected: {reason}", **record)
        logger.warning("payment notification refused: %s", reason)
        return getattr(exc, "status", 400), {"code": "FAIL", "message": reason}
    record.update(notification_id=facts.notification_id[:64], event_type=facts.event_type[:40],
                  out_trade_no=facts.out_trade_no[:32])
    if isinstance(facts, RefundFacts):
        return _refund_notification(facts, record)
    payment = Payment.objects.filter(out_trade_no=facts.out_trade_no, provider=provider_name).first()
    if payment is None:
        PaymentNotification.objects.create(accepted=False, outcome="rejected: unknown out_trade_no", **record)
        return 404, {"code": "FAIL", "message": "unknown out_trade_no"}
    if facts.amount_total != payment.amount_fen:
        PaymentNotification.objects.create(accepted=False, outcome="rejected: amount mismatch "
                                           f"({facts.amount_total} != {payment.amount_fen})", **record)
        log_action(payment.order, "payment.amount_mismatch", actor_label=provider_name,
                   data={"notified_fen": facts.amount_total, "expected_fen": payment.amount_fen})
        return 400, {"code": "FAIL", "message": "amount mismatch"}
    if facts.trade_state != "SUCCESS":
        PaymentNotification.objects.create(accepted=True, outcome=f"ignored: {facts.trade_state}", **record)
        return 200, {"code": "SUCCESS", "message": "成功"}
    outcome = _apply_success(payment, facts.transaction_id, source="notification")
    PaymentNotification.objects.create(accepted=True, outcome=outcome, **record)
    return 200, {"code": "SUCCESS", "message": "成功"}


def _refund_notification(facts, record):
    """A refund's outcome from the platform (REFUND.SUCCESS / ABNORMAL / CLOSED); replays change nothing."""
    row = Refund.objects.filter(out_refund_no=facts.out_refund_no, payment__out_trade_no=facts.out_trade_no).first()
    if row is None:
        PaymentNotification.objects.create(accepted=False, outcome="rejected: unknown out_refund_no", **record)
        return 404, {"code": "FAIL", "message": "unknown out_refund_no"}
    if facts.refund_fen != row.amount_fen:
        PaymentNotification.objects.create(accepted=False, outcome="rejected: refund amount mismatch "
                                           f"({facts.refund_fen} != {row.amount_fen})", **record)
        return 400, {"code": "FAIL", "message": "amount mismatch"}
    outcome = apply_refund_result(row, facts, source="notification")
    PaymentNotification.objects.create(accepted=True, outcome=outcome, **record)
    return 200, {"code": "SUCCESS", "message": "成功"}


def apply_refund_result(row, facts, *, source):
    """Record what the platform says became of a refund that was PROCESSING; returns a short outcome.
    A full refund's order moves refund_pending → refunded when its last refund has arrived."""
    status = {"SUCCESS": Refund.SUCCEEDED, "ABNORMAL": Refund.FAILED, "CLOSED": Refund.FAILED}.get(facts.status)
    if status is None:
        return f"ignored: {facts.status}"
    with transaction.atomic():
        changed = Refund.objects.filter(pk=row.pk, status=Refund.PROCESSING).update(
            status=status, refund_id=facts.refund_id[:64] or row.refund_id,
            succeeded_at=timezone.now() if status == Refund.SUCCEEDED else None)
        if not changed:
            return "replay: already recorded"
        row.refresh_from_db()
        log_action(row.order, "refund.succeeded" if status == Refund.SUCCEEDED else "refund.failed",
                   actor_label=row.payment.get_provider_display(),
                   data={"out_refund_no": row.out_refund_no, "refund_id": row.refund_id, "source": source,
                         "platform_status": facts.status})
        order = Order.objects.get(pk=row.order_id)
        open_refunds = order.refunds.filter(status=Refund.PROCESSING).exists()
        if (status == Refund.SUCCEEDED and order.status == Order.REFUND_PENDING and not open_refunds
                and refundable_fen(row.payment) == 0):
            set_status(order, Order.REFUNDED, actor_label=_("系统"), reason=row.reason)
    return "refunded" if status == Refund.SUCCEEDED else "refund failed"


def sync_refund(row):
    """Ask the platform about a refund still processing (its notification was lost or is late)."""
    if row.status != Refund.PROCESSING or row.payment.provider == Payment.OFFLINE:
        return row  # an offline refund is confirmed by the manager who paid it back, not by a platform
    try:
        facts = get_provider(row.payment.provider).query_refund(row.out_refund_no)
    except ProviderError as exc:
        logger.warning("refund query for %s failed: %s", row.out_refund_no, exc)
        return row
    apply_refund_result(row, facts, source="query")
    row.refresh_from_db()
    return row


def _apply_success(payment, transaction_id, *, source, user=None):
    """Record that money arrived for ``payment``; returns a short outcome for the notification log."""
    with transaction.atomic():
        now = timezone.now()
        first = Payment.objects.filter(pk=payment.pk, status__in=(Payment.CREATED, Payment.CLOSED)).update(
            status=Payment.SUCCEEDED, transaction_id=transaction_id[:64], succeeded_at=now)
        if not first:
            return "replay: already recorded"
        payment.refresh_from_db()
        order = Order.objects.select_related("buyer").get(pk=payment.order_id)
        log_action(order, "payment.succeeded", user=user, actor_label=payment.get_provider_display(),
                   data={"out_trade_no": payment.out_trade_no, "transaction_id": transaction_id,
                         "amount_fen": payment.amount_fen, "source": source})
        if order.status == Order.PENDING_PAYMENT:
            try:

                set_status(order, Order.PAID, user=user, actor_label=payment.get_provider_display(),
                           data={"out_trade_no": payment.out_trade_no})
                return "paid"
            except OrderError:
                order.refresh_from_db()  # lost the race to the unpaid timeout: fall through to refund
    # The order could not take this money (cancelled, or paid already): give it back, once.
    refund_payment(payment, out_refund_no=f"R{payment.out_trade_no}", reason=_("订单已取消或已付款，自动退回"),
                   actor_label=_("系统"))
    return "late: refunded"


def sync_payment(payment):
    """Ask the platform about an open payment (the buyer came back before the notification)."""
    if payment.status != Payment.CREATED or payment.provider == Payment.OFFLINE:
        return payment
    try:
        facts = get_provider(payment.provider).query(payment.out_trade_no)
    except ProviderError as exc:
        # The order page asks on every visit: WeChat unreachable must not break the page; the notification
        # (or the next visit) still pays the order.
        logger.warning("payment query for %s failed: %s", payment.out_trade_no, exc)
        return payment
    if facts.trade_state == "SUCCESS" and facts.amount_total == payment.amount_fen:
        _apply_success(payment, facts.transaction_id, source="query")
        payment.refresh_from_db()
    return payment


def close_payment(payment):
    if payment.status != Payment.CREATED:
        return
    if payment.provider != Payment.OFFLINE:
        try:
            get_provider(payment.provider).close(payment.out_trade_no)
        except ProviderDisabled:
            pass  # a switched-off sandbox takes no payment anyway; a late one would be refunded
        except ProviderError as exc:
            # Left open (and retried by the next cancel): if the buyer still pays it, _apply_success finds
            # the order cancelled and refunds at once. Raising would stop cancel_unpaid's loop for everyone.
            logger.warning("closing %s failed: %s", payment.out_trade_no, exc)
            return
    Payment.objects.filter(pk=payment.pk, status=Payment.CREATED).update(status=Payment.CLOSED)


def record_offline_payment(order, *, reference, user, amount=None):
    """A manager records a bank transfer or cash with its reference. Pays the order once."""
    reference = (reference or "").strip()
    if not reference:
        raise OrderError(_("请填写转账凭证号或收款说明。"), "reference")
    amount = Decimal(amount) if amount not in (None, "") else order.total
    if amount != order.total:
        raise OrderError(_("金额应与订单金额 ¥%(t)s 一致。") % {"t": order.total}, "amount")
    if order.status != Order.PENDING_PAYMENT:
        raise OrderError(_("订单当前不能登记付款（%(s)s）。") % {"s": order.get_status_display()}, "not_payable")
    with transaction.atomic():
        n = order.payments.count() + 1
        payment = Payment.objects.create(order=order, provider=Payment.OFFLINE, out_trade_no=f"{order.number}P{n}",
                                         amount_fen=order.total_fen, reference=reference[:100], recorded_by=user)
        _apply_success(payment, f"OFFLINE-{reference}", source="manager", user=user)
    payment.refresh_from_db()
    return payment


def refundable_fen(payment):
    """What is left to refund on ``payment``: paid minus every refund not failed. Refunds still
    processing or waiting to be handed back offline are counted, so they reserve their amount."""
    done = payment.refunds.exclude(status=Refund.FAILED).aggregate(n=Sum("amount_fen"))["n"] or 0
    return payment.amount_fen - done


def _lock_payment(payment):
    """Serialise refunds of one payment. Taken before reading what is refundable: two managers (or a
    double click) posting together otherwise both read the same amount left and both refund it."""
    lock_keys(f"payment:{payment.pk}")


def _refund_no_taken(out_refund_no, order):
    existing = Refund.objects.filter(out_refund_no=out_refund_no).first()
    if existing is not None and existing.order_id != order.pk:
        raise OrderError(_("退款单号已被其他订单使用。"), "refund_no_used")
    return existing


def _check_amount(fen, left):
    if fen <= 0 or left <= 0:
        raise OrderError(_("退款金额必须大于 0，且不超过可退金额。"), "amount")
    if fen > left:
        raise OrderError(_("退款金额超过可退金额 ¥%(n)s。") % {"n": Decimal(left) / 100}, "amount")


def _new_refund(payment, *, out_refund_no, amount_fen, reason, user):
    try:
        with transaction.atomic():  # a savepoint: the number taken meanwhile by another order's refund
            return Refund.objects.create(payment=payment, order_id=payment.order_id, out_refund_no=out_refund_no,
                                         amount_fen=amount_fen, reason=reason[:200],
                                         requested_by=user if user is not None and user.is_authenticated else None)
    except IntegrityError:
        raise OrderError(_("退款单号已被其他订单使用。"), "refund_no_used", status=409) from None


def refund(order, *, out_refund_no, reason, amount=None, user=None, actor_label=""):
    """Refund money of ``order`` to the buyer and return the ``Refund``. Idempotent by ``out_refund_no``.

    ``amount`` (Decimal yuan) refunds part of the order — e.g. compensation for bad eggs — and leaves
    its status alone. Without ``amount`` everything still refundable goes back and the order moves
    through refund_pending → refunded. Raises ``OrderError`` with a message for the person.

    The amount left is read and the refund row written under the payment's lock, in one transaction;
    the platform is asked only after that commits (a slow platform never holds the lock), and a refund
    it refuses is marked failed, which gives its amount back.
    """
    fen_asked = None if amount is None else to_fen(amount)
    existing = _refund_no_taken(out_refund_no, order)
    if existing is not None:
        return existing
    with transaction.atomic():
        payment = order.payments.filter(status=Payment.SUCCEEDED).order_by("succeeded_at").first()
        if payment is None:
            raise OrderError(_("这个订单没有已付款的记录，无法退款。"), "not_paid")
        _lock_payment(payment)
        existing = _refund_no_taken(out_refund_no, order)  # the same post twice: the first one won
        if existing is not None:
            return existing
        left = refundable_fen(payment)
        full = fen_asked is None
        fen = left if full else fen_asked
        _check_amount(fen, left)
        if full:
            order.refresh_from_db()
            if order.status not in (Order.CANCELLED, Order.REFUND_PENDING):
                set_status(order, Order.REFUND_PENDING, user=user, actor_label=actor_label, reason=reason)
        row = _new_refund(payment, out_refund_no=out_refund_no, amount_fen=fen, reason=reason, user=user)
    return _send_refund(row, payment, user=user, actor_label=actor_label)


def refund_payment(payment, *, out_refund_no, reason, amount_fen=None, user=None, actor_label=""):
    """Low level: refund one payment (all that is left unless ``amount_fen``), once per ``out_refund_no``."""
    with transaction.atomic():
        _lock_payment(payment)
        existing = Refund.objects.filter(out_refund_no=out_refund_no).first()
        if existing is not None:
            return existing
        left = refundable_fen(payment)
        fen = left if amount_fen is None else amount_fen
        _check_amount(fen, left)
        row = _new_refund(payment, out_refund_no=out_refund_no, amount_fen=fen, reason=reason, user=user)
    return _send_refund(row, payment, user=user, actor_label=actor_label)


# What the provider's answer makes of a refund: "MANUAL" is the offline provider's — a person hands
# the money back, and the refund waits for a manager to confirm it (confirm_offline_refund).
REFUND_STATES = {"SUCCESS": Refund.SUCCEEDED, "MANUAL": Refund.AWAITING_OFFLINE}


def _send_refund(row, payment, *, user, actor_label):
    """Ask the provider to pay a reserved refund back (after the reserving transaction committed)."""
    try:
        facts = get_provider(payment.provider).refund(
            out_trade_no=payment.out_trade_no, out_refund_no=row.out_refund_no, refund_fen=row.amount_fen,
            total_fen=payment.amount_fen, reason=row.reason)
    except ProviderError as exc:
        Refund.objects.filter(pk=row.pk, status=Refund.PROCESSING).update(status=Refund.FAILED)
        row.refresh_from_db()
        log_action(payment.order, "refund.failed", user=user, actor_label=actor_label, reason=str(exc),
                   data={"out_refund_no": row.out_refund_no, "amount_fen": row.amount_fen})
        return row
    status = REFUND_STATES.get(facts.status, Refund.PROCESSING)
    Refund.objects.filter(pk=row.pk, status=Refund.PROCESSING).update(
        status=status, refund_id=facts.refund_id[:64],
        succeeded_at=timezone.now() if status == Refund.SUCCEEDED else None)
    row.refresh_from_db()
    log_action(payment.order, "refund.requested", user=user, actor_label=actor_label, reason=row.reason,
               data={"out_refund_no": row.out_refund_no, "amount_fen": row.amount_fen, "status": row.status})
    if row.status == Refund.SUCCEEDED:
        _finish_order_refund(payment, user=user, actor_label=actor_label, reason=row.reason)
    return row


def _finish_order_refund(payment, *, user, actor_label, reason):
    """An order waiting for its full refund is refunded once all of its payment's money is back."""
    back = payment.refunds.filter(status=Refund.SUCCEEDED).aggregate(n=Sum("amount_fen"))["n"] or 0
    order = Order.objects.get(pk=payment.order_id)
    if order.status == Order.REFUND_PENDING and back >= payment.amount_fen:
        set_status(order, Order.REFUNDED, user=user, actor_label=actor_label or _("系统"), reason=reason)


def confirm_offline_refund(refund_row, *, user, confirmation):
    """A manager confirms that the money of an offline refund went out (cash, bank or WeChat transfer).

    Compare-and-set from "待线下退款" to succeeded, so two managers confirming together confirm once.
    """
    confirmation = (confirmation or "").strip()
    if not confirmation:
        raise OrderError(_("请填写退款凭证号或说明（例如：现金当面退还、银行转账流水号）。"), "confirmation",
                         field="confirmation")
    done = Refund.objects.filter(pk=refund_row.pk, status=Refund.AWAITING_OFFLINE).update(
        status=Refund.SUCCEEDED, succeeded_at=timezone.now(), confirmed_by=user, confirmation=confirmation[:100])
    if not done:
        raise OrderError(_("这笔退款不在“待线下退款”状态，无需确认。"), "not_awaiting", status=409)
    refund_row.refresh_from_db()
    payment = refund_row.payment
    log_action(payment.order, "refund.confirmed", user=user, reason=confirmation,
               data={"out_refund_no": refund_row.out_refund_no, "amount_fen": refund_row.amount_fen})
    _finish_order_refund(payment, user=user, actor_label="", reason=refund_row.reason)
    return refund_row
