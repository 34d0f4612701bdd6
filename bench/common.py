"""Helpers shared by the benchmark scripts (run as `python bench/<name>.py`)."""

import sys


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
