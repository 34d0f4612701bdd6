"""Issue 16 item 3: "logs show the person's name, not the login". The audit trail and the receipt already did;
the admin's lists did not — the deliveries' 验收员, the ledger's and the fund's 记录人 showed ``inspector_a`` —
nor did the deliveries export."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from coop.models import LedgerEntry
from coop.services.exports import deliveries_table
from coop.services.ledger import post_entry
from tests.factories import make_delivery

pytestmark = pytest.mark.django_db


def _cells(html):
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)]


def test_admin_lists_and_the_export_name_the_person(personas):
    inspector, manager = personas.inspector_a, personas.manager_a
    inspector.last_name, inspector.first_name = "吉克", "阿依"
    inspector.save()
    manager.last_name, manager.first_name = "沙马", "拉则"
    manager.save()
    make_delivery(personas.farmer_a, inspector=inspector)
    post_entry(farmer=personas.farmer_a, kind=LedgerEntry.ADJUSTMENT, amount=Decimal("2.00"), reason="补记",
               dedupe_key="adjust:names", user=manager)
    c = Client()
    c.force_login(manager)
    deliveries = _cells(c.get("/admin/coop/delivery/").content.decode())
    assert "吉克阿依" in deliveries and "inspector_a" not in deliveries
    ledger = _cells(c.get("/admin/coop/ledgerentry/").content.decode())
    assert "沙马拉则" in ledger and "manager_a" not in ledger
    # A column that names a person still sorts by it.
    assert c.get("/admin/coop/delivery/", {"o": "-9"}).status_code == 200
    _title, headers, rows = deliveries_table([personas.coop_a.pk])
    row = dict(zip(headers, next(iter(rows)), strict=True))
    assert row["验收员"] == "吉克阿依"
