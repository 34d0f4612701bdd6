from decimal import Decimal

import pytest

from coop.models import FundEntry, HygieneInspection, LedgerEntry
from coop.services import fund, ledger
from tests.factories import make_farmer, make_village

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(personas):
    neighbour = make_farmer(personas.coop_a, personas.village_a, head_name="沙马阿依")
    fund.record_donation(cooperative=personas.coop_a, donor="佛山市禅城区紫南村", amount="1000",
                         hygiene_reserve="150", purpose="鸡舍改造和卫生奖励", user=personas.manager_a)
    insp = fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a,
                                  scores={personas.farmer_a: 96, neighbour: 71}, inspectors="村两委",
                                  user=personas.manager_a)
    return personas, insp


def test_a_donation_splits_into_the_general_fund_and_the_hygiene_reserve(inspection):
    p, _insp = inspection
    assert fund.balances(p.coop_a) == {"general": Decimal("850.00"), "hygiene": Decimal("150.00")}


def test_an_award_moves_money_from_the_reserve_to_the_household_ledger(inspection):
    p, insp = inspection
    best = insp.scores.get(farmer=p.farmer_a)
    entry = fund.award_hygiene(best, amount="100", user=p.manager_a)
    assert entry.kind == LedgerEntry.REWARD and entry.amount == Decimal("100.00") and "96 分" in entry.reason
    assert ledger.balance(p.farmer_a) == Decimal("100.00")
    assert fund.balance(p.coop_a, FundEntry.HYGIENE) == Decimal("50.00")
    with pytest.raises(fund.FundError, match="已经发过"):
        fund.award_hygiene(best, amount="10")
    assert ledger.balance(p.farmer_a) == Decimal("100.00")


def test_the_reserve_never_goes_below_zero(inspection):
    p, insp = inspection
    second = insp.scores.exclude(farmer=p.farmer_a).get()
    fund.award_hygiene(insp.scores.get(farmer=p.farmer_a), amount="100")
    with pytest.raises(fund.FundError, match="只剩 ¥50.00"):
        fund.award_hygiene(second, amount="60")
    second.refresh_from_db()
    assert second.awarded_at is None and fund.balance(p.coop_a, FundEntry.HYGIENE) == Decimal("50.00")
    with pytest.raises(fund.FundError, match="不能转出"):
        fund.reserve_for_hygiene(cooperative=p.coop_a, amount="900")
    fund.reserve_for_hygiene(cooperative=p.coop_a, amount="850")
    assert fund.balances(p.coop_a) == {"general": Decimal("0.00"), "hygiene": Decimal("900.00")}


@pytest.mark.parametrize("kw, message", [
    ({"amount": "-5"}, "不能是负数"), ({"amount": "abc"}, "必须是金额"), ({"amount": "0"}, "大于 0"),
    ({"hygiene_reserve": "2000"}, "不能超过"), ({"donor": " "}, "捐赠方"),
])
def test_bad_donations_are_refused_and_change_nothing(personas, kw, message):
    args = dict(cooperative=personas.coop_a, donor="爱心人士", amount="100") | kw
    with pytest.raises(fund.FundError, match=message):
        fund.record_donation(**args)
    assert not FundEntry.objects.exists()


def test_an_inspection_only_scores_households_of_that_village(personas):
    elsewhere = make_farmer(personas.coop_a, make_village(personas.coop_a, name="瓦吾村"), head_name="阿牛木呷")
    with pytest.raises(fund.FundError, match="阿牛木呷 是瓦吾村的社员，这次评比的是尔吉村"):
        fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a, scores={elsewhere: 90})
    with pytest.raises(fund.FundError, match="不是本合作社的社员"):
        fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a,
                               scores={personas.farmer_b: 90})
    assert not HygieneInspection.objects.exists()
    with pytest.raises(fund.FundError, match="0 到 100"):
        fund.record_inspection(cooperative=personas.coop_a, village=personas.village_a,
                               scores={personas.farmer_a: 120})
