"""Issue 16 item 3: "第 1 盒" not "No.1" — a box is named as its label prints it wherever a person reads it:
the scan log in the admin named the box of each scan "K7M… #1"."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from quality.models import Scan
from quality.services.trace import issue_box_codes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_the_scan_log_names_the_box_as_its_label_does(personas):
    batch = make_batch(personas.coop_a, boxes=3)
    issue_box_codes(batch.trace, 3)
    box = batch.trace.boxes.get(serial=1)
    Scan.objects.create(uid="scan-box-1", trace=batch.trace, box=box, via="short",
                        scanned_at=timezone.now() - datetime.timedelta(minutes=5))
    c = Client()
    c.force_login(personas.manager_a)
    page = c.get("/admin/quality/scan/").content.decode()
    assert f"第 1 盒 · {box.code}" in page and f"{box.code} #1" not in page
