"""A household appeals by voice on a 360×640 phone: 录音, the length counted, 删除 / 重录, sent with the appeal,
then heard again on its page. Chromium fakes the microphone (a beep) and grants it without asking."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from quality.models import Appeal
from tests.browser.conftest import CHROMIUM_FLAGS, PHONE, screenshot
from tests.factories import give_pin
from tests.quality.test_farmer_penalties import a_fine, fining_charter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FAKE_MIC = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def phone_with_mic(browser, live_server):
    """The session's browser (launched with conftest's fake microphone flags) with the microphone granted."""
    assert set(FAKE_MIC) <= set(CHROMIUM_FLAGS)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN",
                                  permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.url_for = lambda path: live_server.url + path
    yield page
    context.close()


def _record(page, seconds):
    page.locator("#voice-rec").click()
    expect(page.locator("#voice-rec")).to_contain_text("停止录音")
    expect(page.locator("#voice-time")).to_contain_text(" / 1:00")
    page.wait_for_timeout(seconds * 1000)
    page.locator("#voice-rec").click()
    expect(page.locator("#voice-time")).to_contain_text("录好了")


def test_a_household_records_deletes_records_again_and_sends_its_voice(phone_with_mic, personas):
    phone = phone_with_mic
    fining_charter(personas.coop_a)
    penalty = a_fine(personas.farmer_a, personas.manager_a)
    give_pin(personas.farmer_a, personas.manager_a, pin="135790")
    phone.goto(phone.url_for(f"/farmer/login/?phone={personas.farmer_a.phone}"))
    phone.fill("#id_pin", "135790")
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/farmer/")
    # The recording plays back from a blob: address; the page's content-security policy must allow it.
    phone.context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                                  " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    phone.goto(phone.url_for(f"/farmer/penalties/{penalty.pk}/"))

    expect(phone.locator("#voice")).to_be_visible()  # the phone can record: the box is shown
    _record(phone, 2)
    expect(phone.locator("#voice-play")).to_be_visible()
    expect(phone.get_by_role("button", name="重录")).to_be_visible()
    expect(phone.locator("#voice-rec")).to_be_hidden()  # one recording at a time: 重录 or 删除 it
    screenshot(phone, "farmer-appeal-voice-recorded")
    assert phone.evaluate("document.getElementById('voice-file').files.length") == 1
    assert phone.evaluate("""() => new Promise(ok => { const a = document.getElementById('voice-play');
        if (a.readyState >= 1) return ok(true); a.onloadedmetadata = () => ok(true); a.onerror = () => ok(false);
        a.load(); })""")
    assert phone.evaluate("window.__csp") == []

    phone.get_by_role("button", name="删除").click()
    expect(phone.locator("#voice-play")).to_be_hidden()
    expect(phone.locator("#voice-rec")).to_be_visible()
    assert phone.evaluate("document.getElementById('voice-file').files.length") == 0

    _record(phone, 2)
    seconds = int(phone.input_value("#voice-seconds"))
    assert 1 <= seconds <= 4
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("button", name="提交申诉").click()
    expect(phone.get_by_text("申诉已提交")).to_be_visible()

    appeal = Appeal.objects.get(penalty=penalty)
    assert appeal.voice_seconds == seconds and "我录了一段话，请听录音" in appeal.grounds
    stored = Path(django_settings.MEDIA_ROOT) / "private" / appeal.voice_note.name
    assert stored.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # what Chromium's MediaRecorder makes: WebM
    player = phone.locator("#appeal-voice")
    expect(player).to_have_attribute("src", f"/files/appeal-voice/{appeal.pk}/")
    # The browser can load and decode it from the checked address (the duration is known once loaded).
    duration = phone.evaluate("""() => new Promise(ok => { const a = document.getElementById('appeal-voice');
        a.preload = 'auto'; a.onloadedmetadata = () => ok(a.duration); a.onerror = () => ok(-1); a.load(); })""")
    assert duration != -1
    screenshot(phone, "farmer-appeal-voice-sent")
