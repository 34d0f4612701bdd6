"""Red team, issue 15 (2): racing the household PIN lock, the per-address limit and the buyer's SMS code.

Each attempt is counted atomically *before* the secret is checked, so a burst of parallel guesses gets
the same number of checks as the same guesses sent one by one. Real PostgreSQL, real threads."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from coop.services import farmers as pin_service
from orders.models import LoginCode
from orders.services import buyers
from tests.conftest import requires_postgres
from tests.factories import give_pin, make_cooperative, make_farmer, make_user
from tests.trust.parallel import run_parallel

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RIGHT = "246810"


def household():
    farmer = make_farmer(make_cooperative())
    give_pin(farmer, make_user())
    return farmer


def pin_attempt(phone, pin, ip="10.0.0.7"):
    return lambda: Client(REMOTE_ADDR=ip).post("/farmer/login/", {"phone": phone, "pin": pin}).status_code


def test_twenty_five_parallel_wrong_pins_get_four_checks_and_the_right_pin_after_them_is_refused():
    farmer = household()
    answers = run_parallel([pin_attempt(farmer.phone, f"{n:06d}") for n in range(25)])
    # Wrong (400) until the fifth, which locks (429); every later guess is refused unchecked (429).
    assert answers.count(400) <= pin_service.MAX_FAILED - 1, answers
    assert answers.count(429) >= 25 - (pin_service.MAX_FAILED - 1)
    assert pin_attempt(farmer.phone, RIGHT)() == 429


def test_the_per_address_limit_holds_against_parallel_guesses_on_many_numbers(monkeypatch):
    monkeypatch.setattr(pin_service, "IP_FAILURES", 3, raising=False)
    from coop.views import farmers as farmer_views

    monkeypatch.setattr(farmer_views, "IP_FAILURES", 3, raising=False)
    answers = run_parallel([pin_attempt(f"1390000{n:04d}", RIGHT) for n in range(20)])
    assert answers.count(400) <= 3, answers  # "手机号或密码不对": checked; the rest refused before checking
    assert answers.count(429) >= 17


def test_parallel_wrong_sms_codes_are_checked_no_more_than_five_times():
    phone = "13912345678"
    now = timezone.now()
    LoginCode.objects.create(phone=phone, code_hash=buyers._hash(phone, "135790"), created_at=now,
                             expires_at=now + datetime.timedelta(minutes=10))

    def guess(code):
        return lambda: buyers.PhoneCodeSignIn().authenticate(phone=phone, code=code)

    answers = run_parallel([guess(f"{n:06d}") for n in range(20)])
    codes = [getattr(a, "code", a) for a in answers]
    assert codes.count("wrong") <= buyers.MAX_ATTEMPTS, codes
    assert codes.count("locked") >= 20 - buyers.MAX_ATTEMPTS
    with pytest.raises(buyers.SignInError) as refused:
        buyers.PhoneCodeSignIn().authenticate(phone=phone, code="135790")
    assert refused.value.code == "locked"
