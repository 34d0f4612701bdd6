"""Red team, issue 15 (managers' second factor): racing the code after the password.

Whoever reaches the second step already has the password; what stands between them and the money is five
guesses at a 6-digit code. Each typed code is counted atomically *before* it is checked, and each check
locks the device row, so a burst of parallel guesses gets no more checks than the same guesses one by one,
and one code read over a shoulder signs in one session, not ten. Real PostgreSQL, real threads."""

import threading

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from coop.models import Staff
from tests.conftest import requires_postgres
from tests.coop.test_twofactor import code_for
from tests.factories import make_cooperative, make_staff
from tests.trust.parallel import errors, run_parallel

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

VERIFY = "/account/2fa/verify/"


@pytest.fixture
def manager(settings):
    settings.STAFF_2FA_REQUIRED = True
    user = make_staff(make_cooperative(), Staff.MANAGER)
    device = TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=True)
    return user, device


def sessions(user, n):
    """``n`` browsers past the password step (signed in before the burst: the race is the second step)."""
    clients = []
    for _ in range(n):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def attempt(client, code):
    return lambda: client.post(VERIFY, {"code": code, "next": "/admin/"}).status_code


def test_twenty_parallel_guesses_get_five_checks_and_the_right_code_among_them_is_refused(manager, monkeypatch):
    user, device = manager
    checked, lock = [], threading.Lock()
    real_check = TOTPDevice.verify_token

    def counted_check(self, token):  # what we measure: how many codes were really compared
        with lock:
            checked.append(token)
        return real_check(self, token)

    monkeypatch.setattr(TOTPDevice, "verify_token", counted_check)
    right = code_for(device)
    burst = [f"{n:06d}" for n in range(21) if f"{n:06d}" != right][:19] + [right]  # the right one sent last
    clients = sessions(user, len(burst))
    answers = run_parallel([attempt(c, code) for c, code in zip(clients, burst, strict=True)])
    assert not errors(answers)
    assert len(checked) <= 5, (len(checked), answers)  # the limit, however many arrive at once
    assert right not in checked and 302 not in answers, answers
    assert answers.count(429) >= len(burst) - 5, answers  # "已暂停": refused before any check
    assert all(c.get("/admin/").status_code == 302 for c in clients)  # no session got through


def test_one_code_sent_from_ten_browsers_at_once_verifies_one_of_them(manager):
    user, device = manager
    code = code_for(device)
    clients = sessions(user, 10)
    answers = run_parallel([attempt(c, code) for c in clients])
    assert not errors(answers)
    assert answers.count(302) == 1, answers
    assert sorted(c.get("/admin/").status_code for c in clients) == [200] + [302] * 9
