"""The reconciliation reads one snapshot of the books: a delivery recorded while it runs is no mismatch.

Without the snapshot (``reconcile.SNAPSHOT = False``) the run reads the ledger, then — after another
person recorded a delivery with its credit — the deliveries, and reports the new delivery as uncredited.
"""

import threading

import pytest
from django.db import connection

from coop.models import Delivery
from quality.services import reconcile
from tests.conftest import requires_postgres
from tests.factories import deliver, set_prices

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


class _RacingDeliveries:
    """``Delivery`` for the reconciliation, except that reading the deliveries first lets another
    connection record (and commit) one more delivery with its credit: the moment between two reads."""

    _meta = Delivery._meta

    def __init__(self, farmer):
        self.farmer, self.raced = farmer, []

    @property
    def objects(self):
        if not self.raced:
            def record():
                try:
                    self.raced.append(deliver(self.farmer, accepted={"L": 5}))
                finally:
                    connection.close()
            thread = threading.Thread(target=record)
            thread.start()
            thread.join(30)
        return Delivery.objects


@pytest.mark.parametrize("snapshot", [True, False])
def test_a_delivery_recorded_during_the_run_is_no_mismatch(personas, monkeypatch, snapshot):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 10})
    racing = _RacingDeliveries(personas.farmer_a)
    monkeypatch.setattr(reconcile, "Delivery", racing)
    monkeypatch.setattr(reconcile, "SNAPSHOT", snapshot)
    run = reconcile.run_reconciliation(checks=["delivery_credits"])
    assert racing.raced, "the other delivery was recorded during the run"
    if snapshot:
        assert run.mismatches == []
    else:  # the race is real: without one snapshot the new delivery looks uncredited
        assert [(m["kind"], m["object"]) for m in run.mismatches] == [
            ("delivery.credit", f"交蛋记录 {racing.raced[0].pk}")]
