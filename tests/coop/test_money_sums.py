"""Issue 14.13: sums of money are Decimals to the fen on SQLite too (no "¥190.300000000000")."""

from decimal import Decimal

import pytest
from django.utils import timezone

from coop.lib.money import apportion
from coop.models import LedgerEntry, Settlement
from coop.services import ledger
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from quality.services.dashboard import dashboard_context

pytestmark = pytest.mark.django_db


def credit(farmer, amount, key):
    ledger.post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount=Decimal(amount), reason="奖励", dedupe_key=key)


def test_a_balance_is_exact_to_the_fen(personas):
    # 190.10 + 0.20 is 190.29999999999998 in floating point, which SQLite's SUM returns.
    credit(personas.farmer_a, "190.10", "r:1")
    credit(personas.farmer_a, "0.20", "r:2")
    assert str(ledger.balance(personas.farmer_a)) == "190.30"


def test_the_farmer_pages_and_dashboard_show_money_not_float_noise(personas, client_for):
    credit(personas.farmer_a, "190.10", "r:1")
    credit(personas.farmer_a, "0.20", "r:2")
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get()
    approve_settlement(s)
    pay_settlement(s, reference="WX1")
    rows = {code: v for code, _l, _n, v in dashboard_context(personas.manager_a)["settlements"]["rows"]}
    assert str(rows[Settlement.PAID]) == "190.30"
    rewards = client_for(personas.farmer_a.user).get("/farmer/rewards/")
    assert str(rewards.context["total"]) == "190.30"


def test_apportioned_shares_add_up_to_their_total():
    thirds = {"a": Decimal("79.80") / 3, "b": Decimal("79.80") / 3, "c": Decimal("79.80") / 3 + Decimal("0.006")}
    shares = apportion(thirds, Decimal("79.81"))
    assert sum(shares.values()) == Decimal("79.81") and all(str(v).count(".") and len(str(v).split(".")[1]) == 2
                                                             for v in shares.values())
    assert shares["c"] == Decimal("26.61")  # the largest remainder takes the leftover fen
