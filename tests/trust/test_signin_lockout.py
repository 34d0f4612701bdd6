"""Red team, issue 15 (1): guessing a staff password around the lockout.

Four doors take a staff password — the admin, the programmes page, the API token — and they share one
lockout, keyed on the username as Django signs it in (NFKC, case-folded) and the address, with a
ceiling per username across addresses."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from coop.models import AuditEvent
from tests.conftest import requires_postgres
from tests.trust.parallel import run_parallel

PASSWORD = "pw-greenshell-1"


def admin_sign_in(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/admin/login/?next=/admin/", {"username": username, "password": password})


def programmes_sign_in(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/programmes/login/", {"username": username, "password": password})


def token(username, password, ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post("/api/auth/token/", {"username": username, "password": password},
                                          format="json")


def signed_into_admin(response):
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_it_refuses_an_api_token_after_five_wrong_passwords(personas):
    for _ in range(4):
        assert token("committee_a", "wrong").status_code == 400
    assert token("committee_a", "wrong").status_code == 429  # the fifth locks, and says so
    r = token("committee_a", PASSWORD)
    assert r.status_code == 429 and "token" not in r.json()
    assert r.json()["error"]["code"] == "locked"
    assert "稍后再试" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_it_shares_one_lockout_between_the_programmes_page_the_admin_and_the_api(personas):
    for _ in range(5):
        r = programmes_sign_in("committee_a", "wrong")
        assert r.status_code == 200 and "_auth_user_id" not in r.client.session
    r = programmes_sign_in("committee_a", PASSWORD)
    assert "登录失败次数太多" in r.content.decode() and "_auth_user_id" not in r.client.session
    assert not signed_into_admin(admin_sign_in("committee_a", PASSWORD))
    assert token("committee_a", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_it_locks_the_full_width_and_capitalised_spellings_of_a_locked_name(personas):
    for _ in range(5):
        admin_sign_in("committee_a", "wrong")
    for spelling in ("ｃommittee_a", "ｃｏｍｍｉｔｔｅｅ_a", "Committee_A"):
        r = admin_sign_in(spelling, PASSWORD)
        assert not signed_into_admin(r), spelling
        assert "登录失败次数太多" in r.content.decode()


@pytest.mark.django_db
def test_it_still_signs_in_from_another_address_but_not_past_the_ceiling_for_the_name(personas, settings):
    settings.LOGIN_LOCKOUT_USERNAME_FAILURES = 12
    for _ in range(5):
        admin_sign_in("committee_a", "wrong", ip="10.0.0.1")
    # One address locked: the manager at the office is not locked out by a stranger elsewhere.
    assert signed_into_admin(admin_sign_in("committee_a", PASSWORD, ip="10.0.0.2"))
    for n in range(12):  # an attacker spreading guesses over many addresses, four per address
        admin_sign_in("committee_a", "wrong", ip=f"10.1.{n // 4}.{n % 4}")
    r = admin_sign_in("committee_a", PASSWORD, ip="10.9.9.9")
    assert not signed_into_admin(r) and "稍后再试" in r.content.decode()
    assert AuditEvent.objects.filter(action="signin.locked", object_id="committee_a").exists()


@pytest.mark.django_db
def test_one_address_hammering_a_locked_name_does_not_lock_it_everywhere(personas, settings):
    settings.LOGIN_LOCKOUT_USERNAME_FAILURES = 12
    for _ in range(30):
        admin_sign_in("committee_a", "wrong", ip="10.6.6.6")
    assert signed_into_admin(admin_sign_in("committee_a", PASSWORD, ip="10.0.0.2"))


@pytest.mark.django_db
def test_a_right_password_does_not_use_up_the_ceiling(personas, settings):
    settings.LOGIN_LOCKOUT_USERNAME_FAILURES = 3
    for n in range(6):  # a script fetching a token now and then, from two addresses
        assert token("committee_a", PASSWORD, ip=f"10.0.0.{n % 2}").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@requires_postgres
def test_it_checks_no_more_than_five_of_forty_parallel_guesses(personas):
    """The issue's run: 40 wrong passwords at once, then the right one, answered a token."""
    answers = run_parallel([lambda: token("committee_a", "wrong").status_code] * 40)
    assert answers.count(400) <= 5, answers  # checked (and wrong); every other guess was refused unchecked
    assert answers.count(429) >= 35
    assert token("committee_a", PASSWORD).status_code == 429
