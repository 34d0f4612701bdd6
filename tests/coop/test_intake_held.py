"""100,000 eggs from 5 hens: a flagged delivery is held — out of stock and unpaid — until a manager
confirms or corrects it."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from coop.models import AuditEvent, Delivery, LedgerEntry, Notification, Settlement
from coop.services import ledger
from coop.services.intake import DeliveryError, confirm_delivery
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.services.settlements import month_bounds, settle_period
from quality.services.dashboard import deliveries_summary, eggs_to_pack
from tests.factories import deliver, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def implausible(personas):
    """A household of 5 hens that "brought" 100,000 eggs yesterday, beside a plausible one."""
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.hens = 5
    farmer.save()
    deliver(farmer, accepted={"L": 4})  # 4 eggs from 5 hens: fine
    held = deliver(farmer, accepted={"L": 100_000})
    assert held.flagged and held.held
    return held


def test_it_keeps_a_held_delivery_out_of_stock_and_packing(implausible, personas):
    assert available_stock(personas.coop_a)["L"] == 4
    assert eggs_to_pack([personas.coop_a.pk], timezone.localdate())["L"] == 4
    with pytest.raises(PackingError, match="库存不足"):
        pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=1)


def test_it_does_not_credit_or_settle_a_held_delivery(implausible, personas):
    assert ledger.balance(personas.farmer_a) == Decimal("6.00")  # the 4 plausible eggs only
    assert not LedgerEntry.objects.filter(dedupe_key=f"delivery:{implausible.pk}").exists()
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end, cooperative_ids=[personas.coop_a.pk])
    s = Settlement.objects.get(farmer=personas.farmer_a)
    assert s.gross == Decimal("6.00") and s.net == Decimal("6.00")


def test_the_dashboard_does_not_count_a_held_delivery(implausible, personas):
    week = deliveries_summary([personas.coop_a.pk], timezone.localdate())
    assert week["totals"]["brought"] == 4 and week["totals"]["amount"] == Decimal("6.00")
    assert week["totals"]["held"] == 1


def test_a_confirmed_delivery_enters_stock_and_is_credited_once(implausible, personas):
    confirm_delivery(implausible, user=personas.manager_a, reason="电话核实：代全村收的蛋")
    assert available_stock(personas.coop_a)["L"] == 100_004
    assert ledger.balance(personas.farmer_a) == Decimal("150006.00")
    event = AuditEvent.objects.get(action="delivery.confirmed", object_id=str(implausible.pk))
    assert event.reason == "电话核实：代全村收的蛋" and event.actor == personas.manager_a
    with pytest.raises(DeliveryError, match="不在待核查状态") as exc:
        confirm_delivery(implausible, user=personas.manager_a)
    assert exc.value.status == 409
    assert LedgerEntry.objects.filter(dedupe_key=f"delivery:{implausible.pk}").count() == 1


def test_managers_confirm_held_deliveries_from_the_admin(implausible, personas, client_for):
    c = client_for(personas.manager_a)
    listing = c.get("/admin/coop/delivery/").content.decode()
    assert "待核查（暂扣）" in listing
    c.post("/admin/coop/delivery/", {"action": "mark_reviewed", ACTION_CHECKBOX_NAME: [implausible.pk]})
    assert not Delivery.objects.get(pk=implausible.pk).flagged
    assert LedgerEntry.objects.filter(dedupe_key=f"delivery:{implausible.pk}").exists()


def test_an_inspector_cannot_confirm_a_held_delivery(implausible, personas, client_for):
    c = client_for(personas.inspector_a)
    c.post("/admin/coop/delivery/", {"action": "mark_reviewed", ACTION_CHECKBOX_NAME: [implausible.pk]})
    assert Delivery.objects.get(pk=implausible.pk).held


def test_a_credit_posted_before_holding_existed_is_not_settled_while_held(personas):
    """Deliveries flagged before this change were credited at once; their line waits for the review."""
    set_prices(personas.coop_a)
    personas.farmer_a.hens = 5
    personas.farmer_a.save()
    held = deliver(personas.farmer_a, accepted={"L": 100_000})
    ledger.post_entry(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY, amount=held.amount_due, reason="旧记录",
                      source=held, dedupe_key=f"delivery:{held.pk}")
    start, end = month_bounds(timezone.localdate())
    assert settle_period(period_start=start, period_end=end, cooperative_ids=[personas.coop_a.pk])[
        "lines_settled"] == 0
    confirm_delivery(held, user=personas.manager_a)
    assert LedgerEntry.objects.filter(dedupe_key=f"delivery:{held.pk}").count() == 1  # not credited twice
    settle_period(period_start=start, period_end=end, cooperative_ids=[personas.coop_a.pk])
    assert Settlement.objects.get(farmer=personas.farmer_a).gross == Decimal("150000.00")


def test_the_household_is_told_a_held_delivery_waits_for_review(implausible, personas):
    body = Notification.objects.get(dedupe_key=f"delivery:{implausible.pk}:receipt").body
    assert "待管理员核查" in body


def test_a_manager_confirms_a_held_delivery_from_its_receipt(implausible, personas, client_for):
    url = f"/intake/receipt/{implausible.pk}/"
    inspector = client_for(personas.inspector_a)
    page = inspector.get(url).content.decode()
    assert "不入库、不结算" in page and "确认入库" not in page  # an inspector sees it held, cannot confirm
    assert inspector.post(f"{url}confirm/").status_code == 404
    assert Delivery.objects.get(pk=implausible.pk).held
    manager = client_for(personas.manager_a)
    assert "确认入库" in manager.get(url).content.decode()
    assert client_for(personas.manager_b).post(f"{url}confirm/").status_code == 404  # another cooperative
    assert manager.get(f"{url}confirm/").status_code == 405  # no writes on GET
    r = manager.post(f"{url}confirm/", {"reason": "电话核实"}, follow=True)
    assert "已确认" in r.content.decode()
    assert not Delivery.objects.get(pk=implausible.pk).flagged
    assert AuditEvent.objects.get(action="delivery.confirmed").reason == "电话核实"
    r = manager.post(f"{url}confirm/", follow=True)  # a second click: refused, credited once
    assert "不在待核查状态" in r.content.decode()
    assert LedgerEntry.objects.filter(dedupe_key=f"delivery:{implausible.pk}").count() == 1
