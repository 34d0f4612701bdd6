import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import AuditEvent, Delivery, LedgerEntry, Notification
from coop.services import ledger
from coop.services.intake import DeliveryError, record_delivery
from tests.factories import deliver, make_farmer, set_prices

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def nothing_written():
    return not Delivery.objects.exists() and not LedgerEntry.objects.exists()


def test_it_credits_accepted_eggs_at_the_price_of_the_day(personas):
    set_prices(personas.coop_a)
    d = deliver(personas.farmer_a, accepted={"XL": 2, "L": 10}, rejected={"cracked": 3},
                inspector=personas.inspector_a)
    assert d.eggs_brought == 15 and d.accepted == 12 and d.rejected == 3
    assert d.amount_due == Decimal("18.60")  # 2×1.80 + 10×1.50; the 3 cracked eggs earn nothing
    assert ledger.balance(personas.farmer_a) == Decimal("18.60")
    entry = LedgerEntry.objects.get()
    assert entry.dedupe_key == f"delivery:{d.pk}" and entry.source_id == d.pk
    assert AuditEvent.objects.filter(action="delivery.recorded", object_id=str(d.pk)).exists()


def test_it_keeps_the_price_of_its_day_when_prices_change_later(personas):
    set_prices(personas.coop_a, day=TODAY() - datetime.timedelta(days=30), L="1.50")
    d = deliver(personas.farmer_a, accepted={"L": 10})
    set_prices(personas.coop_a, day=TODAY(), L="2.00")
    d.refresh_from_db()
    assert d.price_l == Decimal("1.50") and d.amount_due == Decimal("15.00")
    later = deliver(personas.farmer_a, accepted={"L": 10})
    assert later.amount_due == Decimal("20.00")


def test_it_uses_the_price_in_force_on_the_delivery_day_not_today(personas):
    set_prices(personas.coop_a, day=TODAY() - datetime.timedelta(days=30), L="1.50")
    set_prices(personas.coop_a, day=TODAY() - datetime.timedelta(days=2), L="1.70")
    old = record_delivery(farmer=personas.farmer_a, laid_from=TODAY() - datetime.timedelta(days=6),
                          accepted={"L": 10}, received_at=timezone.now() - datetime.timedelta(days=5))
    assert old.price_l == Decimal("1.50")


def test_rejected_eggs_are_never_paid(personas):
    set_prices(personas.coop_a)
    d = deliver(personas.farmer_a, accepted={}, rejected={"rotten": 5, "dirty": 5})
    assert d.amount_due == 0 and ledger.balance(personas.farmer_a) == 0
    assert not LedgerEntry.objects.exists()


def test_counts_that_do_not_add_up_are_refused_and_change_nothing(personas):
    set_prices(personas.coop_a)
    with pytest.raises(DeliveryError, match="不符"):
        deliver(personas.farmer_a, accepted={"L": 10}, rejected={"cracked": 1}, eggs_brought=12)
    assert nothing_written()


@pytest.mark.parametrize("kwargs, message", [
    ({"accepted": {"L": -3}}, "不能是负数"),
    ({"accepted": {"L": "many"}}, "必须是整数"),
    ({"laid_days_ago": -2}, "不能晚于收蛋日期"),
    ({"received_at": timezone.now() + datetime.timedelta(days=1)}, "不能晚于现在"),
    ({"accepted": {"L": 0}}, "不能为 0"),
    ({"accepted": {"XXL": 3}}, "未知"),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(personas, kwargs, message):
    set_prices(personas.coop_a)
    with pytest.raises(DeliveryError, match=message):
        deliver(personas.farmer_a, **kwargs)
    assert nothing_written()
    assert not Notification.objects.exists()


def test_an_unknown_farmer_is_refused(personas):
    set_prices(personas.coop_a)
    with pytest.raises(DeliveryError, match="找不到"):
        record_delivery(farmer=999999, laid_from=TODAY(), accepted={"L": 1})
    # A farmer of another cooperative is as unknown as a missing one.
    with pytest.raises(DeliveryError, match="找不到"):
        record_delivery(farmer=personas.farmer_b.pk, cooperative=personas.coop_a, laid_from=TODAY(),
                        accepted={"L": 1})
    assert nothing_written()


def test_a_suspended_farmer_is_refused_with_the_date(personas):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.suspended_until = TODAY() + datetime.timedelta(days=7)
    farmer.suspension_reason = "连续两次交坏蛋"
    farmer.save()
    with pytest.raises(DeliveryError, match="暂停收购") as exc:
        deliver(farmer)
    assert "连续两次交坏蛋" in str(exc.value)
    assert nothing_written()
    farmer.suspended_until = TODAY() - datetime.timedelta(days=1)
    farmer.save()
    assert deliver(farmer).pk


def test_a_missing_price_is_refused(personas):
    with pytest.raises(DeliveryError, match="收购价"):
        deliver(personas.farmer_a)
    assert nothing_written()


def test_more_eggs_than_the_hens_can_lay_is_recorded_but_held_unpaid(personas):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.hens = 10
    farmer.save()
    fine = deliver(farmer, accepted={"L": 10})
    assert not fine.flagged
    odd = deliver(farmer, accepted={"L": 25})
    assert odd.flagged and "10 只母鸡" in odd.flag_reason
    assert ledger.balance(farmer) == Decimal("15.00")  # the 25 are paid once a manager confirms them


def test_a_resend_with_the_same_key_returns_the_first_delivery(personas):
    set_prices(personas.coop_a)
    first = deliver(personas.farmer_a, accepted={"L": 20}, idempotency_key="phone-1-0001")
    again = deliver(personas.farmer_a, accepted={"L": 20}, idempotency_key="phone-1-0001")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Delivery.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_a_different_delivery_reusing_a_key_is_refused_not_swallowed(personas):
    """A stale page's key on another household's eggs: before, the server answered "already
    recorded" and the second delivery existed nowhere."""
    set_prices(personas.coop_a)
    first = deliver(personas.farmer_a, accepted={"L": 20}, idempotency_key="phone-1-0001")
    for other in ({"farmer": personas.farmer_a, "accepted": {"L": 99}},
                  {"farmer": make_farmer(personas.coop_a, personas.village_a), "accepted": {"L": 20}},
                  {"farmer": personas.farmer_a, "accepted": {"L": 20}, "rejected": {"cracked": 1}}):
        with pytest.raises(DeliveryError, match=f"已用于回执号 {first.pk}") as exc:
            deliver(other.pop("farmer"), idempotency_key="phone-1-0001", **other)
        assert exc.value.status == 409 and exc.value.code == "key_reused"
    assert Delivery.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_the_farmer_gets_a_receipt_once(personas, django_capture_on_commit_callbacks):
    set_prices(personas.coop_a)
    with django_capture_on_commit_callbacks(execute=True):
        d = deliver(personas.farmer_a, accepted={"L": 10}, rejected={"cracked": 2})
    deliver(personas.farmer_a, idempotency_key=None)  # another delivery, another receipt
    note = Notification.objects.get(dedupe_key=f"delivery:{d.pk}:receipt")
    assert note.farmer == personas.farmer_a
    assert "合格 10 枚" in note.body and "¥15.00" in note.body and "裂纹蛋2枚" in note.body
    assert note.status == Notification.SENT  # the eager task sent it through the console channel


def test_a_correction_is_a_new_adjustment_entry_and_the_delivery_never_changes(personas):
    from coop.services.intake import adjust_delivery

    set_prices(personas.coop_a)
    d = deliver(personas.farmer_a, accepted={"L": 20})
    adjust_delivery(d, amount="-3.00", reason="两枚蛋后来发现有裂纹", user=personas.manager_a, key="a1")
    adjust_delivery(d, amount="-3.00", reason="两枚蛋后来发现有裂纹", user=personas.manager_a, key="a1")  # double click
    d.refresh_from_db()
    assert d.amount_due == Decimal("30.00") and d.accepted_l == 20
    assert ledger.balance(personas.farmer_a) == Decimal("27.00")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.ADJUSTMENT).count() == 1
    with pytest.raises(DeliveryError, match="原因"):
        adjust_delivery(d, amount="1", reason="", key="a2")
