"""Twenty buyers tap 我要接龙 at once for the last 3 places of a chain: exactly 3 get in, the other 17 are
put on the waitlist (候补), and the chain is never oversold. Real PostgreSQL, real threads
(tests/trust/parallel.py); the chain's advisory lock is taken before its boxes are counted."""

import pytest

from orders.models import Buyer, Order, WaitlistEntry
from orders.services import groupbuys
from tests.conftest import requires_postgres
from tests.factories import make_group_buy, make_user
from tests.trust.parallel import errors, run_parallel

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

BUYERS = 20


def test_twenty_buyers_for_the_last_three_places_make_three_entries_and_seventeen_waitlisted(shop, personas,
                                                                                             settings):
    settings.GREENSHELL_LOCKING = True
    gb = make_group_buy(shop, personas.manager_a, stock_cap=10, per_person_limit=7)
    groupbuys.join(group_buy=gb, buyer=shop.buyer, boxes=7)  # 3 places left
    crowd = [Buyer.objects.create(user=make_user(), name=f"买家{n}") for n in range(BUYERS)]
    results = run_parallel([lambda b=b: groupbuys.join(group_buy=gb, buyer=b, boxes=1) for b in crowd])
    assert errors(results) == []
    joined = [order for order, _entry in results if order is not None]
    assert len(joined) == 3
    assert gb.boxes_taken() == 10
    assert Order.objects.filter(group_buy=gb, status=Order.PENDING_PAYMENT).count() == 4
    assert WaitlistEntry.objects.filter(group_buy=gb, status=WaitlistEntry.WAITING).count() == BUYERS - 3
    # Chain numbers stay unique and gapless: 1 for the first buyer, then 2, 3, 4.
    assert sorted(Order.objects.filter(group_buy=gb).values_list("chain_no", flat=True)) == [1, 2, 3, 4]


def test_places_freed_while_newcomers_rush_go_to_the_waitlist_in_order(shop, personas, settings):
    """3 entries of a full chain cancel while 10 newcomers tap 我要接龙: the 3 freed boxes are offered to the
    first 3 in line — no newcomer jumps the queue — and the chain plus what is kept never passes the cap."""
    settings.GREENSHELL_LOCKING = True
    gb = make_group_buy(shop, personas.manager_a, stock_cap=5, per_person_limit=1)
    entries = [groupbuys.join(group_buy=gb, buyer=Buyer.objects.create(user=make_user(), name=f"甲{n}"), boxes=1)[0]
               for n in range(5)]
    line = [groupbuys.join(group_buy=gb, buyer=Buyer.objects.create(user=make_user(), name=f"乙{n}"), boxes=1)[1]
            for n in range(5)]
    newcomers = [Buyer.objects.create(user=make_user(), name=f"丙{n}") for n in range(10)]
    calls = [lambda o=o: groupbuys.cancel_entry(Order.objects.get(pk=o.pk), buyer=o.buyer) for o in entries[:3]]
    calls += [lambda b=b: groupbuys.join(group_buy=gb, buyer=b, boxes=1) for b in newcomers]
    results = run_parallel(calls)
    assert errors(results) == []
    assert not Order.objects.filter(group_buy=gb, buyer__in=newcomers).exists()
    offered = WaitlistEntry.objects.filter(group_buy=gb, status=WaitlistEntry.OFFERED).order_by("created_at")
    assert [e.pk for e in offered] == [e.pk for e in line[:3]]
    assert gb.boxes_taken() + len(offered) == 5
