"""The payslip a farmer with little schooling can read: the money first and biggest, then the eggs,
then each deduction in plain words ("坏蛋 2 枚（臭/坏）· 公约第六条 · 罚 ¥4.00"), nothing cut off, no code
words and no English, and for a cash payout a line to sign or press a thumbprint on."""

import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import Farmer, LedgerEntry, Settlement
from coop.services import ledger
from coop.services.payslips import payslip_reading, render_pdf
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from quality.services import penalties
from tests.factories import close_window, confirm, deliver, report_on, set_prices

pytestmark = pytest.mark.django_db

LONG_REASON = "卫生检查第一名奖励：鸡舍打扫干净、鸡粪及时清运、饮水槽每天换水，" * 4


def pdf_layout_text(data, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; CI installs it")
    path = tmp_path / "slip.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def slip(personas, charter, farmer_a_batch):
    set_prices(personas.coop_a)
    farmer = personas.farmer_a
    farmer.payout_method = Farmer.PAYOUT_CASH
    farmer.save()
    deliver(farmer, accepted={"L": 20}, rejected={"cracked": 2})
    confirm(report_on(farmer_a_batch), personas.manager_a)  # first offence: a warning
    (penalty,) = confirm(report_on(farmer_a_batch), personas.manager_a)  # second: 2 eggs × ¥2
    close_window(penalty)
    assert penalties.apply_due_penalties() == 1
    ledger.post_entry(farmer=farmer, kind=LedgerEntry.REWARD, amount=Decimal("5.00"), reason=LONG_REASON,
                      dedupe_key="hygiene:test:award")
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    s = Settlement.objects.get(farmer=farmer)
    return s, penalty


def test_the_reading_puts_the_money_first_and_says_each_deduction_in_plain_words(slip):
    s, penalty = slip
    r = payslip_reading(s)
    assert r["headline"]["label"] == "将付给您" and r["headline"]["amount"] == s.paid_out
    assert r["eggs"] == {"deliveries": 1, "brought": 22, "accepted": 20, "rejected": 2}
    defect = penalty.report.get_defect_display()
    assert [x["plain"] for x in r["deductions"]] == [f"坏蛋 2 枚（{defect}）· 公约第六条 · 罚 ¥4.00"]
    assert [x["plain"] for x in r["additions"]] == [LONG_REASON]
    assert r["signature"] is True
    # The figures still add up: the lines shown make the net.
    assert sum(x["amount"] for x in r["sections"]["period"]) == s.net


def test_the_pdf_reads_money_eggs_deductions_then_lines_with_nothing_cut_and_no_code_words(slip, tmp_path):
    s, penalty = slip
    text = pdf_layout_text(render_pdf(s), tmp_path)
    order = [text.index(w) for w in ("将付给您", f"¥{s.paid_out}", "交蛋 1 次，共 22 枚", "扣的钱", "加的钱", "每一笔",
                                     "实付", "领款人签字")]
    assert order == sorted(order), text
    assert f"坏蛋 2 枚（{penalty.report.get_defect_display()}）· 公约第六条 · 罚 ¥4.00" in text
    assert "¥-" not in text  # the sign goes in front of the money
    flat = re.sub(r"-?¥[\d,.]+", "", re.sub(r"\s+", "", text))  # the words alone, amounts (right column) out
    assert re.sub(r"\s+", "", LONG_REASON) in flat  # wrapped onto several lines, never cut
    # A low-literacy reading: no English and no code words, only the member number is Latin.
    latin = set(re.findall(r"[A-Za-z]{2,}", text.replace(s.farmer.member_no, "")))
    assert latin == set(), latin


def test_the_phone_payslip_reads_the_same_way_and_paying_adds_no_red_line(slip, client_for, personas):
    s, penalty = slip
    phone = client_for(personas.farmer_a.user).get(f"/farmer/payslips/{s.pk}/").content.decode()
    order = [phone.index(w) for w in ('id="outcome"', 'id="eggs"', 'id="deductions"', 'id="lines-period"')]
    assert order == sorted(order)
    assert f"坏蛋 2 枚（{penalty.report.get_defect_display()}）· 公约第六条 · 罚 ¥4.00" in phone
    assert "¥-" not in phone and "penalty" not in phone and "delivery" not in phone
    approve_settlement(s)
    pay_settlement(s, reference="CASH-1203")
    paid = client_for(personas.farmer_a.user).get(f"/farmer/payslips/{s.pk}/").content.decode()
    assert "已付给您" in paid
    # The payout is the outcome, shown at the top; it is not a red minus line among the deductions.
    # (the fine is listed twice, under 扣的钱 and under 每一笔; paying adds no third red line)
    assert paid.count('<li class="bad">') == phone.count('<li class="bad">') == 2
    assert f"−¥{s.paid_out}" not in paid


def test_only_a_cash_payout_has_the_signature_line(slip, tmp_path, client_for, personas):
    s, _penalty = slip
    assert "领款人签字" in client_for(personas.manager_a).get(f"/books/payslip/{s.pk}/").content.decode()
    farmer = s.farmer
    farmer.payout_method = Farmer.PAYOUT_WECHAT
    farmer.save()
    s = Settlement.objects.get(pk=s.pk)
    assert payslip_reading(s)["signature"] is False
    assert "领款人签字" not in pdf_layout_text(render_pdf(s), tmp_path)


def test_the_payout_list_has_a_signature_box_for_cash_households(slip, client_for, personas):
    import io

    from openpyxl import load_workbook

    s, _penalty = slip
    approve_settlement(s)
    ws = load_workbook(io.BytesIO(client_for(personas.manager_a).get(
        f"/books/settlements/export.xlsx?month={s.period_start:%Y-%m}").content)).active
    assert ws.cell(row=1, column=14).value == "现金领款人签字或按手印"
    assert ws.cell(row=2, column=2).value == s.farmer.member_no
    assert ws.cell(row=2, column=14).value is None and ws.cell(row=2, column=14).border.left.style == "thin"
