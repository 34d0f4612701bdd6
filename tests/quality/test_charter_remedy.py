"""A confirmed report linked to an order entitles the buyer to compensation, through the shop's refund."""

import pytest

from quality.models import BadEggReport
from tests.factories import confirm, make_charter

orders_models = pytest.importorskip("orders.models")
payments = pytest.importorskip("orders.services.payments")
from orders.services.orders import Item, pack_order, place_order  # noqa: E402
from tests.factories import ADDRESS  # noqa: E402


@pytest.fixture
def packed_order(shop, personas):  # noqa: F811
    make_charter(personas.coop_a)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    pack_order(order, user=personas.manager_a)
    order.refresh_from_db()
    return order


def test_a_buyer_reports_from_the_order_and_is_refunded_the_bad_eggs_value(shop, personas, packed_order,  # noqa: F811
                                                                           client_for):
    buyer = client_for(personas.buyer)
    url = f"/t/{shop.batch.code}/report/"
    form = buyer.get(f"{url}?order={packed_order.number}").content.decode()
    assert f'value="{packed_order.number}"' in form
    buyer.post(url, {"eggs": 2, "defect": "rotten", "order": packed_order.number})
    report = BadEggReport.objects.get()
    assert (report.source, report.order_ref) == (BadEggReport.SOURCE_ORDER, packed_order.number)

    confirm(report, personas.manager_a)
    report.refresh_from_db()
    refund = orders_models.Refund.objects.get(order=packed_order)
    assert refund.amount_fen == 798  # ¥39.90 a box of 10 → 2 eggs = ¥7.98
    assert refund.out_refund_no == f"{report.reference}R"
    assert "¥7.98" in report.remedy
    # Paid in cash: the refund waits for the manager to hand the money back, and the remedy says so.
    assert refund.status == orders_models.Refund.AWAITING_OFFLINE and "待管理员线下退还" in report.remedy
    from quality.services.reports import grant_remedy

    grant_remedy(report)  # a retry refunds nothing more
    assert orders_models.Refund.objects.filter(order=packed_order).count() == 1
    packed_order.refresh_from_db()
    assert packed_order.status != orders_models.Order.REFUNDED  # compensation, not a cancelled order


def test_someone_elses_order_is_not_linked(shop, personas, packed_order, client_for):  # noqa: F811
    stranger = client_for(personas.outsider)
    url = f"/t/{shop.batch.code}/report/"
    page = stranger.get(f"{url}?order={packed_order.number}").content.decode()
    assert f'name="order" value="{packed_order.number}"' not in page
    stranger.post(url, {"eggs": 1, "defect": "rotten", "order": packed_order.number})
    assert BadEggReport.objects.get().order_ref == ""


def test_without_a_payment_the_entitlement_is_recorded_for_replacement(shop, personas, client_for):  # noqa: F811
    make_charter(personas.coop_a)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    from quality.services.reports import submit_report

    report, _m = submit_report(batch=shop.batch, eggs=1, defect="cracked", order_ref=order.number,
                               source=BadEggReport.SOURCE_ORDER, rate_limited=False)
    confirm(report, personas.manager_a)
    report.refresh_from_db()
    assert "补发" in report.remedy
    assert not orders_models.Refund.objects.exists()
