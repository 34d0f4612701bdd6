"""A manager corrects a delivery's counts while another packs its eggs: never both.

Runs on PostgreSQL (where the lock is real). The packer's stock read is slowed so the correction
starts while the packer is between reading the stock and writing its batch. With locking on, the
correction waits for the stock lock, then sees the eggs packed and refuses. With locking off the
same test shows a batch packed from a cancelled delivery — phantom eggs sold — so the lock is
what prevents it.
"""

import time

import pytest

from coop.models import BatchContribution, Delivery
from coop.services import packing
from coop.services.intake import DeliveryError, correct_delivery
from tests.conftest import requires_postgres
from tests.factories import deliver, set_prices
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _race(personas, monkeypatch):
    set_prices(personas.coop_a)
    personas.farmer_a.hens = 300
    personas.farmer_a.save()
    typo = deliver(personas.farmer_a, accepted={"L": 200})
    original = packing.deliveries_in_stock

    def slow_read(*args, **kwargs):
        rows = list(original(*args, **kwargs))
        time.sleep(0.8)  # the correction runs now, before the packer writes its batch
        return rows

    monkeypatch.setattr(packing, "deliveries_in_stock", slow_read)

    def corrector():
        time.sleep(0.3)  # the packer has read the stock and holds the lock
        return correct_delivery(typo, accepted={"L": 20}, reason="多打了一个0", user=personas.manager_a)

    # A refusal (PackingError, DeliveryError) is returned in its call's place by the harness.
    pack, correct = run_parallel([
        lambda: packing.pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=10),
        corrector])
    results = {"pack": pack, "correct": correct}
    assert not errors(results.values(), packing.PackingError, DeliveryError), results
    phantom = BatchContribution.objects.filter(delivery__cancelled_at__isnull=False).count()
    return results, typo, phantom


def test_a_correction_waits_for_packing_and_refuses_packed_eggs(personas, monkeypatch):
    results, typo, phantom = _race(personas, monkeypatch)
    assert phantom == 0
    assert isinstance(results["correct"], DeliveryError) and "请先更正批次" in results["correct"].message
    assert Delivery.objects.get(pk=typo.pk).cancelled_at is None


def test_without_the_lock_the_race_is_real(personas, monkeypatch, settings):
    settings.GREENSHELL_LOCKING = False
    results, typo, phantom = _race(personas, monkeypatch)
    # The correction cancelled the delivery and the packer still packed its eggs.
    assert phantom == 1 and not isinstance(results["correct"], DeliveryError)
