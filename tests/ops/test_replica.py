"""The read-replica router (``DATABASE_REPLICA_URL``, coop/lib/replica.py).

Two kinds of test. The first run everywhere: with no replica configured every read is the primary's,
and the router's rules (writes and transactions on the primary) hold. The second need a real second
database — CI's PostgreSQL step sets ``DATABASE_REPLICA_URL`` to a *distinct* database (not a test
mirror of the primary), so the test can tell by the data which database answered: the primary's rows are
copied to the "replica" (``dumpdata`` → ``loaddata``, a snapshot standing in for streaming replication),
then the primary moves on, and a page that reads the replica still shows the snapshot — replication lag,
made visible — while every write lands on the primary only.
"""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coop.lib.replica import PRIMARY, REPLICA, ReplicaRouter, replica_reads
from coop.models import Batch, Delivery
from quality.models import Scan
from quality.services.dashboard import week_start
from tests.factories import make_batch, make_delivery

HAS_REPLICA = "replica" in settings.DATABASES
requires_replica = pytest.mark.skipif(
    not (HAS_REPLICA and settings.IS_POSTGRES),
    reason="needs a second PostgreSQL database: set DATABASE_REPLICA_URL (CI's PostgreSQL step does)",
)


# --- without a replica: nothing changes ------------------------------------------------------------


@pytest.mark.skipif(HAS_REPLICA, reason="checks the configuration without a replica")
def test_it_routes_nothing_when_no_replica_is_configured():
    assert "replica" not in settings.DATABASES
    assert not getattr(settings, "DATABASE_ROUTERS", [])
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Delivery) == PRIMARY


def test_it_writes_to_the_primary_always():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Delivery) == PRIMARY
    assert router.db_for_write(Delivery) == PRIMARY


def test_a_bad_replica_url_stops_start_up(tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
           "DATABASE_REPLICA_URL": "sqlite:///other.db", "DJANGO_SETTINGS_MODULE": "coop.settings",
           "DEBUG": "true"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, cwd=settings.BASE_DIR,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "same kind of database" in out.stderr


# --- with a replica: reads where asked, writes and locks on the primary ----------------------------

two_databases = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])


def _replicate():
    """Copy the primary's rows to the replica: what streaming replication does, at one moment."""
    dump = io.StringIO()
    call_command("dumpdata", "auth.user", "coop", "orders", "quality", natural_foreign=True, stdout=dump,
                 database=PRIMARY)
    path = settings.MEDIA_ROOT / "snapshot.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump.getvalue())
    call_command("loaddata", str(path), database=REPLICA, verbosity=0)


def _this_week():
    day = max(week_start(timezone.localdate()), timezone.localdate())
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def _tables(queries):
    return " ".join(q["sql"] for q in queries)


@requires_replica
@two_databases
def test_the_dashboard_reads_the_replica(personas, client_for):
    make_delivery(personas.farmer_a, accepted={"L": 40}, received_at=_this_week())
    _replicate()
    # The primary moves on; the replica has not caught up yet.
    make_delivery(personas.farmer_a, accepted={"L": 60}, received_at=_this_week())
    client = client_for(personas.manager_a)
    with CaptureQueriesContext(connections[PRIMARY]) as primary, \
            CaptureQueriesContext(connections[REPLICA]) as replica:
        r = client.get("/admin/dashboard/")
    assert r.status_code == 200
    assert r.context["d"]["totals"]["brought"] == 40  # the snapshot's figure, not the primary's 100
    assert '"coop_delivery"' in _tables(replica.captured_queries)
    # The primary answered only who is asking (session, user) — none of the figures.
    assert '"coop_delivery"' not in _tables(primary.captured_queries)
    assert '"django_session"' in _tables(primary.captured_queries)


@requires_replica
@two_databases
def test_a_scan_reads_the_replica_and_records_on_the_primary(personas, client, settings):
    settings.REDIS_URL = ""  # the scan is written to the database at once (Redis buffers it otherwise)
    batch = make_batch(personas.coop_a)
    _replicate()
    with CaptureQueriesContext(connections[PRIMARY]) as primary, \
            CaptureQueriesContext(connections[REPLICA]) as replica:
        r = client.get(f"/t/{batch.trace.code}")
    assert r.status_code == 200 and batch.code in r.content.decode()
    assert '"coop_batch"' in _tables(replica.captured_queries)
    assert Scan.objects.using(PRIMARY).filter(trace=batch.trace).count() == 1
    assert Scan.objects.using(REPLICA).filter(trace=batch.trace).count() == 0
    assert "INSERT" not in _tables(replica.captured_queries)
    assert '"coop_batch"' not in _tables(primary.captured_queries)


@requires_replica
@two_databases
def test_pages_that_do_not_ask_read_the_primary(personas, client_for):
    """The buyer who just paid, the manager's order and books pages: no replica, so no lag."""
    make_delivery(personas.farmer_a, accepted={"L": 40})
    _replicate()
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert client_for(personas.manager_a).get("/books/pack/").status_code in (200, 302)
        assert client_for(personas.farmer_a.user).get("/farmer/deliveries/").status_code in (200, 302)
    assert replica.captured_queries == []


@requires_replica
@two_databases
def test_reads_under_a_lock_or_in_a_transaction_go_to_the_primary(personas):
    batch = make_batch(personas.coop_a)
    _replicate()
    Batch.objects.using(PRIMARY).filter(pk=batch.pk).update(status=Batch.SOLD_OUT)  # the replica: still packed
    with replica_reads():
        assert Batch.objects.get(pk=batch.pk).status == Batch.PACKED  # a read-only page's read: the replica
        with transaction.atomic():
            assert Batch.objects.select_for_update().get(pk=batch.pk).status == Batch.SOLD_OUT
            assert Batch.objects.get(pk=batch.pk).status == Batch.SOLD_OUT  # read after the lock, same transaction
    assert Batch.objects.get(pk=batch.pk).status == Batch.SOLD_OUT  # outside replica_reads: the primary


@requires_replica
@two_databases
def test_programme_reports_and_exports_read_the_replica(personas, pairing, client_for):
    from tests.factories import pay, place

    pay(place(pairing, 2), personas.manager_a)
    _replicate()
    pay(place(pairing, 3), personas.manager_a)  # after the snapshot: only the primary has it
    client = client_for(personas.manager_a)
    for url in (f"/programmes/{pairing.programme.pk}/", "/programmes/", "/programmes/monitoring/",
                f"/programmes/{pairing.programme.pk}/report.xlsx", "/admin/dashboard/export/orders.csv"):
        with CaptureQueriesContext(connections[PRIMARY]) as primary, \
                CaptureQueriesContext(connections[REPLICA]) as replica:
            r = client.get(url)
        assert r.status_code == 200, url
        assert replica.captured_queries, url
        assert '"orders_order"' not in _tables(primary.captured_queries), url
    rows = client.get("/admin/dashboard/export/orders.csv").content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 1 + 1  # the header and the one order the replica has


def test_data_migrations_work_on_the_database_being_migrated():
    """A data migration that queries through the router reads the primary while the replica's test
    database is being migrated (CI migrates both): 0011_product_photos failed that way. Every RunPython
    function names ``schema_editor.connection.alias`` and every query in it says ``.using(…)``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted(root.glob("*/migrations/0*.py")):
        source = path.read_text(encoding="utf-8")
        if "RunPython" not in source:
            continue
        tree = ast.parse(source)
        if "schema_editor.connection.alias" not in source:
            offenders.append(f"{path.relative_to(root)}: never names schema_editor.connection.alias")
        for node in ast.walk(tree):
            # Model.objects.<method>(…) with no .using(): goes wherever the router says.
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "objects" and node.attr != "using"):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}: .objects.{node.attr} without .using()")
    assert offenders == []
