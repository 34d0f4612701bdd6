"""The demo gives every batch a trace code, a certificate and scans, and is safe to run twice."""

import pytest

from quality.demo import seed_trace
from quality.models import ComplianceCertificate, Scan
from quality.services.scans import suspicion_flags
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_the_demo_traces_every_batch_and_can_run_twice(personas):
    batches = [make_batch(personas.coop_a) for _i in range(3)]
    seed_trace()
    scans = Scan.objects.count()
    seed_trace()
    assert Scan.objects.count() == scans > 0
    assert ComplianceCertificate.objects.count() == 3
    for b in batches:
        assert b.trace.scans.exists()
    assert any("仿冒" in f for f in suspicion_flags(batches[-1].trace))
