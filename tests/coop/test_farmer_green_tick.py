"""Issue 16 item 3: "a green ✓ never means 'needs review'". A delivery held for review (待核查: more eggs than
the hens could lay) counts nowhere until a manager confirms it; the household's pages showed it with the green
✓ of accepted eggs and the green "这次应得" card, as if it were money on its way."""

import re

import pytest
from django.test import Client

from tests.factories import give_pin, make_delivery, sign_in

pytestmark = pytest.mark.django_db
CHECK = "farmer-icons.svg#check"


@pytest.fixture
def household(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    return c


def _item(listing, pk):
    return re.search(rf'<a class="item" href="/farmer/deliveries/{pk}/">(.*?)</a>', listing, re.S).group(1)


def test_a_held_delivery_is_amber_and_waiting_never_a_green_tick(personas, household):
    held = make_delivery(personas.farmer_a, accepted={"L": 300}, flagged=True, flag_reason="超过母鸡能产的枚数")
    fine = make_delivery(personas.farmer_a, accepted={"L": 20})
    listing = household.get("/farmer/deliveries/").content.decode()
    held_row, fine_row = _item(listing, held.pk), _item(listing, fine.pk)
    assert CHECK not in held_row and "待核查，核对后才记账" in held_row
    assert CHECK in fine_row and "待核查" not in fine_row  # an accepted delivery keeps its ✓

    detail = household.get(f"/farmer/deliveries/{held.pk}/").content.decode()
    state = re.search(r'<div class="bigcard[^"]*" id="delivery-state">', detail).group(0)
    assert "green" not in state and "amber" in state and "管理员核对后才记账" in detail
    assert CHECK not in detail and "这次应得" not in detail
    detail = household.get(f"/farmer/deliveries/{fine.pk}/").content.decode()
    assert 'class="bigcard green" id="delivery-state"' in detail and CHECK in detail


def test_a_cancelled_delivery_is_not_green_either(personas, household):
    from django.utils import timezone

    old = make_delivery(personas.farmer_a, accepted={"L": 20}, cancelled_at=timezone.now())
    detail = household.get(f"/farmer/deliveries/{old.pk}/").content.decode()
    assert "这张交蛋单已作废" in detail and CHECK not in detail and "bigcard green" not in detail
