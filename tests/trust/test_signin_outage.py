"""Red team, issue 15 (7): with the cache (Redis) down, sign-in says "稍后再试" — never a 500.

The cache is pointed at a closed port for the test (the shared Redis is never stopped)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import give_pin

DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DOWN


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["/admin/login/?next=/admin/", "/programmes/login/"])
def test_the_staff_sign_in_pages_say_try_later_when_the_cache_is_down(personas, redis_down, door):
    r = Client().post(door, {"username": "committee_a", "password": "pw-greenshell-1"})
    assert r.status_code == 200 and "稍后再试" in r.content.decode()
    assert "_auth_user_id" not in r.client.session


@pytest.mark.django_db
def test_the_api_token_says_try_later_when_the_cache_is_down(personas, redis_down):
    r = APIClient().post("/api/auth/token/", {"username": "committee_a", "password": "pw-greenshell-1"},
                         format="json")
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"
    assert "稍后再试" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_the_household_sign_in_says_try_later_when_the_cache_is_down(personas, redis_down):
    give_pin(personas.farmer_a, personas.manager_a)
    r = Client().post("/farmer/login/", {"phone": personas.farmer_a.phone, "pin": "246810"})
    assert r.status_code == 503 and "稍后再试" in r.content.decode()
    assert "_auth_user_id" not in r.client.session
