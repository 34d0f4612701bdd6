"""Two managers award hygiene rewards at the same moment from a reserve that covers only one."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from coop.models import FundEntry, HygieneScore
from coop.services import fund
from tests.conftest import requires_postgres
from tests.factories import make_farmer

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_awards_never_take_the_reserve_below_zero(personas):
    others = [make_farmer(personas.coop_a, personas.village_a) for _ in range(3)]
    fund.record_donation(cooperative=personas.coop_a, donor="紫南村", amount="100", hygiene_reserve="100")
    insp = fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a,
                                  scores={f: 90 for f in [personas.farmer_a, *others]})
    scores = list(insp.scores.all())
    barrier, outcomes = threading.Barrier(len(scores)), []

    def award(score):
        try:
            barrier.wait()
            fund.award_hygiene(score, amount="60")
            outcomes.append("awarded")
        except fund.FundError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=award, args=(s,)) for s in scores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("awarded") == 1 and outcomes.count("refused") == 3
    assert fund.balance(personas.coop_a, FundEntry.HYGIENE) == Decimal("40.00")
    assert HygieneScore.objects.filter(awarded_at__isnull=False).count() == 1
