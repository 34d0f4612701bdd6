"""Two managers award hygiene rewards at the same moment from a reserve that covers only one."""

from decimal import Decimal

import pytest

from coop.models import FundEntry, HygieneScore
from coop.services import fund
from tests.conftest import requires_postgres
from tests.factories import make_farmer
from tests.trust.parallel import run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_awards_never_take_the_reserve_below_zero(personas):
    others = [make_farmer(personas.coop_a, personas.village_a) for _ in range(3)]
    fund.record_donation(cooperative=personas.coop_a, donor="紫南村", amount="100", hygiene_reserve="100")
    insp = fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a,
                                  scores={f: 90 for f in [personas.farmer_a, *others]})
    scores = list(insp.scores.all())
    outcomes = run_parallel([lambda score=score: fund.award_hygiene(score, amount="60") for score in scores])
    refused = [o for o in outcomes if isinstance(o, fund.FundError)]
    awarded = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(awarded) == 1 and len(refused) == 3, outcomes
    assert fund.balance(personas.coop_a, FundEntry.HYGIENE) == Decimal("40.00")
    assert HygieneScore.objects.filter(awarded_at__isnull=False).count() == 1
