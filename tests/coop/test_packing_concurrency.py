"""Two managers pack the last eggs at the same moment: only one batch may take them.

Runs on PostgreSQL (where the lock is real), through the shared harness ``run_parallel``: each thread has
its own database connection. The
read of the stock is slowed down so both threads are inside ``pack_batch`` together; with locking
on, the second waits for the first to commit and then sees the stock gone. With locking switched
off the same test shows eggs packed twice — the race is real and the lock is what stops it.
"""

import time

import pytest

from coop.models import BatchContribution
from coop.services import packing
from tests.conftest import requires_postgres
from tests.factories import deliver, set_prices
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _race(personas, monkeypatch):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 30})
    original = packing.deliveries_in_stock

    def slow_read(*args, **kwargs):
        rows = list(original(*args, **kwargs))
        time.sleep(0.6)  # both packers have read the stock before either writes (without a lock)
        return rows

    monkeypatch.setattr(packing, "deliveries_in_stock", slow_read)
    results = run_parallel([lambda: packing.pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10,
                                                       boxes=3) for _ in range(2)])
    assert not errors(results, packing.PackingError), results  # "库存不足" is the only refusal expected
    packed = sum(BatchContribution.objects.values_list("eggs", flat=True))
    return results, packed


def test_two_managers_packing_the_last_eggs_cannot_overpack(personas, monkeypatch):
    results, packed = _race(personas, monkeypatch)
    assert packed == 30
    errors = [r for r in results if isinstance(r, packing.PackingError)]
    assert len(results) == 2 and len(errors) == 1 and "库存不足" in errors[0].message


def test_without_the_lock_the_race_is_real(personas, monkeypatch, settings):
    settings.GREENSHELL_LOCKING = False
    results, packed = _race(personas, monkeypatch)
    # Both batches took the same 30 eggs: proof that the lock is what prevents it.
    assert packed == 60
    assert sorted(b.code[-2:] for b in results) == ["01", "02"]
