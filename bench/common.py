"""Helpers shared by the benchmark scripts (run as `python bench/<name>.py`): the database they run on
(a throw-away SQLite one, or their own PostgreSQL database) and timing a step."""

import os
import statistics
import sys
import tempfile
import time


def sqlite_django(bench_name, **env):
    """Set Django up on a throw-away SQLite database with its media beside it, without Redis.

    Returns the temporary directory. ``env`` adds environment variables (``LOG_LEVEL="WARNING"``).
    """
    tmp = tempfile.mkdtemp(prefix=f"gs-bench-{bench_name}-")
    os.environ.update(DJANGO_SETTINGS_MODULE="coop.settings", DEBUG="true", SQLITE_NAME=f"{tmp}/bench.sqlite3",
                      MEDIA_ROOT=tmp, **env)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    return tmp


def timed(fn, runs=3):
    """Call ``fn`` ``runs`` times: (median seconds, fastest seconds, what the last call returned)."""
    times, result = [], None
    for _i in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), result


def ensure_database(db_url, bench_name):
    """Create the benchmark's own PostgreSQL database if missing; skip the bench (exit 0) without a server."""
    import psycopg

    name = db_url.rsplit("/", 1)[1]
    admin_url = db_url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"{bench_name} bench skipped: PostgreSQL not reachable at {admin_url} ({exc.__class__.__name__})")
        sys.exit(0)
