"""Packing a batch from accepted eggs in stock: first in, first out, within the packing window.

Stock is never a counter: it is recomputed from facts each time (accepted eggs of each delivery
minus the eggs of that delivery already packed into batches of the same weight class). Two
managers packing at once cannot take the same eggs: inside one transaction we lock the
cooperative's stock of that weight class (``lock_keys``) *before* reading it, so the second packer
reads the stock only after the first one's batch is committed. See docs/ARCHITECTURE.md "Locking".
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.locking import LockTimeout, lock_keys
from coop.lib.validators import is_ascii_digits
from coop.models import (
    GRADES,
    MAX_SHELF_DAYS,
    PACKING_WINDOW_DAYS,
    WEIGHT_CLASS_CODES,
    Batch,
    BatchContribution,
    Delivery,
)
from coop.services.audit import log_action

# Sent by ``pack_batch`` inside its transaction, once the batch and its contributions are written
# (``batch=``, ``user=``). Other apps hook what a packed batch needs here (quality: trace code, box
# codes, certificate) without coop importing them; a receiver that fails rolls the packing back.
batch_packed = Signal()


class PackingError(DomainError):
    """Packing refused (not enough stock, bad numbers, busy). The message is shown as is.

    ``busy`` (someone else holds the stock lock) answers 409 ``busy`` in the API; the rest 400 ``rejected``."""

    def __init__(self, message, field=None, busy=False):
        super().__init__(message, field=field, **({"code": "busy", "status": 409} if busy else {}))
        self.busy = busy


def stock_lock_key(cooperative_id, weight_class):
    return f"stock:{cooperative_id}:{weight_class}"


def window_start(today):
    """The oldest laying date that may still be packed today."""
    return today - datetime.timedelta(days=PACKING_WINDOW_DAYS)


def deliveries_in_stock(cooperative, weight_class, today=None):
    """Deliveries that still hold unpacked accepted eggs of ``weight_class``, oldest first.

    Each row carries ``left`` (eggs still to pack). A delivery is packable while its *earliest*
    laying date is within the window: every egg in it is then young enough.
    """
    today = today or timezone.localdate()
    field = f"accepted_{weight_class.lower()}"
    packed = (BatchContribution.objects.filter(delivery=OuterRef("pk"), batch__weight_class=weight_class)
              .values("delivery").annotate(total=Sum("eggs")).values("total"))
    # counted(): a delivery held for review (implausible counts) or cancelled by a correction is not stock.
    return (Delivery.objects.counted().filter(cooperative=cooperative, laid_from__gte=window_start(today),
                                    laid_from__lte=today, **{f"{field}__gt": 0})
            .annotate(packed=Coalesce(Subquery(packed, output_field=IntegerField()), Value(0)))
            .annotate(left=F(field) - F("packed"))
            .filter(left__gt=0)
            .order_by("laid_from", "received_at", "pk"))


def available_stock(cooperative, today=None):
    """``{weight_class: eggs}`` that can be packed today (read-only; packing re-reads under its lock)."""
    out = {}
    for wc in WEIGHT_CLASS_CODES:
        out[wc] = deliveries_in_stock(cooperative, wc, today).aggregate(n=Sum("left"))["n"] or 0
    return out


def _next_code(cooperative, day):
    prefix = f"{cooperative.producer_code}-{day:%Y%m%d}-"
    codes = Batch.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    seq = max((int(c[len(prefix):]) for c in codes if is_ascii_digits(c[len(prefix):])), default=0) + 1
    return f"{prefix}{seq:02d}"


def _create_with_next_code(cooperative, today, **fields):
    # The batchcode lock already serialises the sequence; the retry only matters when locking is
    # off (SQLite tests, the race demonstration), where a clash must not lose the whole batch.
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Batch.objects.create(cooperative=cooperative, code=_next_code(cooperative, today), **fields)
        except IntegrityError:
            continue
    raise PackingError(_("其他人正在包装，请稍后再试。"), busy=True)


def _validate(cooperative, weight_class, grade, pack_size, boxes, shelf_days):
    if weight_class not in WEIGHT_CLASS_CODES:
        raise PackingError(_("请选择重量等级。"), "weight_class")
    if grade not in dict(GRADES):
        raise PackingError(_("请选择品级。"), "grade")
    try:
        pack_size, boxes, shelf_days = int(pack_size), int(boxes), int(shelf_days)
    except (TypeError, ValueError):
        raise PackingError(_("每盒枚数和盒数必须是整数。"), "boxes") from None
    if pack_size < 1:
        raise PackingError(_("每盒枚数至少为 1。"), "pack_size")
    if boxes < 1:
        raise PackingError(_("盒数至少为 1。"), "boxes")
    if not 1 <= shelf_days <= MAX_SHELF_DAYS:
        raise PackingError(_("保质期为产蛋后 1 到 %(max)d 天。") % {"max": MAX_SHELF_DAYS}, "shelf_days")
    return pack_size, boxes, shelf_days


def pack_batch(*, cooperative, weight_class, pack_size, boxes, grade="A", user=None, shelf_days=MAX_SHELF_DAYS,
               today=None):
    """Pack ``boxes`` × ``pack_size`` eggs of ``weight_class`` and return the new Batch."""
    pack_size, boxes, shelf_days = _validate(cooperative, weight_class, grade, pack_size, boxes, shelf_days)
    today = today or timezone.localdate()
    wanted = pack_size * boxes
    try:
        with transaction.atomic():
            # Lock first, then read: the stock read below is the truth for as long as we hold it.
            # The batch-code key serialises the daily sequence across weight classes too.
            lock_keys(stock_lock_key(cooperative.pk, weight_class), f"batchcode:{cooperative.pk}:{today}")
            picked, remaining = [], wanted
            for delivery in deliveries_in_stock(cooperative, weight_class, today):
                take = min(delivery.left, remaining)
                picked.append((delivery, take))
                remaining -= take
                if not remaining:
                    break
            if remaining:
                have = wanted - remaining
                raise PackingError(
                    _("库存不足：%(wc)s 级可包装的鸡蛋只有 %(have)d 枚（%(days)d 天内产的），要包 %(want)d 枚。")
                    % {"wc": weight_class, "have": have, "days": PACKING_WINDOW_DAYS, "want": wanted}, "boxes")
            laid_from = min(d.laid_from for d, _n in picked)
            laid_to = max(d.laid_to for d, _n in picked)
            batch = _create_with_next_code(
                cooperative, today, weight_class=weight_class, grade=grade, pack_size=pack_size, boxes=boxes,
                eggs=wanted, packed_at=timezone.now(), laid_from=laid_from, laid_to=laid_to,
                best_before=laid_from + datetime.timedelta(days=shelf_days),
                packed_by=user if getattr(user, "is_authenticated", False) else None)
            BatchContribution.objects.bulk_create(
                [BatchContribution(batch=batch, delivery=d, eggs=n) for d, n in picked])
            log_action(batch, "batch.packed", user=user, data={
                "eggs": wanted, "weight_class": weight_class, "deliveries": [[d.pk, n] for d, n in picked]})
            batch_packed.send(sender=Batch, batch=batch, user=user)
    except LockTimeout:
        raise PackingError(_("其他人正在包装，请稍后再试。"), busy=True) from None
    return batch
