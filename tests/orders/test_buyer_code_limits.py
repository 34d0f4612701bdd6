"""A script asking for sign-in codes cannot spend the collective's money on texts.

Limits live with the SMS service (``coop.services.notifications.spend_sms_allowance``): one text a
minute and ``SMS_PER_PHONE_HOUR`` an hour per number, ``SMS_PER_ADDRESS_HOUR`` per client address,
``SMS_PLATFORM_DAILY_BUDGET`` a day for sign-in codes (they belong to no cooperative). Counted before
sending, so a burst of parallel requests cannot slip through; the race tests run on PostgreSQL.
"""

import pytest
from django.test import Client

from coop.models import Notification
from coop.services import notifications
from orders.models import LoginCode
from tests.conftest import requires_postgres
from tests.trust.parallel import errors, run_parallel


def ask(client, phone, ip="10.0.0.1"):
    return client.post("/shop/login/", {"phone": phone, "action": "send"}, REMOTE_ADDR=ip, follow=True)


def phones(n, start=0):
    return [f"139{i:08d}" for i in range(start, start + n)]


@pytest.mark.django_db
def test_it_limits_one_address_asking_for_many_numbers(client, settings):
    settings.SMS_PER_ADDRESS_HOUR = 10
    pages = [ask(client, p).content.decode() for p in phones(30)]
    assert Notification.objects.filter(event="buyer.login_code").count() == 10
    assert "这个网络发送的短信太多了，请一小时后再试。" in pages[10] and "验证码已发送到你的手机" in pages[9]
    # Another address still gets its code.
    ask(client, "13700000001", ip="10.0.0.2")
    assert Notification.objects.filter(phone="13700000001").count() == 1


@pytest.mark.django_db
def test_it_limits_texts_to_one_number_per_hour(client, settings, monkeypatch):
    settings.SMS_PER_PHONE_HOUR = 3
    # Each request passes the one-a-minute rule (its window is not what this test is about).
    monkeypatch.setattr(notifications, "RESEND_SECONDS", 1)
    for i in range(5):
        notifications.ratelimit.clear("sms:phone-minute:13800138009")
        page = ask(client, "13800138009", ip=f"10.0.1.{i}").content.decode()
    assert "这个手机号收到的短信太多了" in page
    assert LoginCode.objects.filter(phone="13800138009").count() == 3


@pytest.mark.django_db
def test_the_platform_budget_stops_many_addresses_and_numbers(client, settings):
    settings.SMS_PLATFORM_DAILY_BUDGET = 4
    for i, phone in enumerate(phones(6)):
        page = ask(client, phone, ip=f"10.0.2.{i}").content.decode()
    assert "今天的短信额度已用完" in page
    assert Notification.objects.filter(event="buyer.login_code").count() == 4


@pytest.mark.django_db
def test_a_cooperatives_budget_is_its_own(personas, settings):
    """Texts of a cooperative spend its budget; sign-in codes (no cooperative) spend the platform's."""
    settings.SMS_DAILY_BUDGET, settings.SMS_PLATFORM_DAILY_BUDGET = 2, 5
    for phone in phones(2):
        notifications.spend_sms_allowance(phone=phone, cooperative=personas.coop_a)
    with pytest.raises(notifications.SendLimited) as refused:
        notifications.spend_sms_allowance(phone="13900009999", cooperative=personas.coop_a)
    assert refused.value.code == "budget" and refused.value.status == 429
    notifications.spend_sms_allowance(phone="13900009998", cooperative=personas.coop_b)
    notifications.spend_sms_allowance(phone="13900009997")  # the platform's budget is untouched


def burst(phone_list, ip="10.9.9.9"):
    """One request per phone, released together by the shared harness, each on its own connection."""
    clients = [Client() for _phone in phone_list]
    codes = run_parallel([lambda c=c, phone=phone: c.post("/shop/login/", {"phone": phone, "action": "send"},
                                                           REMOTE_ADDR=ip).status_code
                          for c, phone in zip(clients, phone_list, strict=True)])
    return codes  # a request that raised is in its place: the caller decides whether that may happen


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_requests_gets_no_more_texts_than_the_limits(settings):
    settings.SMS_PER_ADDRESS_HOUR = 10
    codes = burst(phones(30))  # 30 numbers from one address at once
    assert len(codes) == 30 and not errors(codes), errors(codes)
    assert Notification.objects.filter(event="buyer.login_code").count() == 10
    burst(["13600000000"] * 12, ip="10.9.9.8")  # one number, twelve presses at once
    assert LoginCode.objects.filter(phone="13600000000").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_limits_the_same_burst_texts_everyone(settings, monkeypatch):
    """Proves the test above can fail: the counters are what stop the burst (the issue saw 30 numbers
    sent codes in 1.6 s, and several codes to one number pressed at once)."""
    monkeypatch.setattr("orders.services.buyers.spend_sms_allowance", lambda **kw: None)
    burst(phones(30))
    assert Notification.objects.filter(event="buyer.login_code").count() == 30
    burst(["13600000000"] * 12, ip="10.9.9.8")
    assert LoginCode.objects.filter(phone="13600000000").count() > 1
