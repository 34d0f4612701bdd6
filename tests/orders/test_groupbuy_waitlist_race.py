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
