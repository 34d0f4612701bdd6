"""Locks that stop two people selling or packing the same eggs.

The rule (see docs/ARCHITECTURE.md, "Locking"): inside ``transaction.atomic()``, take the lock as
late as possible but *before* reading availability; then recompute availability from facts; then
write. On PostgreSQL the lock is a transaction-level advisory lock per key, taken in sorted order
(so two transactions never wait on each other in a cycle) under ``SET LOCAL lock_timeout``; a
timeout becomes ``LockTimeout`` ("busy, try again"), never an oversell. On SQLite the settings
start every transaction with BEGIN IMMEDIATE, which already serialises writers.
"""

import hashlib

from django.conf import settings
from django.db import OperationalError, connection


class LockTimeout(Exception):
    """Someone else holds the lock for too long: tell the user to try again."""


def _key_to_int(key):
    # PostgreSQL advisory locks take a signed 64-bit integer.
    digest = hashlib.blake2b(str(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(*keys):
    """Take exclusive transaction-scoped locks on ``keys`` (strings like ``"stock:3:L"``)."""
    if not settings.GREENSHELL_LOCKING:
        return  # test-only switch: lets the concurrency tests prove the race is real
    if not connection.in_atomic_block:
        raise RuntimeError("lock_keys() must be called inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return
    ints = sorted({_key_to_int(k) for k in keys})
    timeout_ms = int(settings.GREENSHELL_LOCK_TIMEOUT * 1000)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
            for value in ints:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [value])
    except OperationalError as exc:
        if "lock timeout" in str(exc).lower() or "canceling statement" in str(exc).lower():
            raise LockTimeout() from exc
        raise
