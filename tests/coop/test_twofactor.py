"""The managers' second factor: enrol a phone, the code after the password, recovery codes, and the money
actions (settlement pay, refunds, fines) that wait for it. ``STAFF_2FA_REQUIRED`` is off under tests (as in
``make run``); each test that proves a refusal switches it on."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from coop.models import AuditEvent, Settlement
from coop.services import twofactor
from coop.services.settlements import approve_settlement, month_bounds, settle_period
from orders.models import Refund
from orders.services import payments
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS, confirm, deliver, make_user, report_on, set_prices
from tests.ops.test_security import production_python

pytestmark = pytest.mark.django_db

ENROL, VERIFY = "/account/2fa/", "/account/2fa/verify/"


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def code_for(device, *, later=0):
    """The code the phone shows now (``later=30``: the next one)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def enrolled(user):
    """A confirmed authenticator and ten recovery codes for ``user``; returns (device, codes)."""
    device = TOTPDevice.objects.create(user=user, name=twofactor.TOTP_NAME, confirmed=True)
    return device, twofactor._replace_recovery_codes(user)


def signed_in(user, client_class=Client):
    client = client_class()
    client.force_login(user)
    return client


def verified(user, device, client_class=Client, *, later=0):
    client = signed_in(user, client_class)
    r = client.post(VERIFY, {"code": code_for(device, later=later), "next": "/admin/"})
    assert r.status_code == 302 and r["Location"] == "/admin/", r.content.decode()[:500]
    return client


# --- enrolment -----------------------------------------------------------------------------------------

def test_it_enrols_a_phone_by_scanning_and_shows_ten_recovery_codes_once(personas, required):
    client = signed_in(personas.manager_a)
    page = client.get(ENROL).content.decode()
    assert "开始设置" in page and not TOTPDevice.objects.exists()  # opening the page makes no key
    assert client.post("/account/2fa/start/").status_code == 302
    page = client.get(ENROL).content.decode()
    assert "腾讯身份验证器" in page and "Google Authenticator" in page and "data:image/png;base64," in page
    device = TOTPDevice.objects.get(user=personas.manager_a, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/")

    wrong = client.post("/account/2fa/confirm/", {"code": "000000"})
    assert wrong.status_code == 400 and "验证码不对" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and client.get("/admin/").status_code == 302  # still not through

    done = client.post("/account/2fa/confirm/", {"code": code_for(device)})
    page = done.content.decode()
    assert done.status_code == 200 and "只显示这一次" in page
    device.refresh_from_db()
    assert device.confirmed
    codes = _codes_on(page)
    assert len(codes) == twofactor.RECOVERY_CODES == len(set(codes))
    assert client.get("/admin/").status_code == 200  # confirming proved the phone: this session is verified
    assert AuditEvent.objects.filter(action="otp.enrolled", actor=personas.manager_a).exists()
    # Shown once: the enrolment page never shows them again.
    assert not any(c in client.get(ENROL).content.decode() for c in codes)


def _codes_on(page):
    import re

    block = page.split('class="codes"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li>([2-9a-z]{5}-[2-9a-z]{5})</li>", block)


def test_recovery_codes_are_stored_hashed_never_as_typed(personas):
    _device, codes = enrolled(personas.manager_a)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
        assert twofactor._digest(code) in stored


def test_changing_the_phone_needs_the_old_phone_first(personas, required):
    device, _codes = enrolled(personas.manager_a)
    thief = signed_in(personas.manager_a)  # has the password, not the phone
    r = thief.post("/account/2fa/start/")
    assert r.status_code == 403 and "请先用旧手机或恢复码完成验证" in r.content.decode()
    assert list(TOTPDevice.objects.filter(user=personas.manager_a)) == [device]


# --- the code after the password -----------------------------------------------------------------------

def test_it_asks_for_the_code_after_the_password_and_lets_the_manager_in_with_it(personas, required):
    device, _codes = enrolled(personas.manager_a)
    client = Client()
    password = personas.manager_a.raw_password
    r = client.post("/admin/login/?next=/admin/", {"username": "manager_a", "password": password})
    assert r.status_code == 302 and r["Location"] == "/admin/"
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    page = client.get(r["Location"]).content.decode()
    assert "密码已通过" in page and "6 位数字" in page
    assert client.get("/admin/coop/settlement/").status_code == 302  # every admin page waits

    wrong = client.post(VERIFY, {"code": "123456", "next": "/admin/"})
    assert wrong.status_code == 400 and "验证码不对" in wrong.content.decode()
    ok = client.post(VERIFY, {"code": code_for(device), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_full_width_digits_from_a_chinese_keyboard_are_read_as_typed(personas, required):
    device, _codes = enrolled(personas.manager_a)
    client = signed_in(personas.manager_a)
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in code_for(device))  # １２３４５６
    assert client.post(VERIFY, {"code": full_width, "next": "/admin/"}).status_code == 302


def test_a_code_used_once_is_refused_the_second_time(personas, required):
    device, _codes = enrolled(personas.manager_a)
    code = code_for(device)
    first = signed_in(personas.manager_a)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    replay = signed_in(personas.manager_a)  # someone who watched the screen, in another browser
    r = replay.post(VERIFY, {"code": code})
    assert r.status_code == 400 and "已经用过" in r.content.decode()
    assert replay.get("/admin/").status_code == 302
    # The phone's next code still works.
    assert replay.post(VERIFY, {"code": code_for(device, later=30)}).status_code == 302


def test_a_recovery_code_works_once(personas, required):
    _device, codes = enrolled(personas.manager_a)
    first = signed_in(personas.manager_a)
    typed = " " + codes[0].upper().replace("-", " - ") + " "  # copied by hand from paper
    assert first.post(VERIFY, {"code": typed}).status_code == 302
    assert first.get("/admin/").status_code == 200
    again = signed_in(personas.manager_a)
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert again.post(VERIFY, {"code": codes[1]}).status_code == 302
    assert twofactor.recovery_codes_left(personas.manager_a) == 8
    assert AuditEvent.objects.filter(action="otp.recovery_used").count() == 2


def test_five_wrong_codes_lock_the_second_step_even_for_the_right_code(personas, required):
    device, _codes = enrolled(personas.manager_a)
    client = signed_in(personas.manager_a)
    right = code_for(device)
    answers = [client.post(VERIFY, {"code": f"{n:06d}"}).status_code for n in range(5) if f"{n:06d}" != right]
    assert answers == [400, 400, 400, 400, 429][:len(answers)]  # the fifth says it locked
    r = client.post(VERIFY, {"code": right})
    assert r.status_code == 429 and "已暂停 15 分钟" in r.content.decode()
    assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects.filter(action="otp.locked", object_id=str(personas.manager_a.pk)).count() == 1


# --- who is asked --------------------------------------------------------------------------------------

def test_a_manager_without_a_phone_is_sent_to_set_one_up(personas, required):
    r = signed_in(personas.manager_a).get("/admin/coop/farmer/")
    assert r.status_code == 302 and r["Location"] == f"{ENROL}?next=%2Fadmin%2Fcoop%2Ffarmer%2F"


def test_roles_that_do_not_pay_out_are_not_asked_but_may_enrol(personas, required):
    inspector = signed_in(personas.inspector_a)
    assert inspector.get("/admin/").status_code == 200
    assert "可选" in inspector.get(ENROL).content.decode()
    # Once they have chosen to set up a phone, their sign-in asks for it like a manager's.
    enrolled(personas.inspector_a)
    assert signed_in(personas.inspector_a).get("/admin/")["Location"].startswith(VERIFY)
    assert signed_in(personas.committee_a).get("/admin/").status_code == 200
    # Not for buyers or households.
    assert signed_in(personas.buyer).get(ENROL).status_code == 403
    assert signed_in(personas.farmer_a.user).get(ENROL).status_code == 403


def test_the_platform_operator_is_asked_too(personas, required):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    assert signed_in(operator).get("/admin/").status_code == 302


def test_it_is_required_in_production_and_off_for_make_run_and_tests(settings):
    assert settings.STAFF_2FA_REQUIRED is False  # tests, like DEBUG=true (make run): demo users sign in as before
    on = production_python("from django.conf import settings as s; print(s.STAFF_2FA_REQUIRED)")
    assert on.returncode == 0, on.stderr[-2000:]
    assert on.stdout.strip() == "True"
    dev = production_python("from django.conf import settings as s; print(s.STAFF_2FA_REQUIRED)", DEBUG="true")
    assert dev.stdout.strip() == "False"


def test_without_the_requirement_a_manager_signs_in_with_the_password_alone(personas, api_for, approved):
    enrolled(personas.manager_a)  # even one who tried enrolling on a demo: the next visitor is not locked out
    assert signed_in(personas.manager_a).get("/admin/").status_code == 200
    paid = api_for(personas.manager_a).post(f"/api/settlements/{approved.pk}/pay/", {"payment_reference": "WX1"},
                                            format="json")
    assert paid.status_code == 200


# --- the money waits for it -----------------------------------------------------------------------------

@pytest.fixture
def approved(personas):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a)
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    return approve_settlement(Settlement.objects.get(), user=personas.manager_a)


def test_paying_a_settlement_over_the_api_waits_for_the_second_factor(personas, required, approved):
    device, _codes = enrolled(personas.manager_a)
    url = f"/api/settlements/{approved.pk}/pay/"
    unverified = signed_in(personas.manager_a, APIClient)
    r = unverified.post(url, {"payment_reference": "WX1"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "otp_required"
    assert "两步验证" in r.json()["error"]["message"] and VERIFY in r.json()["error"]["message"]
    token = APIClient()
    token.force_authenticate(personas.manager_a)  # a token carries no verified session
    assert token.post(url, {"payment_reference": "WX1"}, format="json").status_code == 403
    approved.refresh_from_db()
    assert approved.status == Settlement.APPROVED

    ok = verified(personas.manager_a, device, APIClient).post(url, {"payment_reference": "WX1"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "paid"


def test_the_admin_pay_action_waits_for_the_second_factor(personas, required, approved):
    enrolled(personas.manager_a)
    r = signed_in(personas.manager_a).post("/admin/coop/settlement/", {
        "action": "pay", "_selected_action": [approved.pk], "confirm": "1", "value": "WX1"})
    assert r.status_code == 302 and r["Location"].startswith(VERIFY)
    approved.refresh_from_db()
    assert approved.status == Settlement.APPROVED


def test_a_refund_waits_for_the_second_factor(personas, required, shop):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payments.record_offline_payment(order, reference="农行转账 8812", user=personas.manager_a)
    url = reverse("shop:manage-order-action", args=[order.number])
    r = signed_in(personas.manager_a).post(url, {"action": "refund", "reason": "坏蛋赔付", "amount": "10.00"})
    page = r.content.decode()
    assert r.status_code == 403 and "需要两步验证" in page and f'href="{ENROL}' in page
    assert not Refund.objects.exists()
    # Other order actions are not money and go on.
    assert signed_in(personas.manager_a).post(url, {"action": "pack"}).status_code == 302


def test_the_transfer_list_with_full_account_numbers_waits_for_the_second_factor(personas, required, approved):
    device, _codes = enrolled(personas.manager_a)
    month = f"{approved.period_start:%Y-%m}"
    r = signed_in(personas.manager_a).get("/books/settlements/export.xlsx", {"month": month})
    assert r.status_code == 403 and "需要两步验证" in r.content.decode()
    assert f'href="{VERIFY}?next=' in r.content.decode()  # enrolled: straight to the code, then back here
    assert not AuditEvent.objects.filter(action="settlement.exported").exists()
    ok = verified(personas.manager_a, device).get("/books/settlements/export.xlsx", {"month": month})
    assert ok.status_code == 200 and ok["Content-Type"].startswith("application/vnd.openxmlformats")


def test_applying_or_reversing_a_fine_over_the_api_waits_for_the_second_factor(personas, required, charter,
                                                                               farmer_a_batch):
    penalty = confirm(report_on(farmer_a_batch), personas.manager_a)[0]
    api = signed_in(personas.manager_a, APIClient)
    for verb in ("apply", "reverse"):
        r = api.post(f"/api/penalties/{penalty.pk}/{verb}/", {"reason": "复核"}, format="json")
        assert r.status_code == 403 and r.json()["error"]["code"] == "otp_required"
    before = penalty.status
    penalty.refresh_from_db()
    assert penalty.status == before


# --- a lost phone ---------------------------------------------------------------------------------------

def test_another_manager_resets_a_lost_phone_in_the_admin_and_it_is_audited(personas, required):
    from coop.models import Staff
    from tests.factories import make_staff

    deputy = make_staff(personas.coop_a, Staff.MANAGER, "deputy")
    device, _codes = enrolled(deputy)
    own, _ = enrolled(personas.manager_a)
    admin = verified(personas.manager_a, own)
    staff_row = Staff.objects.get(user=deputy)
    listing = admin.get("/admin/coop/staff/").content.decode()
    assert "已设置" in listing and "未设置" in listing  # who has a phone set up, at a glance
    asked = admin.post("/admin/coop/staff/", {"action": "reset_second_factor", "_selected_action": [staff_row.pk]})
    assert asked.status_code == 200 and "原因" in asked.content.decode()
    done = admin.post("/admin/coop/staff/", {"action": "reset_second_factor", "_selected_action": [staff_row.pk],
                                             "confirm": "1", "value": "手机丢了"}, follow=True)
    assert "已重置 1 人的两步验证" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=deputy).exists() and not StaticDevice.objects.filter(user=deputy).exists()
    event = AuditEvent.objects.get(action="otp.reset", object_id=str(deputy.pk))
    assert event.actor == personas.manager_a and event.reason == "手机丢了" and event.cooperative == personas.coop_a
    # The deputy sets up a new phone at the next sign-in.
    assert signed_in(deputy).get("/admin/")["Location"].startswith(ENROL)
    assert device.pk not in TOTPDevice.objects.values_list("pk", flat=True)


def test_a_manager_cannot_reset_themselves_or_another_cooperatives_staff(personas):
    enrolled(personas.manager_a)
    enrolled(personas.manager_b)
    with pytest.raises(twofactor.ResetRefused):
        twofactor.reset(personas.manager_a, by=personas.manager_a, reason="x")
    with pytest.raises(twofactor.ResetRefused):
        twofactor.reset(personas.manager_b, by=personas.manager_a, reason="x")
    with pytest.raises(twofactor.SecondFactorError):
        twofactor.reset(personas.inspector_a, by=personas.manager_a, reason=" ")
    assert TOTPDevice.objects.count() == 2 and not AuditEvent.objects.filter(action="otp.reset").exists()


def test_the_operator_resets_the_only_manager_with_a_command(personas):
    from django.core.management import CommandError, call_command

    enrolled(personas.manager_a)
    call_command("reset_2fa", "manager_a", reason="唯一的管理员换了手机")
    assert not TOTPDevice.objects.filter(user=personas.manager_a).exists()
    event = AuditEvent.objects.get(action="otp.reset")
    assert event.actor_label == "manage.py reset_2fa" and event.reason == "唯一的管理员换了手机"
    with pytest.raises(CommandError):
        call_command("reset_2fa", "nobody", reason="x")


def test_a_right_code_does_not_wipe_the_wrong_guesses_made_before_it(personas, required):
    device, _codes = enrolled(personas.manager_a)
    thief, owner = signed_in(personas.manager_a), signed_in(personas.manager_a)
    right = code_for(device)
    wrong = [f"{n:06d}" for n in range(6) if f"{n:06d}" != right]
    assert [thief.post(VERIFY, {"code": c}).status_code for c in wrong[:4]] == [400] * 4
    assert owner.post(VERIFY, {"code": right}).status_code == 302  # the owner signs in meanwhile
    assert thief.post(VERIFY, {"code": wrong[4]}).status_code == 429  # the thief's fifth guess still locks
