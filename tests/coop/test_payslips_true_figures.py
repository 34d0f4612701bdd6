"""Issue 14, every figure true: what a payslip says it covers and pays is the same on every page."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from coop.models import LedgerEntry, Notification, Settlement
from coop.services import ledger, payslips
from coop.services.payslips import render_pdf
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from quality.services.dashboard import dashboard_context
from tests.factories import deliver, make_farmer, set_prices
from tests.orders.pdftext import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _readable_pdf(monkeypatch):
    """Draw the PDF in the built-in CID font, whose strings pdf_text can read back (the embedded TTF
    subset re-encodes every glyph); the words drawn are the same."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    monkeypatch.setattr(payslips, "_font", lambda: "STSong-Light")


@pytest.fixture
def month():
    return month_bounds(timezone.localdate())


def fine(farmer, amount, key):
    return ledger.post_entry(farmer=farmer, kind=LedgerEntry.FINE, amount=-Decimal(amount),
                             reason="罚款：公约第三条 坏蛋每枚罚 ¥2", dedupe_key=key)[0]


def settle_and_pay(month):
    settle_period(period_start=month[0], period_end=month[1])
    for s in Settlement.objects.all():
        approve_settlement(s)
        pay_settlement(s, reference="WX20261201")
    return {s.farmer_id: s for s in Settlement.objects.all()}


# --- 1. the period printed is true -------------------------------------------------------------------------

def test_it_shows_lines_from_before_the_period_as_their_own_section_with_their_dates(personas, month, client_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})  # ¥30 this month
    earlier_day = month[0] - datetime.timedelta(days=12)
    ledger.post_entry(farmer=personas.farmer_a, kind=LedgerEntry.REWARD, amount=Decimal("5"),
                      reason="卫生先进户（上月）", dedupe_key="hygiene:early", occurred_on=earlier_day)
    settle_period(period_start=month[0], period_end=month[1])
    s = Settlement.objects.get()
    assert s.net == Decimal("35.00")  # the earlier line is settled (paid), not lost

    text = client_for(personas.manager_a).get(f"/books/payslip/{s.pk}/").content.decode()
    earlier, period = text.split('id="lines-earlier"')[1].split('id="lines-period"')
    assert "上期未结" in text and f"{earlier_day:%Y年}{earlier_day.month}月{earlier_day.day}日" in earlier
    assert "卫生先进户（上月）" in earlier and "卫生先进户（上月）" not in period
    assert "合格 20 枚" in period

    phone = client_for(personas.farmer_a.user).get(f"/farmer/payslips/{s.pk}/").content.decode()
    f_earlier, f_period = phone.split('id="lines-earlier"')[1].split('id="lines-period"')
    assert "上期未结" in phone and "卫生先进户（上月）" in f_earlier and "卫生先进户（上月）" not in f_period

    pdf = pdf_text(render_pdf(s))
    assert "上期未结" in pdf and f"{earlier_day:%Y-%m-%d}" in pdf


def test_a_payslip_with_only_its_own_period_shows_no_earlier_section(personas, month, client_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 20})
    settle_period(period_start=month[0], period_end=month[1])
    s = Settlement.objects.get()
    assert "上期未结" not in client_for(personas.manager_a).get(f"/books/payslip/{s.pk}/").content.decode()


# --- 2. a negative net, one definition everywhere --------------------------------------------------------------

@pytest.fixture
def negative(personas, month):
    """Farmer A: ¥3 of eggs and a ¥10 fine (net −¥7.00); a neighbour: ¥30 of eggs. Both settled and paid."""
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 2})
    fine(personas.farmer_a, "10.00", "penalty:9:apply")
    neighbour = make_farmer(personas.coop_a, personas.farmer_a.village, head_name="曲比阿果")
    deliver(neighbour, accepted={"L": 20})
    by_farmer = settle_and_pay(month)
    return by_farmer[personas.farmer_a.pk], by_farmer[neighbour.pk]


def test_the_negative_payslip_says_what_is_owed_and_not_that_it_was_paid(personas, negative, client_for):
    s, _b = negative
    assert (s.net, s.paid_out, s.carried_over) == (Decimal("-7.00"), Decimal("0.00"), Decimal("7.00"))
    text = client_for(personas.manager_a).get(f"/books/payslip/{s.pk}/").content.decode()
    assert "本期应扣 ¥7.00，从下次工资里扣" in text and "¥0.00" in text
    assert "已于" not in text and ">已付款<" not in text
    # The carry-over bookkeeping line is the outcome, not a line: the listed lines add up to the net.
    assert "¥7.00</td>" not in text

    phone = client_for(personas.farmer_a.user).get(f"/farmer/payslips/{s.pk}/").content.decode()
    assert "已付给您" not in phone and "−¥7.00" not in phone
    assert "本期应扣" in phone and "从下次工资里扣" in phone and "¥7.00" in phone
    home = client_for(personas.farmer_a.user).get("/farmer/").content.decode()
    assert "上次已付" not in home and "本期应扣" in home
    money = client_for(personas.farmer_a.user).get("/farmer/money/").content.decode()
    assert "应扣 ¥7.00" in money and "下次工资里要扣" in money and "−¥7.00</span></div>" not in money


def test_the_pdf_excel_api_and_message_say_the_same(personas, negative, client_for, api_for):
    s, b = negative
    pdf = pdf_text(render_pdf(s))
    assert "本期应扣 ¥7.00，从下次工资里扣" in pdf and "已于" not in pdf and "¥0.00" in pdf

    month = f"{s.period_start:%Y-%m}"
    ws = load_workbook(io.BytesIO(client_for(personas.manager_a).get(
        f"/books/settlements/export.xlsx?month={month}").content)).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[1]}
    assert Decimal(str(rows[personas.farmer_a.member_no][9])) == 0
    assert Decimal(str(rows[personas.farmer_a.member_no][12])) == Decimal("7.00")
    assert "从下次工资" in ws.cell(row=1, column=13).value

    body = api_for(personas.manager_a).get(f"/api/settlements/{s.pk}/").json()
    assert (body["net"], body["paid_out"], body["carried_over"]) == ("-7.00", "0.00", "7.00")

    note = Notification.objects.get(dedupe_key=f"settlement:{s.pk}:paid")
    assert "本期应扣 ¥7.00，从下次工资里扣" in note.body and "实付" not in note.body


def test_totals_of_money_paid_are_not_lowered_by_a_household_that_owes(personas, negative, client_for):
    s, b = negative
    assert b.net == Decimal("30.00")
    text = client_for(personas.manager_a).get(f"/books/settlements/?month={s.period_start:%Y-%m}").content.decode()
    totals = text.split('id="totals"')[1].split("</p>")[0]
    assert "已付款 ¥30.00" in totals and "¥23.00" not in totals and "¥7.00" in totals
    rows = {code: net for code, _l, _n, net in dashboard_context(personas.manager_a)["settlements"]["rows"]}
    assert rows[Settlement.PAID] == Decimal("30.00")
    assert dashboard_context(personas.manager_a)["settlements"]["carried_over"] == Decimal("7.00")


def test_the_dashboards_settlement_export_says_the_same(personas, negative, client_for):
    s, _b = negative
    resp = client_for(personas.manager_a).get("/admin/dashboard/export/settlements.xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[2] == personas.farmer_a.member_no)
    assert Decimal(str(row[headers.index("实付")])) == 0
    assert Decimal(str(row[headers.index("本期应扣，从下次工资扣")])) == Decimal("7.00")
