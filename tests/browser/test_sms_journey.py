"""Real SMS on a 360×640 phone: a buyer asks for a sign-in code through the Tencent Cloud provider (against
its local fake), types the code the fake received and is signed in; when the provider refuses (an
unapproved template) the buyer's page still answers, and the operator reads why on the notification."""

import pytest
from playwright.sync_api import expect

from coop.models import Notification
from coop.services import sms
from tests.browser.conftest import screenshot
from tests.browser.test_books_journey import sign_in
from tests.coop.sms_fakes import FakeTencentSms
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tencent(settings):
    ids = {kind: str(3000000 + i) for i, kind in enumerate(sms.TEMPLATES)}
    fake = FakeTencentSms(secret_id="AKIDbrowser", secret_key="browser-secret", sdk_app_id="1400999999",
                          sign_name="贺波洛绿壳蛋", templates={ids[k]: len(t.params) for k, t in sms.TEMPLATES.items()})
    settings.NOTIFICATION_CHANNEL, settings.SMS_PROVIDER = "sms", "tencent"
    settings.SMS_TENCENT_ENDPOINT, settings.SMS_TENCENT_SDK_APP_ID = fake.url, fake.sdk_app_id
    settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY = fake.secret_id, fake.secret_key
    settings.SMS_SIGN_NAME, settings.SMS_TEMPLATES = fake.sign_name, ids
    yield fake
    fake.stop()


def test_a_buyer_signs_in_with_a_code_texted_by_tencent_and_a_refusal_is_explained(phone, tencent, settings):
    # The template id in the settings was never approved: Tencent refuses, the buyer's page still answers.
    settings.SMS_TEMPLATES = {**settings.SMS_TEMPLATES, "login_code": "1234"}
    phone.goto(phone.url_for("/shop/login/"))
    phone.fill("#phone", "13912340001")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("body")).to_contain_text("验证码已发送到你的手机")
    failed = Notification.objects.get(phone="13912340001")
    assert failed.status == Notification.FAILED and tencent.sent == []

    # The approved template: the code reaches the (fake) phone, the buyer types it and is in.
    settings.SMS_TEMPLATES = {**settings.SMS_TEMPLATES, "login_code": str(3000000)}
    phone.fill("#phone", "13912340002")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.locator("body")).to_contain_text("验证码已发送到你的手机")
    (text,) = tencent.sent
    assert text["phone"] == "+8613912340002" and text["template"] == "3000000"
    phone.fill("#code", text["params"][0])
    screenshot(phone, "sms-code-typed")
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator("body")).not_to_contain_text("验证码不正确")
    screenshot(phone, "sms-signed-in")

    # The platform's operator (a sign-in code belongs to no cooperative) sees the refused text and why,
    # in Chinese, with Tencent's code.
    operator = make_user("operator", is_staff=True, is_superuser=True)
    sign_in(phone, operator, f"/admin/coop/notification/{failed.pk}/change/")
    expect(phone.locator("body")).to_contain_text("短信模板未审核通过或模板 ID 不对")
    expect(phone.locator("body")).to_contain_text("FailedOperation.TemplateIncorrectOrUnapproved")
    screenshot(phone, "sms-refused-reason-admin")
