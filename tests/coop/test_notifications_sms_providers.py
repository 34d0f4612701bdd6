"""Real SMS: the Tencent Cloud and Alibaba Cloud providers, over HTTP, against local fakes of their APIs.

The provider code under test is the production code with its vendor SDK; only the endpoint setting
points at ``tests/coop/sms_fakes.py``, which checks each request's signature with the shared secret and
answers the services' real JSON. Texts go out as registered templates filled with the message's facts.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from coop.models import Notification, NotificationAttempt
from coop.services import notifications, sms
from orders.services.buyers import SignInError, send_login_code
from tests.conftest import requires_postgres
from tests.coop.sms_fakes import FakeAliyunSms, FakeTencentSms
from tests.factories import deliver, set_prices
from tests.orders.test_buyer_code_limits import burst, phones
from tests.trust.parallel import errors

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_IDS = {kind: str(2000000 + i) for i, kind in enumerate(sms.TEMPLATES)}
ALIYUN_CODES = {kind: f"SMS_4{i:08d}" for i, kind in enumerate(sms.TEMPLATES)}
SIGN = "贺波洛绿壳蛋"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.fixture(scope="module")
def tencent_fake():
    fake = FakeTencentSms(secret_id="AKIDgreenshelltest", secret_key="tencent-secret-key-for-tests",
                          sdk_app_id="1400123456", sign_name=SIGN,
                          templates={TEMPLATE_IDS[k]: len(t.params) for k, t in sms.TEMPLATES.items()})
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def aliyun_fake():
    fake = FakeAliyunSms(access_key_id="LTAIgreenshelltest", access_key_secret="aliyun-secret-for-tests",
                         sign_name=SIGN, templates={ALIYUN_CODES[k]: t.params for k, t in sms.TEMPLATES.items()})
    yield fake
    fake.stop()


@pytest.fixture(params=["tencent", "aliyun"])
def live(request, settings, tencent_fake, aliyun_fake):
    """The SMS channel on one real provider, its endpoint the fake's; the fake's logs start empty."""
    return go_live(request.param, settings, tencent_fake, aliyun_fake)


def go_live(provider, settings, tencent_fake, aliyun_fake):
    fake = tencent_fake if provider == "tencent" else aliyun_fake
    fake.requests.clear(), fake.sent.clear(), fake.refuse_number.clear(), fake.fail_next.clear()
    settings.NOTIFICATION_CHANNEL = "sms"
    settings.SMS_PROVIDER = provider
    settings.SMS_SIGN_NAME = SIGN
    if provider == "tencent":
        settings.SMS_TENCENT_ENDPOINT = fake.url
        settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY = fake.secret_id, fake.secret_key
        settings.SMS_TENCENT_SDK_APP_ID = fake.sdk_app_id
        settings.SMS_TEMPLATES = dict(TEMPLATE_IDS)
    else:
        settings.SMS_ALIYUN_ENDPOINT = fake.url
        settings.SMS_ALIYUN_ACCESS_KEY_ID = fake.access_key_id
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = fake.access_key_secret
        settings.SMS_TEMPLATES = dict(ALIYUN_CODES)
    fake.provider = provider
    return fake


def sent_values(fake, kind):
    """What the fake received for a text, as {variable name: value} whichever provider."""
    (text,) = fake.sent
    if fake.provider == "tencent":
        assert text["phone"].startswith("+86")
        return dict(zip(sms.TEMPLATES[kind].params, text["params"], strict=True))
    return text["params"]


def use_secret(settings, fake, secret):
    if fake.provider == "tencent":
        settings.SMS_TENCENT_SECRET_KEY = secret
    else:
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = secret


# --- sending through the fake, signed ------------------------------------------------------------

@pytest.mark.django_db
def test_a_buyers_sign_in_code_goes_out_as_the_code_template(live, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/shop/login/", {"phone": "13912345678", "action": "send"}, REMOTE_ADDR="10.9.0.1",
                           follow=True)
    assert page.status_code == 200 and "验证码已发送到你的手机" in page.content.decode()
    note = Notification.objects.get(event="buyer.login_code")
    assert note.status == Notification.SENT, note.error
    (request,) = live.requests
    assert request["refused"] == ""  # the signature checked out with the shared secret
    values = sent_values(live, "login_code")
    code = re.search(r"\d{6}", note.body).group()
    assert values == {"code": code, "minutes": "10"}
    text = live.sent[0]
    assert text["template"] == settings_template(live, "login_code") and text["sign"] == SIGN
    assert text["phone"] in ("+8613912345678", "13912345678") and text["ref"] == note.dedupe_key
    assert NotificationAttempt.objects.get(notification=note).provider_ref == text["id"]


def settings_template(fake, kind):
    return TEMPLATE_IDS[kind] if fake.provider == "tencent" else ALIYUN_CODES[kind]


@pytest.mark.django_db
def test_a_delivery_receipt_goes_out_as_the_receipt_template(live, personas, django_capture_on_commit_callbacks):
    set_prices(personas.coop_a, L="1.50")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = deliver(personas.farmer_a, accepted={"L": 28}, rejected={"cracked": 2},
                           inspector=personas.inspector_a)
    note = Notification.objects.get(dedupe_key=f"delivery:{delivery.pk}:receipt")
    assert note.status == Notification.SENT, note.error
    assert sent_values(live, "delivery_receipt") == {
        "name": "吉克拉哈", "date": note.sms_params["date"], "brought": "30", "accepted": "28",
        "amount": "42.00", "no": str(delivery.pk)}
    assert live.sent[0]["template"] == settings_template(live, "delivery_receipt")


@pytest.mark.django_db
def test_a_long_value_is_cut_to_what_a_template_variable_takes(live, personas, settings):
    settings.SMS_PARAM_MAX_CHARS = 6
    personas.farmer_a.head_name = "阿吉木日拉哈莫色"
    notifications.notify(event="hygiene.award", key="hygiene:1:award", farmer=personas.farmer_a, body="…",
                         sms_params={"name": personas.farmer_a.head_name, "amount": "50.00"})
    notifications.deliver(Notification.objects.get(dedupe_key="hygiene:1:award").pk)
    assert sent_values(live, "hygiene_award") == {"name": "阿吉木日拉哈", "amount": "50.00"}


# --- the fake checks signatures --------------------------------------------------------------------

@pytest.mark.django_db
def test_a_request_signed_with_another_secret_is_refused_and_the_buyer_sees_no_error(
        live, client, settings, django_capture_on_commit_callbacks):
    use_secret(settings, live, "not-the-secret")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/shop/login/", {"phone": "13912345679", "action": "send"}, REMOTE_ADDR="10.9.0.2")
    assert page.status_code == 302  # the buyer's page carries on: no 500
    note = Notification.objects.get(event="buyer.login_code")
    assert live.sent == [] and len(live.requests) == 1
    expected = "AuthFailure.SignatureFailure" if live.provider == "tencent" else "SignatureDoesNotMatch"
    assert live.requests[0]["refused"] == expected
    assert note.status == Notification.FAILED and "密钥不对" in note.error and expected in note.error


@pytest.mark.django_db
def test_a_forged_request_without_the_sdk_is_refused(live):
    """A hand-made request with a made-up signature: the fake is not a rubber stamp."""
    if live.provider == "tencent":
        headers = {"Content-Type": "application/json", "X-TC-Action": "SendSms", "X-TC-Version": "2021-01-11",
                   "X-TC-Timestamp": str(int(time.time())),
                   "Authorization": f"TC3-HMAC-SHA256 Credential={live.secret_id}/"
                                    f"{time.strftime('%Y-%m-%d', time.gmtime())}/sms/tc3_request, "
                                    "SignedHeaders=content-type;host, Signature=" + "0" * 64}
        answer = requests.post(live.url + "/", json={"SmsSdkAppId": live.sdk_app_id}, headers=headers, timeout=5)
        assert answer.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    else:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        headers = {"host": live.url.split("//")[1], "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
                   "x-acs-date": now, "x-acs-signature-nonce": "n-1", "x-acs-content-sha256": EMPTY_SHA256,
                   "Authorization": f"ACS3-HMAC-SHA256 Credential={live.access_key_id},SignedHeaders=host;"
                                    "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
                                    "x-acs-version,Signature=" + "0" * 64}
        answer = requests.post(live.url + "/?PhoneNumbers=13900000000", headers=headers, timeout=5)
        assert answer.status_code == 400 and answer.json()["Code"] == "SignatureDoesNotMatch"
    assert live.sent == []


# --- the provider's error codes → retry or give up, with a Chinese reason on the row -------------------

CASES = [
    # provider, how the fake refuses, the code, the row's status after the try, a word of its reason
    ("tencent", "number", "LimitExceeded.PhoneNumberDailyLimit", Notification.FAILED, "每日上限"),
    ("tencent", "number", "InvalidParameterValue.IncorrectPhoneNumber", Notification.FAILED, "手机号格式不对"),
    ("tencent", "request", "FailedOperation.TemplateIncorrectOrUnapproved", Notification.FAILED, "模板未审核通过"),
    ("tencent", "request", "InternalError.Timeout", Notification.QUEUED, "稍后重发"),
    ("aliyun", "number", "isv.BUSINESS_LIMIT_CONTROL", Notification.FAILED, "流控"),
    ("aliyun", "number", "isv.MOBILE_NUMBER_ILLEGAL", Notification.FAILED, "手机号格式不对"),
    ("aliyun", "request", "isv.SMS_TEMPLATE_ILLEGAL", Notification.FAILED, "模板不存在或未审核通过"),
    ("aliyun", "request", "isp.SYSTEM_ERROR", Notification.QUEUED, "稍后重发"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("provider", "how", "code", "status", "reason"), CASES,
                         ids=[c[2] for c in CASES])
def test_each_error_code_is_retried_or_given_up_with_its_reason(provider, how, code, status, reason, settings,
                                                                 tencent_fake, aliyun_fake, personas,
                                                                 django_capture_on_commit_callbacks):
    fake = go_live(provider, settings, tencent_fake, aliyun_fake)
    phone = personas.farmer_a.phone
    if how == "number":
        fake.refuse_number["+86" + phone if provider == "tencent" else phone] = code
    else:
        fake.fail_next.append(code)
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(event="hygiene.award", key="hygiene:9:award", farmer=personas.farmer_a,
                                    body="…", sms_params={"name": "吉克拉哈", "amount": "50.00"})
    note.refresh_from_db()
    assert fake.sent == [] and len(fake.requests) == 1
    assert note.status == status and reason in note.error and code in note.error
    if status == Notification.QUEUED:  # a retry (the task's, or the sweep's) sends it once the service is back
        assert notifications.deliver(note.pk) is True
        note.refresh_from_db()
        assert note.status == Notification.SENT and len(fake.sent) == 1


@pytest.mark.django_db
def test_the_fake_refuses_an_unapproved_template_id_itself(live, personas, settings):
    """Not scripted: a template id the account never registered is refused by the service's own rule."""
    settings.SMS_TEMPLATES = {**settings.SMS_TEMPLATES, "hygiene_award": "999"}
    notifications.notify(event="hygiene.award", key="hygiene:8:award", farmer=personas.farmer_a, body="…",
                         sms_params={"name": "吉克拉哈", "amount": "50.00"})
    assert notifications.deliver(Notification.objects.get(dedupe_key="hygiene:8:award").pk) is False
    note = Notification.objects.get(dedupe_key="hygiene:8:award")
    assert note.status == Notification.FAILED and ("模板" in note.error) and live.sent == []


@pytest.mark.django_db
def test_an_unreachable_provider_is_retried(live, personas, settings):
    if live.provider == "tencent":
        settings.SMS_TENCENT_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing listens
    else:
        settings.SMS_ALIYUN_ENDPOINT = "http://127.0.0.1:9"
    notifications.notify(event="hygiene.award", key="hygiene:7:award", farmer=personas.farmer_a, body="…",
                         sms_params={"name": "吉克拉哈", "amount": "50.00"})
    with pytest.raises(sms.SmsRetry):
        notifications.deliver(Notification.objects.get(dedupe_key="hygiene:7:award").pk)
    note = Notification.objects.get(dedupe_key="hygiene:7:award")
    assert note.status == Notification.QUEUED and "连不上" in note.error


@pytest.mark.django_db
def test_a_message_without_a_registered_template_fails_with_the_setting_to_set(live, personas, settings):
    settings.SMS_TEMPLATES = {**settings.SMS_TEMPLATES, "hygiene_award": ""}
    notifications.notify(event="hygiene.award", key="hygiene:6:award", farmer=personas.farmer_a, body="…",
                         sms_params={"name": "吉克拉哈", "amount": "50.00"})
    assert notifications.deliver(Notification.objects.get(dedupe_key="hygiene:6:award").pk) is False
    note = Notification.objects.get(dedupe_key="hygiene:6:award")
    assert note.status == Notification.FAILED and "SMS_TEMPLATE_HYGIENE_AWARD" in note.error
    assert live.requests == []


@pytest.mark.django_db
def test_a_provider_without_its_keys_fails_the_text_and_names_the_setting(live, personas, settings):
    if live.provider == "tencent":
        settings.SMS_TENCENT_SECRET_KEY = ""
    else:
        settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    notifications.notify(event="hygiene.award", key="hygiene:5:award", farmer=personas.farmer_a, body="…",
                         sms_params={"name": "吉克拉哈", "amount": "50.00"})
    assert notifications.deliver(Notification.objects.get(dedupe_key="hygiene:5:award").pk) is False
    note = Notification.objects.get(dedupe_key="hygiene:5:award")
    setting = "SMS_TENCENT_SECRET_KEY" if live.provider == "tencent" else "SMS_ALIYUN_ACCESS_KEY_ID"
    assert note.status == Notification.FAILED and "设置不全" in note.error and setting in note.error
    assert live.requests == []


# --- the limits stand in front of the provider ---------------------------------------------------

@pytest.mark.django_db
def test_a_burst_of_code_requests_is_stopped_before_the_provider_is_called(live, client, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.SMS_PER_ADDRESS_HOUR = 10
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(30):
            client.post("/shop/login/", {"phone": f"139{i:08d}", "action": "send"}, REMOTE_ADDR="10.9.1.1")
    assert len(live.requests) == 10 and len(live.sent) == 10
    settings.SMS_PER_ADDRESS_HOUR = 1000
    settings.SMS_PLATFORM_DAILY_BUDGET = 12
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(30, 40):  # many addresses: the day's budget stops them
            try:
                send_login_code(f"139{i:08d}", client_ip=f"10.9.2.{i}")
            except SignInError:
                pass
    assert len(live.requests) == 12


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_parallel_burst_reaches_the_provider_no_more_often_than_the_limits(live, settings):
    """Thirty requests at once from one address (PostgreSQL, the shared race harness): the provider's
    endpoint is called exactly as often as the limit allows, each call signed and accepted."""
    settings.SMS_PER_ADDRESS_HOUR = 10
    codes = burst(phones(30, start=500))
    assert len(codes) == 30 and not errors(codes), errors(codes)
    assert len(live.requests) == 10 and len(live.sent) == 10
    assert all(r["refused"] == "" for r in live.requests)


# --- every message the project sends has a template ------------------------------------------------

def test_every_notify_call_passes_the_facts_of_its_template():
    """Each ``notify(`` in the apps passes ``sms_params``: a real provider sends nothing else."""
    calls = []
    for app in ("coop", "orders", "quality"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for match in re.finditer(r"\bnotify\(event=", text):
                # the call runs to the first line that closes it; good enough for our formatting
                end = text.find("\n\n", match.start())
                calls.append((path.name, "sms_params=" in text[match.start():end]))
    assert len(calls) >= 15 and all(ok for _name, ok in calls), [c for c in calls if not c[1]]


@pytest.mark.parametrize("kind", sorted(sms.TEMPLATES))
def test_each_template_names_each_of_its_variables_once(kind):
    template = sms.TEMPLATES[kind]
    assert re.findall(r"\$\{(\w+)\}", template.text) == list(template.params)
    assert re.findall(r"\{(\d+)\}", template.tencent_text()) == [str(i) for i in range(1, len(template.params) + 1)]


# --- manage.py check --deploy ----------------------------------------------------------------------

PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-1234567890",
              "SITE_URL": "https://eggs.example.cn", "ALLOWED_HOSTS": "eggs.example.cn"}
CHECK = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','coop.settings'); django.setup(); "
         "from django.core.management import call_command; call_command('check', '--deploy', '--fail-level', '{}')")


def deploy_check(level="ERROR", **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SMS_", "NOTIFICATION_", "DATABASE_URL",
                                                                     "REDIS_URL", "DJANGO_ALLOW"))}
    full.update(PRODUCTION, **env)
    return subprocess.run([sys.executable, "-c", CHECK.format(level)], cwd=ROOT, env=full, capture_output=True,
                          text=True)


def live_env(provider):
    env = {"NOTIFICATION_CHANNEL": "sms", "SMS_PROVIDER": provider, "SMS_SIGN_NAME": SIGN,
           **{f"SMS_TEMPLATE_{k.upper()}": v for k, v in TEMPLATE_IDS.items()}}
    if provider == "tencent":
        env.update(SMS_TENCENT_SECRET_ID="AKIDx", SMS_TENCENT_SECRET_KEY="k", SMS_TENCENT_SDK_APP_ID="1400000000")
    else:
        env.update(SMS_ALIYUN_ACCESS_KEY_ID="LTAIx", SMS_ALIYUN_ACCESS_KEY_SECRET="s")
    return env


def test_deploy_check_reports_the_local_gateway_sending_to_real_phones():
    result = deploy_check(NOTIFICATION_CHANNEL="sms", SMS_PROVIDER="local")
    assert result.returncode != 0 and "greenshell.E002" in result.stderr and "nobody receives them" in result.stderr
    dotted = deploy_check(NOTIFICATION_CHANNEL="sms", SMS_PROVIDER="coop.services.notifications.LocalSmsGateway")
    assert "greenshell.E002" in dotted.stderr


@pytest.mark.parametrize("provider", ["tencent", "aliyun"])
def test_deploy_check_reports_a_live_provider_without_its_keys_and_passes_a_complete_one(provider):
    incomplete = {k: v for k, v in live_env(provider).items() if "SECRET" not in k}
    result = deploy_check(**incomplete)
    assert result.returncode != 0 and "greenshell.E003" in result.stderr and "SECRET" in result.stderr
    assert deploy_check("WARNING", **live_env(provider)).returncode == 0
    partial = {k: v for k, v in live_env(provider).items() if k != "SMS_TEMPLATE_PENALTY_UPDATE"}
    warned = deploy_check("WARNING", **partial)
    assert "greenshell.W002" in warned.stderr and "SMS_TEMPLATE_PENALTY_UPDATE" in warned.stderr


@pytest.mark.django_db
def test_every_message_of_the_demo_fills_its_template(seeded_demo, settings):
    """The real flows (deliveries, settlements, penalties, appeals, orders, reports) give each template
    all its variables: nothing the demo sends would be refused for a missing value."""
    settings.SMS_TEMPLATES = dict(TEMPLATE_IDS)
    kinds = set()
    for note in Notification.objects.all():
        kind, _id, values = sms.template_values(note.event, note.sms_params)
        kinds.add(kind)
        assert all(values.values()), (note.event, values)
    assert {"delivery_receipt", "settlement_paid", "penalty_notified", "penalty_update", "appeal_update",
            "order_status", "order_pickup", "hygiene_award", "report_decided"} <= kinds


def test_the_operator_documentation_lists_every_template_to_register():
    doc = (ROOT / "docs" / "PAYMENTS.md").read_text(encoding="utf-8")
    for kind, template in sms.TEMPLATES.items():
        assert f"`SMS_TEMPLATE_{kind.upper()}`" in doc and template.text in doc and template.tencent_text() in doc
