"""Stock computed from facts: boxes packed in sellable batches, minus boxes already allocated to
packed orders, minus boxes held by orders that are waiting to be packed.

An allocation stops counting when its order was refunded (or cancelled) before its eggs left: the
boxes are still on the shelf, so they are for sale again. Whether the eggs left is a fact of the
order's timeline (an ``OrderStatusChange`` to shipped / ready for pickup / completed), not a flag
that could drift; a refund after the eggs left frees nothing.

There is no stock counter to drift: every answer is recomputed from rows. The price is a few
aggregate queries, which is why ``place_order`` only calls this after taking the lock.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Subquery, Sum
from django.utils import timezone

from coop.models import Batch
from orders.models import Allocation, Order, OrderLine, OrderStatusChange

# The eggs of an order have left the collective once it was shipped or handed to its pickup point.
LEFT = (Order.SHIPPED, Order.READY_FOR_PICKUP, Order.COMPLETED)
# An order in one of these states will never take (more of) its boxes.
GIVEN_UP = (Order.CANCELLED, Order.REFUND_PENDING, Order.REFUNDED)


def _left(order_ref):
    return OrderStatusChange.objects.filter(order=order_ref, to_status__in=LEFT)


def live_allocations(**filters):
    """Allocations whose boxes are gone from stock: every one except those of orders given up
    before their eggs left (refunded while packed), whose boxes are back on the shelf."""
    return (Allocation.objects.filter(**filters)
            .alias(left=Exists(_left(OuterRef("line__order"))))
            .exclude(line__order__status__in=GIVEN_UP, left=False))


def departed_allocations(**filters):
    """Allocations whose eggs left, each with ``left_at``: when its order was shipped or handed over."""
    first_left = _left(OuterRef("line__order")).order_by().values("order").annotate(t=Min("created_at"))
    return (Allocation.objects.filter(**filters)
            .annotate(left_at=Subquery(first_left.values("t")[:1]))
            .filter(left_at__isnull=False))


def sellable_batches(cooperative_id, weight_class, pack_size, today=None):
    """Batches that may still be sold: packed (not sold out, expired or recalled), before best-before."""
    today = today or timezone.localdate()
    return Batch.objects.filter(cooperative_id=cooperative_id, weight_class=weight_class, pack_size=pack_size,
                                status=Batch.PACKED, best_before__gte=today)


def held_boxes(cooperative_id, weight_class, pack_size):
    return OrderLine.objects.filter(
        order__cooperative_id=cooperative_id, weight_class=weight_class, pack_size=pack_size,
        order__status__in=Order.HOLDING,
    ).aggregate(n=Sum("boxes"))["n"] or 0


def available_boxes(cooperative_id, weight_class, pack_size, today=None):
    batches = sellable_batches(cooperative_id, weight_class, pack_size, today)
    packed = batches.aggregate(n=Sum("boxes"))["n"] or 0
    allocated = live_allocations(batch__in=batches).aggregate(n=Sum("boxes"))["n"] or 0
    return max(packed - allocated - held_boxes(cooperative_id, weight_class, pack_size), 0)


def product_availability(product):
    return available_boxes(product.cooperative_id, product.weight_class, product.pack_size)


# ---------------------------------------------------------------------------------------------------
# The sold-out figure: the cheap refusal of a flash sale (pretix's quota cache, cut down to one use).
#
# Each stock pool's availability is kept in the Django cache (Redis in production), written after every
# write that changes it has committed (``refresh_after_commit``) and with a short lifetime
# (``GREENSHELL_STOCK_CACHE_SECONDS``). ``place_order`` reads it for ONE purpose: when it says 0 the
# request is refused as sold out without a query or the lock. It never sells: any other figure (or none)
# goes on to the decisive check under the lock. A figure too high costs one locked check; a figure
# wrongly 0 (a reader that computed it just before a cancellation committed, and wrote it just after)
# refuses sales for at most its lifetime, and the next stock write anywhere in the pool corrects it.

log = logging.getLogger(__name__)


def _figure_key(cooperative_id, weight_class, pack_size):
    return f"stock-left:{cooperative_id}:{weight_class}:{pack_size}"


def cached_available(cooperative_id, weight_class, pack_size):
    """The pool's boxes for sale as last written, or None (unknown, switched off, or the cache is down:
    an outage falls back to the database and the lock, never to an error page)."""
    if not settings.GREENSHELL_STOCK_CACHE:
        return None
    try:
        return cache.get(_figure_key(cooperative_id, weight_class, pack_size))
    except Exception:  # noqa: BLE001 - any cache failure (Redis down, timeout) only loses the shortcut
        log.warning("stock figure unreadable; using the database", exc_info=True)
        return None


def remember_available(cooperative_id, weight_class, pack_size, left):
    if not settings.GREENSHELL_STOCK_CACHE:
        return
    try:
        cache.set(_figure_key(cooperative_id, weight_class, pack_size), left, settings.GREENSHELL_STOCK_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - as above: without the figure every request takes the locked path
        log.warning("stock figure not written", exc_info=True)


def refresh_pools(pools):
    """Recompute and write the figure of each ``(cooperative_id, weight_class, pack_size)``."""
    for pool in set(pools):
        remember_available(*pool, available_boxes(*pool))


def refresh_after_commit(pools):
    """Refresh the pools' figures once the current transaction commits (at once outside one): a figure
    computed before the commit would not see this write. ``robust``: the write stays committed whatever
    happens to the figure."""
    pools = set(pools)
    if not settings.GREENSHELL_STOCK_CACHE or not pools:
        return
    # Forgotten at once too: until the commit a reader recounts from the database rather than trusting
    # a figure this write is about to change (and code that never commits — a test's transaction —
    # still reads the truth).
    try:
        cache.delete_many([_figure_key(*pool) for pool in pools])
    except Exception:  # noqa: BLE001 - see cached_available
        log.warning("stock figure not forgotten", exc_info=True)
    transaction.on_commit(lambda: refresh_pools(pools), robust=True)


def order_pools(order):
    return {(order.cooperative_id, wc, ps) for wc, ps in order.lines.values_list("weight_class", "pack_size")}


def batch_changed(sender, batch, **kwargs):
    """Receiver of every batch write (saved, deleted, status changed — orders/apps.py connects it)."""
    refresh_after_commit({(batch.cooperative_id, batch.weight_class, batch.pack_size)})


def pools_available(pools, today=None):
    """``{(cooperative_id, weight_class, pack_size): available_boxes(...)}`` for many stock pools in three
    grouped queries — the shop's product list and the API's, whatever their length. The same rule as
    ``available_boxes`` (tests/ops/test_query_counts.py checks they agree); that one stays the single-pool
    query ``place_order`` runs under its lock."""
    pools = set(pools)
    if not pools:
        return {}
    coop_ids = {c for c, _w, _p in pools}
    today = today or timezone.localdate()
    batches = Batch.objects.filter(cooperative_id__in=coop_ids, status=Batch.PACKED, best_before__gte=today)
    pool = ("cooperative_id", "weight_class", "pack_size")

    def grouped(qs, *keys):
        return {tuple(row[:3]): row[3] or 0 for row in qs.order_by().values_list(*keys).annotate(n=Sum("boxes"))}

    packed = grouped(batches, *pool)
    allocated = grouped(live_allocations(batch__in=batches), *(f"batch__{k}" for k in pool))
    held = grouped(OrderLine.objects.filter(order__cooperative_id__in=coop_ids, order__status__in=Order.HOLDING),
                   "order__cooperative_id", "weight_class", "pack_size")
    return {p: max(packed.get(p, 0) - allocated.get(p, 0) - held.get(p, 0), 0) for p in pools}


def cached_pools(pools):
    """``{pool: figure}`` for the pools whose figure is in the cache, in one round trip (see ``cached_available``)."""
    if not settings.GREENSHELL_STOCK_CACHE or not pools:
        return {}
    keys = {_figure_key(*pool): pool for pool in pools}
    try:
        found = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - as in cached_available: the database answers instead
        log.warning("stock figures unreadable; using the database", exc_info=True)
        return {}
    return {keys[key]: left for key, left in found.items()}


def with_availability(products, today=None):
    """The products (a list), each with ``left``: its boxes for sale (``product_availability``), for showing
    (the shop's list, the API's). Today's figures come from the cache where a figure is there — the same
    figure, refreshed after every stock write commits (issue 18: the three grouped queries were 40 % of an
    API list request) — and the others are counted in ``pools_available`` and remembered, as the flash
    sale's refusal does. Selling never reads what this shows: ``place_order`` counts under its lock."""
    products = list(products)
    pools = {(p.cooperative_id, p.weight_class, p.pack_size) for p in products}
    left = cached_pools(pools) if today is None else {}
    if pools - left.keys():
        counted = pools_available(pools - left.keys(), today)
        if today is None and settings.GREENSHELL_STOCK_CACHE:
            try:
                cache.set_many({_figure_key(*pool): figure for pool, figure in counted.items()},
                               settings.GREENSHELL_STOCK_CACHE_SECONDS)
            except Exception:  # noqa: BLE001 - as in remember_available
                log.warning("stock figures not written", exc_info=True)
        left.update(counted)
    for p in products:
        p.left = left[(p.cooperative_id, p.weight_class, p.pack_size)]
    return products


def batches_with_room(cooperative_id, weight_class, pack_size, today=None):
    """Sellable batches with unallocated boxes, earliest best-before first (the packing order)."""
    batches = list(sellable_batches(cooperative_id, weight_class, pack_size, today)
                   .order_by("best_before", "packed_at", "id"))
    used = dict(live_allocations(batch__in=[b.pk for b in batches]).values("batch")
                .annotate(n=Sum("boxes")).values_list("batch", "n"))
    return [(b, b.boxes - used.get(b.pk, 0)) for b in batches if b.boxes - used.get(b.pk, 0) > 0]


@dataclass
class Shortfall:
    """A stock pool whose orders hold more boxes than its sellable batches still have — boxes sold
    from a batch that then expired (or was recalled) before they were packed. ``waiting`` are the
    orders that cannot be packed from what is left, paid ones first, in the order they paid."""

    cooperative_id: int
    weight_class: str
    pack_size: int
    boxes: int
    waiting: list = field(default_factory=list)


def shortfalls(cooperative_ids, today=None):
    """Every pool of ``cooperative_ids`` that is short, for the manager to act on: pack the waiting
    orders from a new batch (packing takes any sellable batch, so new stock goes to them first —
    ``available_boxes`` stays 0 until they are covered) or refund them. Read only, no lock: it
    answers a page and decides nothing."""
    held = (OrderLine.objects.filter(order__cooperative__in=cooperative_ids, order__status__in=Order.HOLDING)
            .values_list("order__cooperative_id", "weight_class", "pack_size").annotate(n=Sum("boxes"))
            .order_by("order__cooperative_id", "weight_class", "pack_size"))
    short = []
    for cooperative_id, weight_class, pack_size, boxes in held:
        room = sum(r for _b, r in batches_with_room(cooperative_id, weight_class, pack_size, today))
        if boxes <= room:
            continue
        lines = (OrderLine.objects.filter(order__cooperative_id=cooperative_id, weight_class=weight_class,
                                          pack_size=pack_size, order__status__in=Order.HOLDING)
                 .select_related("order__buyer")
                 .order_by(F("order__paid_at").asc(nulls_last=True), "order__placed_at", "order_id", "pk"))
        left, waiting = room, {}
        for line in lines:
            if line.boxes <= left:
                left -= line.boxes
            else:
                # First paid, first served: what is left is owed to this order, so every later one
                # waits behind it rather than taking the boxes of a buyer who paid earlier.
                left = 0
                waiting.setdefault(line.order_id, line.order)
        short.append(Shortfall(cooperative_id, weight_class, pack_size, boxes - room, list(waiting.values())))
    return short
