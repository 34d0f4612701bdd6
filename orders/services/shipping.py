"""The courier fee of an order: one function, used by checkout (shown before paying) and by ``place_order``
(written into ``Order.courier_fee`` and so into ``Order.total``, which the payment, the order page, refunds
and exports read). A pickup order pays none."""

from decimal import Decimal

from orders.models import CourierFees

ZERO = Decimal("0.00")


def fee_table(cooperative_id):
    """``(default_fee, free_from_boxes, {province_code: fee})`` of a cooperative, or None when it has no table."""
    fees = CourierFees.objects.filter(cooperative_id=cooperative_id).prefetch_related("regions").first()
    if fees is None:
        return None
    return fees.default_fee, fees.free_from_boxes, {r.province_code: r.fee for r in fees.regions.all()}


def courier_fee(cooperative_id, province_code, boxes, *, table=None):
    """The fee for ``boxes`` sent to ``province_code`` (blank: an address typed without the picker, which pays
    the default). ``table`` lets a page that prices several addresses read the rules once."""
    table = fee_table(cooperative_id) if table is None else table
    if not table:
        return ZERO
    default_fee, free_from_boxes, by_province = table
    if free_from_boxes and boxes >= free_from_boxes:
        return ZERO
    return by_province.get(province_code or "", default_fee)
