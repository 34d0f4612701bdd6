"""One harness for race tests: fire many calls at once, on a bounded number of threads.

Every race test in the red-team suite goes through ``run_parallel`` so that they all race the same way:
``workers`` threads start together behind a barrier (so the first wave really is simultaneous), then each
keeps taking the next call from the list until none is left. The pool is bounded because eight people
share one PostgreSQL: each thread holds a connection, and forty threads per test would exhaust
``max_connections``. Each thread closes its own connection when it is done, or the test database could
not be dropped at the end of the run.

A call's exception is returned in its place, not raised: a refused sign-in *is* the answer a race test
counts. A test that expects no exception checks with ``errors(results)``.

Bursts against a live server send their requests through ``http_status`` from the calls they give
``run_parallel``, so every HTTP race resends and reads answers the same way.
"""

import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

MAX_WORKERS = 10


def run_parallel(calls, *, workers=MAX_WORKERS, timeout=60):
    """Run every callable in ``calls`` concurrently; return their results (or exceptions), in order."""
    calls = list(calls)
    workers = max(1, min(workers, MAX_WORKERS, len(calls)))
    results = [None] * len(calls)
    start = threading.Barrier(workers, timeout=timeout)
    next_index = iter(range(len(calls)))
    take = threading.Lock()

    def worker():
        try:
            start.wait()
            while True:
                with take:
                    index = next(next_index, None)
                if index is None:
                    return
                try:
                    results[index] = calls[index]()
                except Exception as exc:  # noqa: BLE001 - the refusal is the result being counted
                    results[index] = exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result(timeout=timeout)
    return results


def errors(results, *expected):
    """The exceptions among ``results`` that are not of the ``expected`` types (a refusal the test counts)."""
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, expected)]


def http_status(request, *, attempts=3, timeout=30):
    """Send ``request`` (a ``urllib.request.Request``) and return the answer's status code.

    An error status is an answer (returned, not raised). A refused or dropped connection means the test
    server's accept queue overflowed under the burst: the request is resent, as a phone would, up to
    ``attempts`` times; ``None`` if it never got through.
    """
    for _attempt in range(attempts):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                resp.read()
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (ConnectionError, urllib.error.URLError):
            continue
    return None
