"""The manager's second factor on a 360×640 phone: password, then setting up the authenticator (QR code),
the recovery codes, and the next sign-in asking for the 6 digits — under the content security policy."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.coop.test_twofactor import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, user):
    page.context.clear_cookies()
    page.goto(page.url_for("/admin/login/?next=/admin/"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.raw_password)
    page.locator("input[type=submit]").click()


def test_a_manager_sets_up_the_phone_then_signs_in_with_the_code(phone, personas, settings):
    settings.STAFF_2FA_REQUIRED = True
    blocked = []
    phone.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    manager = personas.manager_a

    password_step(phone, manager)
    phone.wait_for_url(re.compile(r"/account/2fa/\?next="))  # the admin waits: set up the phone first
    expect(phone.locator("h1")).to_have_text("两步验证")
    phone.get_by_role("button", name="开始设置").click()
    qr = phone.locator("img.qr")
    expect(qr).to_be_visible()
    assert phone.evaluate("document.querySelector('img.qr').naturalWidth") > 100  # the data: image loaded
    expect(phone.locator("#enrol-steps")).to_contain_text("腾讯身份验证器")
    screenshot(phone, "twofactor-enrol-qr")

    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    phone.fill("#code", code_for(device))
    phone.get_by_role("button", name="确认").click()
    expect(phone.locator("ol.codes li")).to_have_count(10)
    expect(phone.locator("body")).to_contain_text("只显示这一次")
    screenshot(phone, "twofactor-recovery-codes")
    phone.get_by_role("link", name="我已抄好，继续").click()
    phone.wait_for_url(re.compile(r"/admin/(workbench/)?$"))  # staff land on their workbench
    expect(phone.locator("body")).to_contain_text("合作社管理")

    password_step(phone, manager)
    phone.wait_for_url(re.compile(r"/account/2fa/verify/\?next="))
    phone.fill("#code", "000000")
    phone.get_by_role("button", name="验证").click()
    expect(phone.locator("[role=alert]")).to_contain_text("验证码不对")
    screenshot(phone, "twofactor-verify-wrong")
    device.refresh_from_db()
    phone.fill("#code", code_for(device, later=30))  # the phone's next code (the first was used)
    phone.get_by_role("button", name="验证").click()
    phone.wait_for_url(re.compile(r"/admin/(workbench/)?$"))  # staff land on their workbench
    assert blocked == []


def test_the_transfer_list_says_why_it_waits_and_links_to_the_code(phone, personas, settings):
    settings.STAFF_2FA_REQUIRED = True
    password_step(phone, personas.manager_a)
    phone.wait_for_url(re.compile(r"/account/2fa/\?next="))
    response = phone.goto(phone.url_for("/books/settlements/export.xlsx"))
    assert response.status == 403
    expect(phone.locator("[role=alert]")).to_contain_text("需要先完成两步验证")
    screenshot(phone, "twofactor-required")
    phone.get_by_role("link", name="设置手机验证器").click()
    phone.wait_for_url(re.compile(r"/account/2fa/\?next="))
