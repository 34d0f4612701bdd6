"""Schema-driven fuzzing of the whole API with schemathesis (issue 15: "0 server errors").

The OpenAPI document is the one the app serves (drf-spectacular). Every operation in it gets generated
requests through the real WSGI application, once as a manager of cooperative A (token auth) and once
anonymously, over the trust world (tests/trust/world.py: two cooperatives with rows in every app):

- with the path's ids as generated, and again with the ids of cooperative A's real rows, so that the
  fuzzed bodies and queries reach the actions (approve, pay, reverse, dismiss…) on rows that exist;
- inputs valid by the schema (checked: no 5xx, status code documented, body valid, content type) and
  inputs that break it (checked: no 5xx — a wrong type, a missing field or a path no route matches may
  answer anything but a server error).

Each example runs in a savepoint rolled back after it, so every request meets the same world (a
failure reproduces with the one request printed) and writes under fuzzing leave nothing behind.
The world is built once per persona, not once per operation (1 s each), so the two tests loop over the
operations themselves and report every failing one together. ``GS_FUZZ_EXAMPLES`` (default 8 per
operation, mode and ids) bounds the run: ~3,000 requests, about a minute and a half on SQLite.
"""

import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("GS_FUZZ_EXAMPLES", "8"))
CONFORMS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CHECKS = {GenerationMode.POSITIVE: CONFORMS, GenerationMode.NEGATIVE: [not_a_server_error]}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
# Path parameters that name no row: a payment provider the notification endpoint knows.
NAMED = {"provider": "sandbox"}
APP = WSGIHandler()


def _schema():
    from drf_spectacular.generators import SchemaGenerator

    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


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
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def real_path_parameters(operation, world):
    """Cooperative A's row for the operation's path (``{"id": 7}``), found through the view the path
    resolves to; None where the view names no model the world has a row of."""
    names = [p.name for p in operation.path_parameters]
    if not names:
        return None
    sample = operation.path
    for name in names:
        sample = sample.replace("{" + name + "}", NAMED.get(name, "1"))
    func = resolve(sample).func
    view = getattr(func, "cls", None) or getattr(func, "view_class", None)
    queryset = getattr(view, "queryset", None)
    serializer = getattr(view, "serializer_class", None)
    model = queryset.model if queryset is not None else getattr(getattr(serializer, "Meta", None), "model", None)
    row = world.obj(model._meta.label_lower) if model is not None else None
    values = {}
    for name in names:
        if name in NAMED:
            values[name] = NAMED[name]
        elif row is not None:
            values[name] = getattr(row, getattr(view, "lookup_field", "pk"))
        else:
            return None
    return values


def fuzz(strategy, headers, checks):
    @FUZZ
    @given(case=strategy)
    def run(case):
        # Throttled public endpoints would answer 429 after a few examples.
        cache.clear()
        with transaction.atomic():
            case.call_and_validate(app=APP, headers=headers, checks=checks)
            transaction.set_rollback(True)

    run()


def fuzz_every_operation(headers, world):
    failures, runs = [], 0
    for result in _schema().get_all_operations():
        operation = result.ok()
        real = real_path_parameters(operation, world)
        for mode in CHECKS:
            for path_parameters in ([None, real] if real else [None]):
                if path_parameters and mode.is_negative and not (list(operation.query) or list(operation.body)):
                    continue  # the ids fixed, nothing is left to break (Hypothesis: Unsatisfiable)
                runs += 1
                try:
                    fuzz(operation.as_strategy(mode, path_parameters=path_parameters), headers, CHECKS[mode])
                # schemathesis's FailureGroup is a BaseExceptionGroup, not an Exception.
                except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, reported together
                    failures.append(f"{operation.label} ({mode.value}, {'real' if path_parameters else 'generated'}"
                                    f" ids):\n{exc}")
    assert runs > 150, runs  # every operation was reached (70 today, twice with real ids)
    assert not failures, f"{len(failures)} of {runs} runs failed:\n\n" + "\n\n".join(failures)


def test_the_api_as_a_manager_never_errs_and_keeps_to_its_schema(fast_passwords, world):
    token, _ = Token.objects.get_or_create(user=world.personas.manager_a)
    fuzz_every_operation({"Authorization": f"Token {token.key}"}, world)


def test_the_api_anonymously_never_errs_and_keeps_to_its_schema(fast_passwords, world):
    fuzz_every_operation({}, world)
