"""Shared fixtures: personas for permission tests, API clients, the apps' worlds (``charter``, ``shop``,
``pairing``), the seeded demo, a real Celery worker. The helpers they are built on are in
``tests/factories.py``; only ``tests/browser/`` (Playwright) and ``tests/trust/`` (its world) keep a conftest.

Every permission test should be one line: ``client_for(personas.manager_b).get(url)``.
"""

import io
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from coop.models import Staff
from tests.factories import (
    make_batch,
    make_charter,
    make_cooperative,
    make_delivery,
    make_farmer,
    make_pairing,
    make_shop,
    make_staff,
    make_user,
    make_village,
)

ROOT = Path(__file__).resolve().parent.parent
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Personas:
    coop_a: object
    coop_b: object
    village_a: object
    manager_a: object
    manager_b: object
    inspector_a: object
    committee_a: object
    farmer_a: object  # the Farmer row of a household in cooperative A (signed-in user: farmer_a.user)
    farmer_b: object
    buyer: object  # a plain signed-up user; the shop gives it a buyer profile
    outsider: object  # signed in, no role anywhere


@pytest.fixture
def personas(db):
    coop_a = make_cooperative(name="贺波洛乡合作社", producer_code="HBLA")
    coop_b = make_cooperative(name="竹核乡合作社", producer_code="ZHXB")
    village_a = make_village(coop_a, name="尔吉村", altitude_m=2350)
    farmer_user = make_user("farmer_a")
    farmer_a = make_farmer(coop_a, village_a, head_name="吉克拉哈", user=farmer_user)
    farmer_b = make_farmer(coop_b, head_name="阿苏木呷", user=make_user("farmer_b"))
    return Personas(
        coop_a=coop_a, coop_b=coop_b, village_a=village_a,
        manager_a=make_staff(coop_a, Staff.MANAGER, "manager_a"),
        manager_b=make_staff(coop_b, Staff.MANAGER, "manager_b"),
        inspector_a=make_staff(coop_a, Staff.INSPECTOR, "inspector_a"),
        committee_a=make_staff(coop_a, Staff.COMMITTEE, "committee_a"),
        farmer_a=farmer_a, farmer_b=farmer_b,
        buyer=make_user("buyer"), outsider=make_user("outsider"),
    )


@pytest.fixture
def charter(personas):
    """A charter of cooperative A with the escalation ladder: warning, fine, doubled fine + notice, suspension."""
    return make_charter(personas.coop_a)


@pytest.fixture
def two_household_batch(personas):
    """A batch of 30 eggs: 20 from farmer_a (吉克拉哈), 10 from another household of coop A."""
    other = make_farmer(personas.coop_a, personas.village_a, head_name="阿苏木呷")
    d1 = make_delivery(personas.farmer_a, accepted={"L": 20})
    d2 = make_delivery(other, accepted={"L": 10})
    batch = make_batch(personas.coop_a, deliveries=[d1, d2], pack_size=10, boxes=3)
    batch.other_farmer = other
    return batch


@pytest.fixture
def farmer_a_batch(personas):
    d = make_delivery(personas.farmer_a, accepted={"L": 30})
    return make_batch(personas.coop_a, deliveries=[d], pack_size=10, boxes=3)


@pytest.fixture
def shop(personas):
    """Cooperative A with a product in stock (10 boxes), a pick-up point and a signed-up buyer."""
    return make_shop(personas)


@pytest.fixture
def pairing(personas):
    """Eggs through real intake, packed batches, a 紫南村–莫谷村 programme, an institution and its buyer."""
    return make_pairing(personas)


@pytest.fixture
def client_for():
    """``client_for(user)`` → a Django test client signed in as ``user`` (``None`` = anonymous)."""

    def make(user=None):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    """``api_for(user)`` → a DRF APIClient authenticated as ``user`` (``None`` = anonymous)."""

    def make(user=None):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return make


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language (Chinese). A request or a test that switched to English
    leaves that language active in its thread; without this, a later test's Chinese assertion would depend
    on which tests ran before it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tests run tasks in-process unless they ask for the ``celery_worker`` fixture."""
    from coop.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PINs and passwords are hashed with PBKDF2 in production; the personas fixture creates nine users
    # per test and the farmer tests sign in dozens of times on two shared cores.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    """Uploads, photos and PDFs go to the test's own directory, never to the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _forget_remembered_codes():
    """Each worker remembers code → batch (immutable in production); test databases roll back, so
    every test starts with an empty memory."""
    from quality.services import scanpage

    scanpage.forget_local()
    yield
    scanpage.forget_local()


@pytest.fixture(scope="session")
def _demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """``seed_demo`` once per run, inside a transaction that is rolled back when the run ends.

    Seeded with what every test gets (eager Celery, fast hashers, a media directory of its own). Each
    test that asks for ``seeded_demo`` runs in a savepoint inside that transaction, so what it changes is
    rolled back and the next one sees the demo as seeded. ``pytest_collection_modifyitems`` below runs
    those tests last, so no other test ever sees the demo rows (or flushes them, as ``transactional_db``
    and ``live_server`` tests do — they cannot use ``seeded_demo`` and seed for themselves).
    """
    from django.core.cache import cache

    from coop.celery import app

    media = tmp_path_factory.mktemp("demo-media")
    outer = transaction.atomic()
    eager = app.conf.task_always_eager
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHERS):
        app.conf.task_always_eager = True
        cache.clear()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
        finally:
            app.conf.task_always_eager = eager
    try:
        yield media
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded_demo(_demo_seeded, db, settings):
    """The whole demo (``seed_demo``: every app's seeder), seeded once per run; read it, or change it
    within the test — the change is rolled back. ``db`` tests only; runs after every other test."""
    settings.MEDIA_ROOT = _demo_seeded


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the tests that use the seeded demo last (after pytest-django's own ordering), together."""
    uses_demo = [item for item in items if "seeded_demo" in getattr(item, "fixturenames", ())]
    for item in uses_demo:
        fixtures = item.fixturenames
        if "transactional_db" in fixtures or "live_server" in fixtures:
            raise pytest.UsageError(f"{item.nodeid}: the seeded demo is for `db` tests; seed it yourself")
    if uses_demo:
        items[:] = [item for item in items if item not in uses_demo] + uses_demo


requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL (CI runs this against the real server)"
)
requires_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: set REDIS_URL (CI runs this against the real server)"
)


def _database_url():
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    pwd = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{pwd}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db):
    """A real ``celery worker`` process on the test database and the real Redis broker.

    Yields a handle with ``.process`` (to kill it) and ``.restart()``. Tasks queued during the test
    go through Redis to this worker, exactly as in production.
    """
    if not (settings.IS_POSTGRES and settings.REDIS_URL):
        pytest.skip("a real worker needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL); CI provides both")
    from coop.celery import app

    env = dict(os.environ, DATABASE_URL=_database_url(), REDIS_URL=settings.REDIS_URL,
               DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true")
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    queue = f"test-{os.getpid()}-{time.time_ns()}"

    class Handle:
        process = None

        def start(self):
            self.process = subprocess.Popen(
                [celery_bin, "-A", "coop", "worker", "--pool=solo", "--loglevel=warning", "-Q", ",".join(queues),
                 "-n", f"{queue}@%h", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env,
            )
            deadline = time.time() + 30
            while time.time() < deadline:
                if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
                    return
                if self.process.poll() is not None:
                    raise RuntimeError("celery worker exited at start-up")
            raise RuntimeError("celery worker did not answer within 30 s")

        def stop(self):
            if self.process and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()

        def restart(self):
            self.stop()
            self.start()

    # The test's own copy of every queue (CELERY_TASK_ROUTES), so a test's tasks reach only its worker.
    routes = {name: {"queue": f"{queue}-{r['queue']}"} for name, r in settings.CELERY_TASK_ROUTES.items()}
    queues = [queue, *sorted({r["queue"] for r in routes.values()})]
    handle = Handle()
    handle.queue = queue
    handle.queues = queues
    previous = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    use_routes(app, routes)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()
        app.conf.task_always_eager, app.conf.task_default_queue = previous[:2]
        use_routes(app, previous[2])


def use_routes(app, routes):
    """Route tasks by ``routes`` from now on: Celery prepares its routing table once, so it is rebuilt."""
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
