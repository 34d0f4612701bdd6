"""Correcting a delivery's egg counts: cancel-and-amend, as ERPNext does for a Purchase Receipt.

Before, only the money of a delivery could be corrected: phantom eggs stayed in stock and were packed."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from coop.models import AuditEvent, Delivery, LedgerEntry, Notification
from coop.services import ledger
from coop.services.exports import deliveries_table
from coop.services.intake import DeliveryError, correct_delivery
from coop.services.packing import available_stock, pack_batch
from tests.factories import deliver, give_pin, set_prices, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def typo(personas):
    """200 eggs typed where 20 were brought (the household has 30 hens: not even flagged)."""
    set_prices(personas.coop_a)
    personas.farmer_a.hens = 300
    personas.farmer_a.save()
    d = deliver(personas.farmer_a, accepted={"L": 200}, rejected={"cracked": 2})
    assert not d.flagged
    return d


def test_a_correction_cancels_the_old_row_and_records_the_new_counts(typo, personas):
    new = correct_delivery(typo, accepted={"L": 20}, rejected={"cracked": 2}, reason="多打了一个0",
                           user=personas.manager_a)
    typo.refresh_from_db()
    assert typo.cancelled_at is not None and typo.accepted_l == 200  # kept as it was, for the record
    assert new.amended_from == typo and new.accepted_l == 20 and new.eggs_brought == 22
    assert new.amount_due == Decimal("30.00") and new.price_l == typo.price_l
    assert available_stock(personas.coop_a)["L"] == 20  # the 180 phantom eggs are gone from stock
    assert ledger.balance(personas.farmer_a) == Decimal("30.00")


def test_the_ledger_stays_append_only(typo, personas):
    credit = LedgerEntry.objects.get(dedupe_key=f"delivery:{typo.pk}")
    new = correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    credit.refresh_from_db()
    assert credit.amount == Decimal("300.00")  # the old line is untouched…
    reversal = LedgerEntry.objects.get(dedupe_key=f"delivery:{typo.pk}:cancel")
    assert reversal.amount == Decimal("-300.00") and "多打了一个0" in reversal.reason  # …and reversed
    assert LedgerEntry.objects.get(dedupe_key=f"delivery:{new.pk}").amount == Decimal("30.00")
    assert LedgerEntry.objects.count() == 3


def test_it_is_audited_and_the_household_gets_a_corrected_receipt(typo, personas):
    new = correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    cancelled = AuditEvent.objects.get(action="delivery.cancelled", object_id=str(typo.pk))
    amended = AuditEvent.objects.get(action="delivery.amended", object_id=str(new.pk))
    assert cancelled.actor == personas.manager_a and cancelled.reason == "多打了一个0"
    assert amended.data["old"]["accepted"]["L"] == 200 and amended.data["new"]["accepted"]["L"] == 20
    text = Notification.objects.get(dedupe_key=f"delivery:{new.pk}:receipt").body
    assert f"回执号 {typo.pk} 作废" in text and "合格 20 枚" in text


def test_it_refuses_once_the_eggs_are_packed(typo, personas):
    pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=2)
    with pytest.raises(DeliveryError, match="请先更正批次") as exc:
        correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    assert exc.value.status == 409
    typo.refresh_from_db()
    assert typo.cancelled_at is None and Delivery.objects.count() == 1 and LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"accepted": {"L": 20}, "reason": " "}, "请写明更正原因"),
    ({"accepted": {"L": 200}, "rejected": {"cracked": 2}, "reason": "x"}, "与原记录相同"),
    ({"accepted": {"L": -1}, "reason": "x"}, "不能是负数"),
    ({"accepted": {}, "reason": "x"}, "不能为 0"),
])
def test_bad_corrections_are_refused_and_change_nothing(typo, personas, kwargs, message):
    with pytest.raises(DeliveryError, match=message):
        correct_delivery(typo, user=personas.manager_a, **kwargs)
    assert Delivery.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_a_delivery_is_corrected_once(typo, personas):
    new = correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    with pytest.raises(DeliveryError, match=f"新回执号 {new.pk}"):
        correct_delivery(typo, accepted={"L": 21}, reason="再改", user=personas.manager_a)
    assert Delivery.objects.count() == 2 and ledger.balance(personas.farmer_a) == Decimal("30.00")


def test_correcting_a_held_delivery_releases_the_corrected_counts(personas):
    set_prices(personas.coop_a)
    personas.farmer_a.hens = 5
    personas.farmer_a.save()
    held = deliver(personas.farmer_a, accepted={"L": 100_000})
    new = correct_delivery(held, accepted={"L": 5}, reason="应为5枚", user=personas.manager_a)
    assert not new.held and available_stock(personas.coop_a)["L"] == 5
    assert ledger.balance(personas.farmer_a) == Decimal("7.50")
    assert not LedgerEntry.objects.filter(dedupe_key=f"delivery:{held.pk}:cancel").exists()  # never credited


def test_managers_correct_counts_from_the_admin(typo, personas, client_for):
    c = client_for(personas.manager_a)
    ask = c.post("/admin/coop/delivery/", {"action": "correct", ACTION_CHECKBOX_NAME: [typo.pk]})
    assert ask.status_code == 200 and "更正原因" in ask.content.decode()
    assert 'value="200"' in ask.content.decode()  # starts from the counts as recorded
    form = {"action": "correct", ACTION_CHECKBOX_NAME: [typo.pk], "confirm": "1", "reason": "多打了一个0",
            "accepted_xl": 0, "accepted_l": 20, "accepted_m": 0, "accepted_s": 0, "rejected_cracked": 2,
            "rejected_dirty": 0, "rejected_blood": 0, "rejected_rotten": 0, "rejected_undersized": 0,
            "rejected_other": 0}
    c.post("/admin/coop/delivery/", form)
    assert Delivery.objects.get(amended_from=typo).accepted_l == 20
    assert available_stock(personas.coop_a)["L"] == 20


def test_the_farmer_pages_and_the_export_show_the_corrected_counts_once(typo, personas):
    new = correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    _title, _headers, rows = deliveries_table([personas.coop_a.pk])
    assert [row[4] for row in rows] == [20]  # eggs brought: the correction, not 202 + 20
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    listing = c.get("/farmer/deliveries/").content.decode()
    assert f"/farmer/deliveries/{new.pk}/" in listing and f"/farmer/deliveries/{typo.pk}/" not in listing
    home = c.get("/farmer/")
    assert home.context["month"]["brought"] == 20


def test_the_old_receipt_says_it_was_cancelled_and_by_which(typo, personas, client_for):
    new = correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)
    page = client_for(personas.inspector_a).get(f"/intake/receipt/{typo.pk}/").content.decode()
    assert "已作废" in page and f"已更正为回执号 {new.pk}" in page
