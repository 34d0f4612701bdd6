"""Red team, issue 15 (10): the household sign-in must not tell a stranger which numbers are members —
not in its words, nor in how long it takes to say them."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from tests.factories import give_pin


def attempt(phone, pin="000000"):
    r = Client(REMOTE_ADDR="10.0.0.8").post("/farmer/login/", {"phone": phone, "pin": pin})
    return r.status_code, r.content.decode().count("手机号或密码不对"), "还可以再试" in r.content.decode()


@pytest.mark.django_db
def test_a_members_number_and_a_strangers_get_the_same_answer(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    member = attempt(personas.farmer_a.phone)
    stranger = attempt("13900009999")
    assert member == stranger
    assert member[0] == 400 and member[1] >= 1 and member[2] is False


@pytest.mark.django_db
def test_a_strangers_number_costs_the_same_hashing_as_a_members(personas, monkeypatch):
    """0.28 s against 0.05 s: the PIN hash was only checked for members. Count hash runs, not seconds
    (two shared cores make wall-clock tests flaky); one PBKDF2 run is what the time is."""
    give_pin(personas.farmer_a, personas.manager_a)
    runs = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a, **kw: runs.append(1) or encode(self, *a, **kw))
    attempt(personas.farmer_a.phone)
    member_runs, runs[:] = len(runs), []
    attempt("13900009999")
    assert member_runs == len(runs) == 1


@pytest.mark.django_db
def test_a_strangers_number_locks_after_five_tries_like_a_members(personas):
    """Otherwise the fifth try tells them apart: a member's number locks, a stranger's never did."""
    give_pin(personas.farmer_a, personas.manager_a)
    for _ in range(4):
        assert attempt(personas.farmer_a.phone) == attempt("13900009999")
    member, stranger = lock_page(personas.farmer_a.phone), lock_page("13900009999")
    assert member == stranger and member[0] == 429 and "已锁定" in member[1]
    assert lock_page(personas.farmer_a.phone) == lock_page("13900009999")  # and stays locked alike


def lock_page(phone):
    r = Client(REMOTE_ADDR="10.0.0.8").post("/farmer/login/", {"phone": phone, "pin": "000000"})
    text = r.content.decode()
    return r.status_code, text[text.index("输错太多次"):text.index("重设密码") + 4] if "输错太多次" in text else text
