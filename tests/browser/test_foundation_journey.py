import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_opens_home_switches_to_english_and_finds_admin_login(phone):
    phone.goto(phone.url_for("/"))
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.get_by_text("买鸡蛋")).to_be_visible()
    screenshot(phone, "landing-zh")
    phone.get_by_role("button", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_text("Buy eggs")).to_be_visible()
    screenshot(phone, "landing-en")
    phone.get_by_role("link", name="Admin").click()
    phone.wait_for_url("**/admin/login/**")
    expect(phone.locator("input[name=username]")).to_be_visible()
    screenshot(phone, "admin-login-en")
