"""The same household list confirmed twice at once (a double tap, two tabs, two managers): one import writes
the 30 households, the other is refused in words — never a half-written list or a crash on the unique
member number. Without the cooperative's import lock, the race is real."""

import io

import pytest
from django.db import IntegrityError
from openpyxl import Workbook

from coop.models import AuditEvent, Farmer
from coop.services import imports
from tests.conftest import requires_postgres
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def the_list(village):
    wb = Workbook()
    wb.active.append(["社员编号", "户主姓名", "村", "手机号"])
    for i in range(1, 31):
        wb.active.append([f"EJ{i:03d}", f"阿吉{i}", village, f"1390000{i:04d}"])
    out = io.BytesIO()
    wb.save(out)
    return imports.read_table("a.xlsx", out.getvalue())[0]


def confirm_twice(personas):
    rows = the_list(personas.village_a.name)
    digest = imports.plan_import(personas.coop_a, rows).digest  # both confirm the same preview
    return run_parallel([lambda: imports.apply_import(personas.coop_a, rows, user=personas.manager_a,
                                                      expected_digest=digest)] * 2, workers=2)


def test_two_confirms_at_once_import_the_list_once(personas):
    results = confirm_twice(personas)
    assert errors(results, imports.ImportRefused) == []
    assert sum(isinstance(r, imports.ImportRefused) for r in results) == 1
    assert Farmer.objects.filter(member_no__startswith="EJ").count() == 30
    assert AuditEvent.objects.filter(action="farmers.imported").count() == 1


def test_without_the_lock_the_second_confirm_crashes_on_the_member_number(personas, settings):
    settings.GREENSHELL_LOCKING = False
    results = confirm_twice(personas)
    assert any(isinstance(r, IntegrityError) for r in results), results
