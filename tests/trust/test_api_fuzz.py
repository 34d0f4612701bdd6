"""Schema-driven fuzzing of the whole API with schemathesis.

The OpenAPI document is the one the app serves (drf-spectacular); every operation in it gets a
bounded number of generated requests through the real WSGI application — once signed in as a
manager of cooperative A (token auth, over a world with rows in every app) and once anonymously.
Checks: no server error (5xx) and every response conforms to the schema (status code documented,
body valid, content type). ``GS_FUZZ_EXAMPLES`` raises the bound for a longer local run.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GS_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _schema_dict():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(_schema_dict())
# Inputs valid by the schema (types, bounds, required fields): the API must answer each without a
# server error and within what it documents. (Schema-violating inputs would also reach Django's HTML
# 404 for ids that match no route, which is not the API's to document.)
schema.config.generation.update(modes=list(GenerationMode))
APP = WSGIHandler()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Called straight through WSGI, each request's end would close the database connection that
    holds the test's transaction (PostgreSQL); Django's own test client unhooks this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def manager(db, settings):
    """A manager of a cooperative with rows that small generated ids hit: a priced delivery from a
    household, a packed batch, a product."""
    from coop.models import Staff
    from orders.models import Product
    from tests.factories import deliver, make_batch, make_cooperative, make_farmer, make_staff, set_prices

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    coop = make_cooperative()
    set_prices(coop)
    delivery = deliver(make_farmer(coop), accepted={"L": 30})
    make_batch(coop, deliveries=[delivery], weight_class="L", pack_size=10, boxes=3)
    Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                           price="39.90", per_order_limit=10)
    return make_staff(coop, Staff.MANAGER)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


def _call(case, headers=None):
    # Throttled public endpoints would answer 429 after a few examples; the cache is per test.
    from django.core.cache import cache

    cache.clear()
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    case.call_and_validate(app=APP, headers=headers or {}, checks=[not_a_server_error] if negative else CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_as_a_manager_never_errs_and_keeps_to_its_schema(case, manager):
    token, _ = Token.objects.get_or_create(user=manager)
    _call(case, {"Authorization": f"Token {token.key}"})


@schema.parametrize()
@FUZZ
def test_the_api_anonymously_never_errs_and_keeps_to_its_schema(case, db):
    _call(case)
