"""One client address for everything (issue 15, item 3).

Behind nginx every request comes from 127.0.0.1 and the client is in ``X-Real-IP``
(``CLIENT_IP_HEADER=HTTP_X_REAL_IP``). Read from ``REMOTE_ADDR``, five reports from anyone silenced
reporting for the whole site; the scan's clone detection read a header nothing set. Every limit,
fingerprint and scan now reads ``coop.lib.client.client_ip``.
"""

import re
from pathlib import Path

import pytest

from quality.models import BadEggReport, Scan
from quality.services import scans

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PROXY = {"REMOTE_ADDR": "127.0.0.1"}
READS_ADDRESS = re.compile(r"META(\.get)?[\[(]\s*[\"'](REMOTE_ADDR|HTTP_X_FORWARDED_FOR|HTTP_X_REAL_IP)")


def _report(client, batch, ip, defect):
    return client.post(f"/t/{batch.code}/report/", {"eggs": 1, "defect": defect},
                       HTTP_X_REAL_IP=ip, **PROXY)


def test_it_limits_reports_per_client_behind_the_proxy_not_for_the_whole_site(client_for, farmer_a_batch,
                                                                               settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    settings.CHARTER_REPORT_LIMITS = (2, 100, 3600)
    noisy = [_report(client_for(None), farmer_a_batch, "203.0.113.9", d).status_code
             for d in ("rotten", "cracked", "dirty")]
    assert noisy == [302, 302, 429]  # one client over its limit…
    assert _report(client_for(None), farmer_a_batch, "198.51.100.7", "blood").status_code == 302  # …not everyone
    assert BadEggReport.objects.count() == 3


def test_it_merges_repeats_by_the_real_client_behind_the_proxy(client_for, farmer_a_batch, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    _report(client_for(None), farmer_a_batch, "203.0.113.9", "rotten")
    _report(client_for(None), farmer_a_batch, "198.51.100.7", "rotten")  # someone else, same defect
    assert BadEggReport.objects.count() == 2


def test_it_counts_scans_from_two_networks_behind_the_proxy_as_two(client, farmer_a_batch, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    code = farmer_a_batch.trace.code
    for ip in ("203.0.113.9", "198.51.100.7"):
        assert client.get(f"/t/{code}", HTTP_X_REAL_IP=ip, **PROXY).status_code == 200
    scans.flush_scans()
    hashes = set(Scan.objects.filter(trace=farmer_a_batch.trace).values_list("network_hash", flat=True))
    assert len(hashes) == 2 and "" not in hashes


def test_nothing_but_the_helper_reads_the_client_address():
    readers = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in ("coop", "orders", "quality") or "migrations" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if rel == Path("coop/lib/client.py"):
            continue
        if READS_ADDRESS.search(text) or "SCAN_CLIENT_IP" in text:
            readers.append(str(rel))
    assert readers == []
