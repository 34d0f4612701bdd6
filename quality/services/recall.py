"""Recalling a batch: the batch's own status change, made visible on the scan page at once.

The status change goes through the books' one transition function (``set_batch_status``), which
records who/when/why. Here we add what a recall means for traceability: the cached scan pages are
dropped so the very next scan shows the red notice, and buyers whose orders carried the batch are
told (``notify_buyers``), once per buyer and batch however often the task runs.
"""

from celery import shared_task
from django.db import transaction
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.words import in_site_language
from coop.models import Batch
from coop.services.batches import BatchError, set_batch_status
from coop.services.notifications import notify
from orders.services import stock
from quality.services import scanpage


class RecallError(DomainError):
    """A recall that cannot be made (no reason, already recalled): the message is shown to the user."""

    code = "recall_rejected"


def recall_batch(batch, *, reason, user=None):
    reason = (reason or "").strip()
    if not reason:
        raise RecallError(_("请填写召回原因，扫码页会向顾客显示。"))
    try:
        batch = set_batch_status(batch, Batch.RECALLED, user=user, reason=reason)
    except BatchError as exc:
        raise RecallError(str(exc)) from exc
    trace = getattr(batch, "trace", None)
    if trace is not None:
        scanpage.invalidate(trace.pk)
        # A cache write racing the delete above could put back a page rendered just before the
        # recall; deleting again after commit closes that window.
        transaction.on_commit(lambda: scanpage.invalidate(trace.pk))
    transaction.on_commit(lambda: notify_recall_buyers.delay(batch.pk))
    return batch


def buyers_of(batch):
    """(buyer, phone, order) of orders that carried ``batch`` — not those refunded before their eggs
    left, whose boxes went back on the shelf (they never had these eggs)."""
    seen = {}
    for alloc in stock.live_allocations(batch=batch).select_related("line__order__buyer").order_by("pk"):
        order = alloc.line.order
        buyer = order.buyer
        phone = order.phone or buyer.phone
        if buyer.pk not in seen:
            seen[buyer.pk] = (buyer, phone, order)
    return list(seen.values())


def notify_buyers(batch_id):
    """Tell every buyer whose order carried the recalled batch. Idempotent per buyer and batch."""

    batch = Batch.objects.select_related("cooperative").get(pk=batch_id)
    if batch.status != Batch.RECALLED:
        return 0
    sent = 0
    for buyer, phone, _order in buyers_of(batch):
        if not (phone or buyer.wechat_openid):
            continue
        with in_site_language():
            body = _("【%(coop)s】您购买的鸡蛋批次 %(code)s 已召回：%(reason)s。请勿食用，我们将为您退换。") % {
                "coop": batch.cooperative.short_name or batch.cooperative.name, "code": batch.code,
                "reason": batch.status_reason}
            notify(event="batch.recalled", key=f"recall:{batch.pk}:buyer:{buyer.pk}", body=body,
                   cooperative=batch.cooperative, phone=phone,
                   wechat_openid=buyer.wechat_openid or "", sms_params={"code": batch.code})
        sent += 1
    return sent


@shared_task(name="quality.tasks.notify_recall_buyers", bind=True, max_retries=5, default_retry_delay=60)
def notify_recall_buyers(self, batch_id):
    return notify_buyers(batch_id)
