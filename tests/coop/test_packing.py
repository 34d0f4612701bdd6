import datetime

import pytest
from django.utils import timezone

from coop.models import AuditEvent, BatchContribution
from coop.services.packing import PackingError, available_stock, pack_batch
from tests.factories import deliver, make_farmer, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(personas):
    set_prices(personas.coop_a)
    other = make_farmer(personas.coop_a, head_name="阿苏伍沙")
    old = deliver(personas.farmer_a, accepted={"L": 12}, laid_days_ago=6)
    new = deliver(other, accepted={"L": 20, "M": 5}, laid_days_ago=2)
    return personas, old, new


def test_it_packs_first_in_first_out_and_traces_every_egg(stocked):
    p, old, new = stocked
    batch = pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=2, user=p.manager_a)
    contributions = {c.delivery_id: c.eggs for c in BatchContribution.objects.filter(batch=batch)}
    assert contributions == {old.pk: 12, new.pk: 8}
    assert sum(contributions.values()) == batch.eggs == 20
    assert batch.laid_from == old.laid_from
    assert batch.best_before == old.laid_from + datetime.timedelta(days=28)
    assert batch.code == f"{p.coop_a.producer_code}-{timezone.localdate():%Y%m%d}-01"
    assert AuditEvent.objects.filter(action="batch.packed", actor=p.manager_a).exists()
    assert available_stock(p.coop_a) == {"XL": 0, "L": 12, "M": 5, "S": 0}


def test_the_next_batch_of_the_day_gets_the_next_number(stocked):
    p, _old, _new = stocked
    first = pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=1)
    second = pack_batch(cooperative=p.coop_a, weight_class="M", pack_size=5, boxes=1)
    assert first.code.endswith("-01") and second.code.endswith("-02")


def test_it_cannot_pack_more_than_the_stock(stocked):
    p, _old, _new = stocked
    with pytest.raises(PackingError, match="库存不足.*只有 32 枚"):
        pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=4)
    assert not BatchContribution.objects.exists()
    pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=16, boxes=2)
    with pytest.raises(PackingError, match="只有 0 枚"):
        pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=1, boxes=1)


def test_eggs_older_than_the_packing_window_are_not_packed(personas):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 30}, laid_days_ago=11)
    with pytest.raises(PackingError, match="库存不足"):
        pack_batch(cooperative=personas.coop_a, weight_class="L", pack_size=10, boxes=1)


def test_a_shorter_shelf_life_may_be_chosen_but_never_longer_than_28_days(stocked):
    p, old, _new = stocked
    batch = pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=1, shelf_days=21)
    assert batch.best_before == old.laid_from + datetime.timedelta(days=21)
    with pytest.raises(PackingError, match="28"):
        pack_batch(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=1, shelf_days=35)


def test_another_cooperatives_stock_is_never_packed(stocked):
    p, _old, _new = stocked
    with pytest.raises(PackingError, match="库存不足"):
        pack_batch(cooperative=p.coop_b, weight_class="L", pack_size=10, boxes=1)


@pytest.mark.parametrize("kw, field", [({"boxes": 0}, "boxes"), ({"pack_size": -1}, "pack_size"),
                                       ({"weight_class": "Q"}, "weight_class")])
def test_bad_numbers_are_refused(stocked, kw, field):
    p, _old, _new = stocked
    args = dict(cooperative=p.coop_a, weight_class="L", pack_size=10, boxes=1) | kw
    with pytest.raises(PackingError) as exc:
        pack_batch(**args)
    assert exc.value.field == field
