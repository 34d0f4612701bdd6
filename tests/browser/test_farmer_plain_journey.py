"""A household that reads little, on a 360×640 phone: the badge says a penalty waits, the phone reads the
page aloud, the appeal is one tap, and the charter fits the screen in its order."""

import pytest
from playwright.sync_api import expect

from quality.models import Appeal
from tests.browser.conftest import screenshot
from tests.factories import give_pin
from tests.quality.test_farmer_penalties import a_fine, fining_charter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the page hands to the phone's voice, caught instead of spoken (a test machine has no speakers).
CATCH_SPEECH = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = function (u) { window.__spoken.push({text: u.text, lang: u.lang}); };
}
"""


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_badge_read_aloud_one_tap_appeal_and_a_charter_that_fits(phone, personas):
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    give_pin(personas.farmer_a, personas.manager_a, pin="135790")
    phone.context.add_init_script(CATCH_SPEECH)
    phone.goto(phone.url_for(f"/farmer/login/?phone={personas.farmer_a.phone}"))
    phone.fill("#id_pin", "135790")
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/farmer/")

    expect(phone.locator("#fines-badge")).to_have_text("1")
    expect(phone.locator("#fines-waiting")).to_contain_text("处罚等您看")
    if phone.evaluate("'speechSynthesis' in window"):
        phone.get_by_role("button", name="读给我听").click()
        spoken = phone.evaluate("window.__spoken")
        assert spoken and spoken[0]["lang"] == "zh-CN"
        assert "处罚等您看" in spoken[0]["text"] and "首页" not in spoken[0]["text"]  # the page, not the menu
    screenshot(phone, "farmer-home-badge")

    phone.locator("#fines-waiting").click()
    phone.locator(".item.warn").click()
    expect(phone.locator("#share")).to_contain_text("这批蛋都是您家交的（30 枚），所以坏蛋 3 枚都算您家")
    phone.get_by_label("我家的蛋是新鲜的，坏蛋不是我家的").check()
    screenshot(phone, "farmer-appeal-by-tapping")
    phone.get_by_role("button", name="提交申诉").click()
    expect(phone.get_by_text("申诉已提交")).to_be_visible()
    assert Appeal.objects.get(penalty=penalty).grounds == "我家的蛋是新鲜的，坏蛋不是我家的"

    phone.goto(phone.url_for("/farmer/charter/"))
    expect(phone.locator(".card .row").first).to_contain_text("第五条")
    screenshot(phone, "farmer-charter")
    wide = phone.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, wide
