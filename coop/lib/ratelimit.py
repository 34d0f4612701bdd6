"""Counting for every limit (sign-in lockouts, PIN guesses, bad-egg reports): fixed windows in the cache.

A hit is counted *before* the caller checks it: ``cache.add`` creates the window's counter, then
``cache.incr`` is atomic in Redis, so 40 parallel requests get 40 different counts and only those under
the limit pass. (A read-then-write counter would let them all see the same count and slip through.)

Why not django-ratelimit: its API counts requests for a view (``key="ip"``, ``rate="5/h"``); our
limits are counted inside services, on keys that are not requests (a username with an address, a
batch), and one limit (the staff lockout) must also extend its window on every failure. The
algorithm is the same fixed-window add + incr it uses; this is that, in one place.

When the cache cannot be reached (Redis down), every function raises ``LimiterUnavailable``, a domain
error ("稍后再试", HTTP 503): a limit that cannot be counted refuses rather than waving everyone through
(which would switch the lockouts off during an outage) or answering 500.
"""

import functools

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from coop.lib.errors import DomainError


class LimiterUnavailable(DomainError):
    """The counters cannot be reached (the cache is down): refuse for now, the person tries again later."""

    code = "unavailable"
    status = 503
    retry_after = 60

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("系统暂时忙不过来，请稍后再试。"), **kwargs)


def _counted(function):
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (RedisError, OSError) as exc:  # OSError: a refused or reset socket under other backends
            raise LimiterUnavailable() from exc

    return wrapped


@_counted
def hit(key, window):
    """Count one hit on ``key`` in a window of ``window`` seconds; returns the count including it."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr: this hit opens a new one
        cache.set(key, 1, window)
        return 1


@_counted
def refund(key):
    """Take one hit back (an attempt counted before the check that turned out to be allowed)."""
    try:
        cache.decr(key)
    except ValueError:  # the window has expired meanwhile: nothing left to take back
        pass


@_counted
def count(key):
    """Hits counted on ``key`` in its current window (0 if none)."""
    return cache.get(key) or 0


@_counted
def extend(key, window):
    """Restart the window of ``key`` from now (a lockout lasts the full period after the last failure)."""
    cache.touch(key, window)


@_counted
def clear(key):
    cache.delete(key)


@_counted
def remember(key, value, window):
    """Keep ``value`` (e.g. until when a lock lasts) for ``window`` seconds, unless one is kept already."""
    cache.add(key, value, window)


@_counted
def recall(key):
    """The value ``remember`` kept on ``key``, or None once its window is over."""
    return cache.get(key)
