"""Attribution (以购代捐): which orders count for a programme, and for how much."""

import datetime
from decimal import Decimal

from django.utils import timezone

from orders.models import Order
from orders.models.programmes import ProgrammeAttribution
from orders.services import payments
from orders.services import programmes as svc
from tests.factories import buy, pay, place


def test_it_counts_exactly_the_paid_attributed_orders(pairing, personas):
    paid = [buy(pairing, 2, personas.manager_a), buy(pairing, 1, personas.manager_a, pack=False)]
    place(pairing, 3)  # still unpaid: holds stock but is not yet assistance
    buy(pairing, 1, personas.manager_a, buyer=pairing.other_buyer, code=None)  # not for the programme

    total = svc.counted_total(pairing.programme)

    assert total == sum(o.total for o in paid) == Decimal("119.70")
    assert set(svc.counted_orders(pairing.programme)) == set(paid)


def test_a_refund_removes_the_order_from_the_programme(pairing, personas):
    keep = buy(pairing, 1, personas.manager_a)
    gone = buy(pairing, 2, personas.manager_a)
    assert svc.counted_total(pairing.programme) == keep.total + gone.total

    back = payments.refund(gone, out_refund_no=f"R{gone.pk}", reason="买家退货", user=personas.manager_a)
    # Paid offline: the refund waits until the manager confirms the money went back.
    payments.confirm_offline_refund(back, user=personas.manager_a, confirmation="现金退还")
    gone.refresh_from_db()

    assert gone.status == Order.REFUNDED
    assert svc.counted_total(pairing.programme) == keep.total
    # A partial refund (compensation for bad eggs) lowers the amount but keeps the order counted.
    part = payments.refund(keep, out_refund_no=f"R{keep.pk}", reason="两枚坏蛋补偿", amount=Decimal("7.98"),
                           user=personas.manager_a)
    assert svc.counted_total(pairing.programme) == keep.total  # not yet handed back
    payments.confirm_offline_refund(part, user=personas.manager_a, confirmation="微信转账")
    assert svc.counted_total(pairing.programme) == keep.total - Decimal("7.98")


def test_the_link_code_or_the_default_programme_marks_the_order(pairing, personas):
    by_link = place(pairing, 1, buyer=pairing.other_buyer)
    assert by_link.attribution.source == ProgrammeAttribution.LINK
    assert by_link.attribution.organisation is None  # a walk-in buyer: counted, but for no organisation

    pairing.org.default_programme = pairing.programme
    pairing.org.save()
    by_default = place(pairing, 1, code=None)
    assert by_default.attribution.source == ProgrammeAttribution.DEFAULT
    assert by_default.attribution.organisation == pairing.org

    plain = place(pairing, 1, buyer=pairing.other_buyer, code=None)
    assert not ProgrammeAttribution.objects.filter(order=plain).exists()


def test_an_ended_or_foreign_programme_does_not_capture_orders(pairing, personas):
    pairing.programme.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    pairing.programme.save()
    order = place(pairing, 1)
    assert not ProgrammeAttribution.objects.filter(order=order).exists()
    assert svc.resolve_programme(buyer=pairing.buyer, cooperative=personas.coop_b, code="ZNMG16") == (None, None)


def test_attributing_twice_keeps_one_row(pairing, personas):
    order = pay(place(pairing, 1), personas.manager_a)
    again, created = svc.attribute_order(order, programme=pairing.programme)
    assert not created and again == order.attribution
    assert ProgrammeAttribution.objects.filter(order=order).count() == 1
