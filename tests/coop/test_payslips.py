import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from coop.models import AuditEvent, LedgerEntry, Settlement, SettlementRun
from coop.services import ledger
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from tests.factories import deliver, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(personas):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.payout_account = "6222020200112233445"
    farmer.save()
    deliver(farmer, accepted={"L": 20}, rejected={"cracked": 2})
    ledger.post_entry(farmer=farmer, kind=LedgerEntry.FINE, amount=Decimal("-4"),
                      reason="罚款：公约第三条（坏蛋每枚罚 ¥2）", dedupe_key="penalty:1:apply")
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get()
    return personas, s


def test_the_payslip_shows_each_line_in_plain_chinese(settled, client_for):
    p, s = settled
    text = client_for(p.manager_a).get(f"/books/payslip/{s.pk}/").content.decode()
    assert "结算单（工资条）" in text and "交20 枚" not in text
    assert "合格 20 枚，不合格 2 枚" in text and "公约第三条" in text and "¥26.00" in text
    assert "6222020200112233445" not in text  # account numbers never shown on a page


def test_the_household_sees_its_own_payslip_and_no_one_elses(settled, client_for):
    p, s = settled
    assert client_for(p.farmer_a.user).get(f"/books/payslip/{s.pk}/").status_code == 200
    assert client_for(p.farmer_b.user).get(f"/books/payslip/{s.pk}/").status_code == 404
    assert client_for(p.manager_b).get(f"/books/payslip/{s.pk}/").status_code == 404
    assert client_for(p.manager_b).get(f"/books/payslip/{s.pk}.pdf").status_code == 404


def test_the_payslip_pdf_is_a_pdf_with_the_chinese_font_embedded(settled, client_for):
    p, s = settled
    resp = client_for(p.farmer_a.user).get(f"/books/payslip/{s.pk}.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF") and b"/FontFile2" in resp.content  # the CJK font travels with it
    assert resp["Content-Disposition"].startswith("inline") and p.farmer_a.member_no in resp["Content-Disposition"]


def test_the_transfer_list_has_full_accounts_for_approved_settlements_only(settled, client_for):
    p, s = settled
    month = f"{s.period_start:%Y-%m}"
    empty = load_workbook(io.BytesIO(client_for(p.manager_a).get(
        f"/books/settlements/export.xlsx?month={month}").content)).active
    assert empty.max_row == 3  # header, blank line, total: drafts are not paid out
    approve_settlement(s)
    resp = client_for(p.manager_a).get(f"/books/settlements/export.xlsx?month={month}")
    ws = load_workbook(io.BytesIO(resp.content)).active
    row = [c.value for c in ws[2]]
    assert row[1] == p.farmer_a.member_no and row[6] == "6222020200112233445" and Decimal(str(row[9])) == 26
    assert AuditEvent.objects.filter(action="settlement.exported", actor=p.manager_a).count() == 2
    assert client_for(p.manager_b).get(f"/books/settlements/export.xlsx?month={month}").status_code == 200
    other = load_workbook(io.BytesIO(client_for(p.manager_b).get(
        f"/books/settlements/export.xlsx?month={month}").content)).active
    assert other.max_row == 3  # manager B's own (empty) list
    assert client_for(p.inspector_a).get(f"/books/settlements/export.xlsx?month={month}").status_code == 403


def test_a_paid_payslip_says_when_and_how(settled, client_for):
    p, s = settled
    approve_settlement(s)
    pay_settlement(s, reference="WX2026112801")
    text = client_for(p.farmer_a.user).get(f"/books/payslip/{s.pk}/").content.decode()
    assert "已付款" in text and "WX2026112801" in text and "****3445" in text


def test_the_month_page_starts_a_run_and_shows_its_progress(personas, client_for,
                                                            django_capture_on_commit_callbacks):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a)
    c = client_for(personas.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post("/books/settle/", {"month": f"{timezone.localdate():%Y-%m}"})
    run = SettlementRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/books/settle/run/{run.pk}/"
    page = c.get(resp["Location"]).content.decode()
    assert "已完成" in page and "100%" in page and 'http-equiv="refresh"' not in page
    assert client_for(personas.manager_b).get(resp["Location"]).status_code == 404
    bad = c.post("/books/settle/", {"month": "2099-01"})
    assert bad.status_code == 400 and "还没开始" in bad.content.decode()


def test_a_manager_packs_on_the_pack_page(personas, client_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, accepted={"L": 30})
    c = client_for(personas.manager_a)
    resp = c.post("/books/pack/", {"weight_class": "L", "grade": "A", "pack_size": "10", "boxes": "2",
                                   "shelf_days": "28"}, follow=True)
    assert "已包装批次" in resp.content.decode()
    too_many = c.post("/books/pack/", {"weight_class": "L", "grade": "A", "pack_size": "10", "boxes": "2",
                                       "shelf_days": "28"})
    assert too_many.status_code == 400 and "库存不足" in too_many.content.decode()
    assert client_for(personas.inspector_a).get("/books/pack/").status_code == 403
