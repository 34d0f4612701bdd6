"""An inspector who cannot type 阿吉木日 types "ajmr": the intake page offers the household and records it."""

import pytest
from playwright.sync_api import expect

from coop.models import Delivery, Farmer
from coop.services.farmers import create_farmer
from tests.browser.conftest import screenshot
from tests.factories import set_prices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_the_initials_offers_the_household_and_records_its_eggs(phone, personas):
    set_prices(personas.coop_a)
    ajmr = create_farmer(Farmer(cooperative=personas.coop_a, village=personas.village_a, member_no="EJ101",
                                head_name="阿吉木日", phone="13900001234"), user=personas.manager_a)
    phone.goto(phone.url_for("/admin/login/?next=/intake/"))
    phone.fill("input[name=username]", personas.inspector_a.username)
    phone.fill("input[name=password]", personas.inspector_a.raw_password)
    phone.locator("input[type=submit]").click()
    phone.wait_for_url("**/intake/")
    phone.locator("#id_farmer").press_sequentially("ajmr")
    offer = phone.locator(".farmer-matches button")
    expect(offer).to_have_text("EJ101 阿吉木日 · 尔吉村")
    screenshot(phone, "intake-search-initials")
    offer.click()
    expect(phone.locator("#id_farmer")).to_have_value("EJ101 阿吉木日")
    phone.fill("#id_eggs_brought", "10")
    phone.fill("#id_accepted_l", "10")
    phone.get_by_role("button", name="保存并出回执").click()
    expect(phone.locator("body")).to_contain_text("收蛋回执")
    assert Delivery.objects.get().farmer == ajmr
