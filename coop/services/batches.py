"""The one way a batch changes status.

packed → sold_out / expired / recalled. A sold-out batch may return to packed (an order was
cancelled and its eggs are back in stock) and may still expire or be recalled; an expired batch may
still be recalled (the customers who bought it must hear of it). Recalled is final.

The change is a compare-and-set on the status the caller saw, so two people (or a task and a
person) changing the same batch at once cannot both win: the loser gets ``BatchError``.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.models import Batch
from coop.services.audit import log_action

# Sent (inside the transaction) after a batch's status changed: the shop's sold-out figure listens
# (orders/apps.py), as coop never imports orders. ``post_save`` does not fire for the update() below.
batch_status_changed = Signal()


class BatchError(DomainError):
    """An illegal or lost batch transition. The message is shown to the user."""


ALLOWED = {
    Batch.PACKED: {Batch.SOLD_OUT, Batch.EXPIRED, Batch.RECALLED},
    Batch.SOLD_OUT: {Batch.PACKED, Batch.EXPIRED, Batch.RECALLED},
    Batch.EXPIRED: {Batch.RECALLED},
    Batch.RECALLED: set(),
}


def can_transition(old, new):
    return new in ALLOWED.get(old, set())


def set_batch_status(batch, new_status, *, user=None, reason=""):
    """Move ``batch`` to ``new_status``; return the batch (refreshed). Raises ``BatchError``."""
    labels = dict(Batch.STATUSES)
    if new_status not in labels:
        raise BatchError(_("未知的批次状态：%(status)s") % {"status": new_status})
    old = batch.status
    if old == new_status:
        raise BatchError(_("批次 %(code)s 已经是“%(status)s”状态。") % {"code": batch.code, "status": labels[old]})
    if not can_transition(old, new_status):
        raise BatchError(_("批次 %(code)s 不能从“%(old)s”改为“%(new)s”。")
                         % {"code": batch.code, "old": labels[old], "new": labels[new_status]})
    now = timezone.now()
    with transaction.atomic():
        changed = Batch.objects.filter(pk=batch.pk, status=old).update(
            status=new_status, status_reason=(reason or "")[:300], status_changed_at=now)
        if not changed:
            # Someone else changed it between our read and our write.
            current = Batch.objects.filter(pk=batch.pk).values_list("status", flat=True).first()
            raise BatchError(_("批次 %(code)s 刚被其他人改为“%(status)s”，请刷新后再试。")
                             % {"code": batch.code, "status": labels.get(current, current)})
        batch.status, batch.status_reason, batch.status_changed_at = new_status, (reason or "")[:300], now
        log_action(batch, f"batch.{new_status}", user=user, reason=reason, data={"from": old, "to": new_status})
        batch_status_changed.send(sender=Batch, batch=batch)
    return batch
