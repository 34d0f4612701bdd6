"""Reading from a PostgreSQL read replica (``DATABASE_REPLICA_URL``), for the pages that only read.

Nothing goes to the replica unless a view asks for it with ``@reads_from_replica`` (or a block with
``with replica_reads():``): the scan page, the dashboard and its exports, programme reports and the
return-to-poverty report. Everything else — every write, every request that writes, every read inside
``transaction.atomic()`` (where locks and ``select_for_update`` live), the sign-in, the buyer's own
order a second after paying — reads the primary, so replication lag can only make a report a second
old, never let a check run on stale rows. With ``DATABASE_REPLICA_URL`` unset the router answers
"default" for everything: nothing changes.

Django's router interface is the documented way to do this (docs "Multiple databases"); the one thing
it lacks is a per-request switch, which is the context variable below (a contextvar, not a
thread-local, so it also holds for code run under ``asgiref`` in another thread).
"""

import contextvars
import functools
from contextlib import contextmanager

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

_reading = contextvars.ContextVar("greenshell_replica_reads", default=False)


def replica_configured():
    return REPLICA in connections.settings


@contextmanager
def replica_reads():
    """Reads inside this block go to the replica (when there is one and no transaction is open)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(view):
    """A view that only reads: its queries go to the replica.

    The signed-in user is loaded (from the primary) before the switch: a session written a moment ago
    at sign-in may not have reached the replica yet, and a replica that lags must not sign anyone out.
    Never put this on a view that writes what it then reads back (writes themselves still go to the
    primary; the scan page's scan row does).
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - evaluates the lazy user now, on the primary
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapper


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads to the replica only inside ``replica_reads()``."""

    def db_for_read(self, model, **hints):
        if not _reading.get() or not replica_configured():
            return PRIMARY
        # Inside a transaction on the primary we may be reading what we just wrote or locked:
        # the replica has not got it yet, and a lock taken there would not exist.
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY  # a replica is read-only; a model read from it is saved to the primary

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: a relation between them is a relation.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}
