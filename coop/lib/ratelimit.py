"""Counting for every limit (sign-in lockouts, PIN guesses, bad-egg reports): fixed windows in the cache.

A hit is counted *before* the caller checks it: ``cache.add`` creates the window's counter, then
``cache.incr`` is atomic in Redis, so 40 parallel requests get 40 different counts and only those under
the limit pass. (A read-then-write counter would let them all see the same count and slip through.)

Why not django-ratelimit: its API counts requests for a view (``key="ip"``, ``rate="5/h"``); our
limits are counted inside services, on keys that are not requests (a username with an address, a
batch), and one limit (the staff lockout) must also extend its window on every failure. The
algorithm is the same fixed-window add + incr it uses; this is that, in one place.
"""

from django.core.cache import cache


def hit(key, window):
    """Count one hit on ``key`` in a window of ``window`` seconds; returns the count including it."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr: this hit opens a new one
        cache.set(key, 1, window)
        return 1


def count(key):
    """Hits counted on ``key`` in its current window (0 if none)."""
    return cache.get(key) or 0


def extend(key, window):
    """Restart the window of ``key`` from now (a lockout lasts the full period after the last failure)."""
    cache.touch(key, window)


def clear(key):
    cache.delete(key)
