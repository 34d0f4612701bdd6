"""Redis stops and starts again in the middle of scan traffic: every scan served is recorded, once, and no
scan page fails. The scan buffer lives in Redis, so this holds only with Redis's append-only file on (as
`deploy/` and docker-compose set it): the same restart without it loses what was buffered.

The test starts its own Redis on a free port (never the shared one) and points the scan buffer at it.
"""

import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
import redis

from quality.models import Scan
from quality.services import scans
from tests.factories import make_batch, make_cooperative
from tests.trust.parallel import http_status, run_parallel

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (CI has it)")

WAVE = 40


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, started and stopped as an operator's restart would."""

    def __init__(self, directory, *, aof):
        self.port = _free_port()
        self.args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
                     "--save", "", "--daemonize", "no", "--appendonly", "yes" if aof else "no",
                     "--appendfsync", "everysec"]
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_timeout=1)
        for _i in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self):
        """SIGTERM, as `systemctl restart` or `docker restart` sends: Redis writes its AOF and exits."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path, settings, monkeypatch):
    made = []

    def make(*, aof):
        server = OwnRedis(tmp_path, aof=aof)
        server.start()
        made.append(server)
        settings.REDIS_URL = server.url
        monkeypatch.setattr(scans, "_client", None)  # the scan buffer connects to this server from now on
        return server

    yield make
    for server in made:
        server.stop()


def _wave(url, n=WAVE):
    req = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0"})
    return run_parallel([lambda: http_status(req, attempts=1) for _i in range(n)])


def _traffic_across_a_restart(live_server, server):
    """Scans before, during and after an outage; returns (statuses, buffered lines lost in the restart)."""
    batch = make_batch(make_cooperative())
    url = f"{live_server.url}/t/{batch.trace.code}"
    statuses = _wave(url)  # buffered in Redis, not yet flushed
    before = scans.pending_count()
    server.stop()
    statuses += _wave(url)  # Redis is down: each scan is written straight to the database
    server.start()
    statuses += _wave(url)  # buffered again
    scans.flush_scans()
    return batch, statuses, before


def test_a_redis_restart_mid_traffic_loses_no_scan_and_fails_no_page(transactional_db, live_server, own_redis):
    server = own_redis(aof=True)
    batch, statuses, buffered = _traffic_across_a_restart(live_server, server)
    assert buffered == WAVE
    assert statuses == [200] * (3 * WAVE)  # no scan page failed while Redis was away
    assert Scan.objects.filter(trace=batch.trace).count() == 3 * WAVE  # served = recorded
    assert scans.pending_count() == 0


def test_without_the_append_only_file_the_same_restart_loses_the_buffered_scans(transactional_db, live_server,
                                                                                  own_redis):
    """Why deploy/ and docker-compose turn AOF on: the guard off, the same traffic loses the first wave."""
    server = own_redis(aof=False)
    batch, statuses, buffered = _traffic_across_a_restart(live_server, server)
    assert buffered == WAVE and statuses == [200] * (3 * WAVE)
    assert Scan.objects.filter(trace=batch.trace).count() == 2 * WAVE
