"""Stock computed from facts: boxes packed in sellable batches, minus boxes already allocated to
packed orders, minus boxes held by orders that are waiting to be packed.

There is no stock counter to drift: every answer is recomputed from rows. The price is a few
aggregate queries, which is why ``place_order`` only calls this after taking the lock.
"""

from django.db.models import Sum
from django.utils import timezone

from coop.models import Batch
from orders.models import Allocation, Order, OrderLine


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
    allocated = Allocation.objects.filter(batch__in=batches).aggregate(n=Sum("boxes"))["n"] or 0
    return max(packed - allocated - held_boxes(cooperative_id, weight_class, pack_size), 0)


def product_availability(product):
    return available_boxes(product.cooperative_id, product.weight_class, product.pack_size)


def batches_with_room(cooperative_id, weight_class, pack_size, today=None):
    """Sellable batches with unallocated boxes, earliest best-before first (the packing order)."""
    batches = list(sellable_batches(cooperative_id, weight_class, pack_size, today)
                   .order_by("best_before", "packed_at", "id"))
    used = dict(Allocation.objects.filter(batch__in=[b.pk for b in batches]).values("batch")
                .annotate(n=Sum("boxes")).values_list("batch", "n"))
    return [(b, b.boxes - used.get(b.pk, 0)) for b in batches if b.boxes - used.get(b.pk, 0) > 0]
