"""What a payslip shows, as data, a PDF and an Excel transfer list.

The PDF is drawn with reportlab. Chinese needs a CJK font: we embed the subset of WenQuanYi Micro
Hei shipped in static/fonts (so any phone's PDF viewer shows it) and fall back to reportlab's
built-in ``STSong-Light`` CID font, which needs no file but relies on the viewer having a font.
"""

import io
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Border, Font, Side
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from coop.lib import words
from coop.lib.files import sheet_row
from coop.lib.words import yuan
from coop.models import Delivery, Farmer, LedgerEntry, Settlement

FONT_FILE = Path(settings.BASE_DIR) / "static" / "fonts" / "wqy-microhei-gb2312.ttf"
_font_name = None
SIGN_BOX = Border(*(Side(style="thin"),) * 4)


def _bookkeeping_keys(settlement):
    """Lines attached when a payslip is paid: the payout, and the carry-over of a negative net. They
    record what happened to the net, not what made it, so they are shown as the outcome, not as lines."""
    return [f"settlement:{settlement.pk}:payout", f"settlement:{settlement.pk}:carry-out"]


def payslip_lines(settlement):
    """The lines that make the settlement's net, in date order, each with what the household needs to
    recognise it. They add up to ``settlement.net``."""
    entries = list(settlement.lines.exclude(dedupe_key__in=_bookkeeping_keys(settlement))
                   .order_by("occurred_on", "id"))
    delivery_ids = [e.source_id for e in entries if e.kind == LedgerEntry.DELIVERY and e.source_id]
    deliveries = {d.pk: d for d in Delivery.objects.filter(pk__in=delivery_ids)}
    penalties = _penalties(entries)
    out = []
    for e in entries:
        d = deliveries.get(e.source_id) if e.kind == LedgerEntry.DELIVERY else None
        detail = ""
        if d is not None:
            detail = _("交 %(b)d 枚，合格 %(a)d 枚，不合格 %(r)d 枚") % {"b": d.eggs_brought, "a": d.accepted,
                                                                "r": d.rejected}
        # A fine is shown on its penalty's date (Penalty.dated_on: the day of the report), the date the farmer
        # page, the admin, the notice and the messages show, not the day the appeal window closed and the
        # money was taken; which payslip it lands on still follows the line's own date.
        penalty = penalties.get(e.source_id) if e.source_type == "quality.penalty" and e.amount < 0 else None
        out.append({"entry": e, "date": penalty.dated_on if penalty is not None else e.occurred_on,
                    "kind": e.get_kind_display(), "reason": e.reason,
                    "detail": detail, "amount": e.amount, "earlier": e.occurred_on < settlement.period_start})
    return out


def payslip_sections(settlement):
    """The payslip's lines split so the printed period is true.

    Settling takes every unsettled line up to the period's end, so a line from before the period (a
    delivery the last settlement did not include because it was already approved, a correction dated
    earlier) is paid here too. Those lines are shown apart, as 上期未结 with their full dates, and the
    period's own section holds only lines dated within the period.
    """
    lines = payslip_lines(settlement)
    earlier = [x for x in lines if x["earlier"]]
    return {"earlier": earlier, "period": [x for x in lines if not x["earlier"]],
            "earlier_total": sum((x["amount"] for x in earlier), Decimal("0.00"))}


def outcome_text(settlement):
    """One sentence saying what happens to the net, the same on the page, the PDF and the message."""
    if settlement.carried_over:
        return _("本期应扣 ¥%(owed)s，从下次工资里扣。") % {"owed": settlement.carried_over}
    if settlement.status == Settlement.PAID and settlement.money_moved:
        return _("已于 %(d)s 付款 ¥%(amount)s。") % {
            "d": f"{timezone.localtime(settlement.paid_at):%Y年%m月%d日}", "amount": settlement.paid_out}
    if settlement.status == Settlement.PAID:
        return _("本期没有要付的钱。")
    return _("将付给您 ¥%(amount)s。") % {"amount": settlement.paid_out}


def _penalties(entries):
    """The penalties behind fine lines (and their reversals), by id. Looked up through the app registry:
    ``coop`` never imports ``quality`` (the charter lives there), it only reads what a line points at."""
    ids = [e.source_id for e in entries if e.source_type == "quality.penalty" and e.source_id]
    if not ids:
        return {}
    Penalty = apps.get_model("quality", "Penalty")
    return {p.pk: p for p in Penalty.objects.filter(pk__in=ids).select_related("clause", "report")}


def _cancels_delivery(entry):
    # The reversal posted when a delivery's counts are corrected (coop.services.intake.amend_delivery).
    return entry.source_type == "coop.delivery" and (entry.dedupe_key or "").endswith(":cancel")


def plain_words(entry, *, delivery=None, penalty=None):
    """A line as a farmer says it: "坏蛋 3 枚（臭/坏）· 公约第六条 · 罚 ¥6.00", "交蛋 30 枚 · 合格 28 枚".
    Built from what the line points at; the ledger's own ``reason`` (written for the books) is the
    fallback, never a code."""
    amount = entry.amount
    if delivery is not None and _cancels_delivery(entry):
        day = timezone.localtime(delivery.received_at)
        return _("更正交蛋：%(date)s 交的 %(b)d 枚记错了，原来的钱收回 %(money)s") % {
            "date": f"{day.month}月{day.day}日", "b": delivery.eggs_brought, "money": yuan(-amount)}
    if delivery is not None and entry.kind == LedgerEntry.DELIVERY:
        words = _("交蛋 %(b)d 枚 · 合格 %(a)d 枚") % {"b": delivery.eggs_brought, "a": delivery.accepted}
        if delivery.rejected:
            words += " · " + _("不合格 %(r)d 枚（不算钱）") % {"r": delivery.rejected}
        return words
    if penalty is not None:
        what = _("坏蛋 %(eggs)s 枚（%(defect)s）· 公约%(clause)s") % {
            "defect": penalty.report.get_defect_display(), "eggs": penalty.eggs, "clause": penalty.clause.number}
        if amount < 0:
            return what + " · " + _("罚 %(money)s") % {"money": yuan(-amount)}
        return what + " · " + _("罚款撤销，退回 %(money)s") % {"money": yuan(amount)}
    return entry.reason


def payslip_reading(settlement):
    """The payslip in the order a farmer reads it, the one definition the page, the phone and the PDF
    show: first the money (to receive, received, or to be deducted), then the eggs delivered, then each
    deduction and each reward in plain words, then every line for whoever wants to check."""
    sections = payslip_sections(settlement)
    lines = sections["earlier"] + sections["period"]
    entries = [x["entry"] for x in lines]
    penalties = _penalties(entries)
    delivery_ids = [e.source_id for e in entries if e.source_type == "coop.delivery" and e.source_id]
    deliveries = {d.pk: d for d in Delivery.objects.filter(pk__in=delivery_ids)}
    eggs = {"deliveries": 0, "brought": 0, "accepted": 0, "rejected": 0}
    deductions, additions = [], []
    for x in lines:
        e = x["entry"]
        d = deliveries.get(e.source_id) if e.source_type == "coop.delivery" else None
        p = penalties.get(e.source_id) if e.source_type == "quality.penalty" else None
        x["plain"] = plain_words(e, delivery=d, penalty=p)
        counted = d is not None and (e.kind == LedgerEntry.DELIVERY or _cancels_delivery(e))
        if counted:  # eggs credited here; a corrected delivery's old eggs come off again
            sign = -1 if _cancels_delivery(e) else 1
            eggs["deliveries"] += sign
            eggs["brought"] += sign * d.eggs_brought
            eggs["accepted"] += sign * d.accepted
            eggs["rejected"] += sign * d.rejected
        if e.amount < 0:
            deductions.append(x)
        elif e.kind != LedgerEntry.DELIVERY and e.amount > 0:
            additions.append(x)
    if settlement.carried_over:
        headline = {"tone": "red", "label": _("本期应扣"), "amount": settlement.carried_over,
                    "sub": outcome_text(settlement) + _("罚款多于收入，这次没有钱付给您。")}
    elif settlement.status == Settlement.PAID:
        headline = {"tone": "green", "label": _("已付给您"), "amount": settlement.paid_out,
                    "sub": outcome_text(settlement)}
    else:
        waiting = (_("合作社还在核对，核对后付款。") if settlement.status == Settlement.DRAFT
                   else _("已审批，等待付款。"))
        headline = {"tone": "amber", "label": _("将付给您"), "amount": settlement.paid_out, "sub": waiting}
    return {"headline": headline, "eggs": eggs, "income": settlement.gross, "deductions": deductions,
            "additions": additions, "sections": sections, "outcome": outcome_text(settlement),
            # Cash is handed over at the collection point: the household signs or presses a thumbprint.
            "signature": settlement.farmer.payout_method == Farmer.PAYOUT_CASH}


def _font():
    global _font_name
    if _font_name:
        return _font_name

    try:

        pdfmetrics.registerFont(TTFont("GreenshellCJK", str(FONT_FILE)))
        _font_name = "GreenshellCJK"
    except Exception:  # font file missing or unreadable: the CID font still renders Chinese

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _font_name = "STSong-Light"
    return _font_name


def _wrap(text, font, size, width):
    """Lines of at most ``width`` points. reportlab's ``simpleSplit`` breaks only at spaces, and Chinese
    has none (a long reason ran off the page), so this breaks at any character, at a space if one is near."""
    lines, current = [], ""
    for ch in text:
        if pdfmetrics.stringWidth(current + ch, font, size) <= width:
            current += ch
            continue
        cut = current.rfind(" ")
        if cut > len(current) * 2 // 3:  # a nearby space: break there, as for Latin text
            lines.append(current[:cut])
            current = current[cut + 1:] + ch
        else:
            lines.append(current)
            current = ch
    return lines + [current] if current or not lines else lines


def render_pdf(settlement):
    """A one-or-more-page A4 payslip in plain Chinese, in the order a farmer reads it (see
    ``payslip_reading``): the money first and biggest, then the eggs, then each deduction in plain
    words, then every line, wrapped (never cut), and for cash a box to sign or press a thumbprint.
    Returns bytes."""

    font = _font()
    reading = payslip_reading(settlement)

    def yuan(value):
        # The shipped font subset (GB2312) has no U+2212 MINUS SIGN; the sign stays in front, as "-¥4.00".
        return words.yuan(value).replace("\u2212", "-")

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"{settlement.cooperative.name} {_('工资条')} {settlement.farmer.head_name}")
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    farmer = settlement.farmer
    y = height - 20 * mm

    def room(needed):
        nonlocal y
        if y - needed < 20 * mm:
            c.showPage()
            y = height - 20 * mm

    def line(text, size=11, dy=6.5 * mm):
        nonlocal y
        room(dy)
        c.setFont(font, size)
        c.drawString(left, y, text)
        y -= dy

    def row(text, amount, size=11):
        """Words on the left, wrapped to the space left by the amount; the amount on the right."""
        nonlocal y
        parts = _wrap(text, font, size, right - left - 38 * mm)
        room(len(parts) * size * 0.5 * mm + 2 * mm)
        c.setFont(font, size)
        c.drawRightString(right, y, yuan(amount))
        for part in parts:
            c.drawString(left, y, part)
            y -= size * 0.5 * mm + 1.2 * mm
        y -= 0.8 * mm

    line(settlement.cooperative.name, 12, dy=7 * mm)
    line(_("工资条 · %(no)s %(name)s（%(village)s）") % {"no": farmer.member_no, "name": farmer.head_name,
                                                    "village": farmer.village.name}, 14, dy=7 * mm)
    line(_("%(a)s 至 %(b)s") % {"a": f"{settlement.period_start:%Y年%m月%d日}",
                               "b": f"{settlement.period_end:%Y年%m月%d日}"}, 11, dy=8 * mm)

    # The money, first and biggest, in a box.
    head = reading["headline"]
    box_h = 34 * mm
    c.setLineWidth(1.5)
    c.roundRect(left, y - box_h + 6 * mm, right - left, box_h, 4 * mm)
    c.setFont(font, 16)
    c.drawString(left + 6 * mm, y - 3 * mm, str(head["label"]))
    c.setFont(font, 34)
    c.drawString(left + 6 * mm, y - 17 * mm, yuan(head["amount"]))
    c.setFont(font, 10)
    for i, part in enumerate(_wrap(str(head["sub"]), font, 10, right - left - 12 * mm)[:2]):
        c.drawString(left + 6 * mm, y - 23.5 * mm - i * 4.5 * mm, part)
    y -= box_h + 4 * mm
    if settlement.status == Settlement.PAID and settlement.money_moved:
        line(_("凭证号 %(r)s，收款方式 %(m)s %(a)s") % {
            "r": settlement.payment_reference, "m": farmer.get_payout_method_display(),
            "a": farmer.masked_account}, 10)

    eggs = reading["eggs"]
    line(_("交蛋"), 13, dy=7 * mm)
    row(_("交蛋 %(n)d 次，共 %(b)d 枚，合格 %(a)d 枚，不合格 %(r)d 枚") % {
        "n": eggs["deliveries"], "b": eggs["brought"], "a": eggs["accepted"], "r": eggs["rejected"]},
        reading["income"])
    if reading["deductions"]:
        y -= 2 * mm
        line(_("扣的钱"), 13, dy=7 * mm)
        for x in reading["deductions"]:
            row(x["plain"], x["amount"])
    if reading["additions"]:
        y -= 2 * mm
        line(_("加的钱"), 13, dy=7 * mm)
        for x in reading["additions"]:
            row(x["plain"], x["amount"])

    y -= 3 * mm
    line(_("每一笔"), 13, dy=7 * mm)
    sections = reading["sections"]
    if sections["earlier"]:
        line(_("上期未结（结算期以前的记录）"), 10)
    for label_rows, date_format in ((sections["earlier"], "%Y-%m-%d"), (sections["period"], "%m-%d")):
        if label_rows is sections["period"] and sections["earlier"]:
            line(_("本期（%(a)s 至 %(b)s）") % {"a": f"{settlement.period_start:%m月%d日}",
                                             "b": f"{settlement.period_end:%m月%d日}"}, 10)
        for item in label_rows:
            row(f"{item['date']:{date_format}}  {item['kind']} · {item['plain']}", item["amount"], size=10)

    y -= 2 * mm
    room(40 * mm)
    c.setLineWidth(0.5)
    c.line(left, y + 4 * mm, right, y + 4 * mm)
    for label, value in [(_("交蛋收入"), settlement.gross), (_("罚款"), settlement.fines),
                         (_("奖励"), settlement.rewards), (_("调整"), settlement.adjustments)]:
        c.setFont(font, 11)
        c.drawString(120 * mm, y, str(label))
        c.drawRightString(right, y, yuan(value))
        y -= 6.5 * mm
    c.setFont(font, 13)
    c.drawString(120 * mm, y, _("实付"))
    c.drawRightString(right, y, yuan(settlement.paid_out))
    y -= 10 * mm

    if reading["signature"]:
        room(34 * mm)
        c.setFont(font, 11)
        c.drawString(left, y, _("现金领款：我已收到上面的钱。"))
        y -= 6 * mm
        c.rect(left, y - 22 * mm, 70 * mm, 24 * mm)
        c.rect(left + 76 * mm, y - 22 * mm, 40 * mm, 24 * mm)
        c.setFont(font, 9)
        c.drawString(left + 2 * mm, y - 3.5 * mm, _("领款人签字"))
        c.drawString(left + 78 * mm, y - 3.5 * mm, _("或按手印"))
        c.drawString(left + 122 * mm, y - 3.5 * mm, _("日期：____年__月__日"))
        c.drawString(left + 122 * mm, y - 12 * mm, _("经手人：__________"))
        y -= 30 * mm
    line(_("有疑问请在申诉期内找合作社或村民议事会。"), 9)
    c.showPage()
    c.save()
    return buf.getvalue()


def render_transfer_xlsx(settlements):
    """The month's transfer list for the bank / WeChat: one row per household, full account numbers."""

    wb = Workbook()
    ws = wb.active
    ws.title = _("付款清单")
    headers = [_("结算单号"), _("社员编号"), _("户主姓名"), _("村"), _("手机号"), _("收款方式"), _("收款账号"),
               _("结算期起"), _("结算期止"), _("实付（元）"), _("状态"), _("付款凭证号"),
               _("本期应扣，从下次工资扣（元）"), _("现金领款人签字或按手印")]
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    total = carried = Decimal("0.00")
    for s in settlements:
        f = s.farmer
        total += s.paid_out
        carried += s.carried_over
        ws.append(sheet_row([s.pk, f.member_no, f.head_name, f.village.name, f.phone,
                             f.get_payout_method_display(), f.payout_account, s.period_start, s.period_end,
                             s.paid_out, str(s.status_text), s.payment_reference, s.carried_over,
                             "" if f.payout_method == Farmer.PAYOUT_CASH else "—"]))
        if f.payout_method == Farmer.PAYOUT_CASH:  # a box to sign in when the list is printed for cash day
            ws.cell(row=ws.max_row, column=14).border = SIGN_BOX
            ws.row_dimensions[ws.max_row].height = 36
        ws.cell(row=ws.max_row, column=10).number_format = "0.00"
        ws.cell(row=ws.max_row, column=13).number_format = "0.00"
        ws.cell(row=ws.max_row, column=8).number_format = "yyyy-mm-dd"
        ws.cell(row=ws.max_row, column=9).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["", "", "", "", "", "", "", "", str(_("合计")), total, "", "", carried])
    ws.cell(row=ws.max_row, column=10).number_format = "0.00"
    ws.cell(row=ws.max_row, column=13).number_format = "0.00"
    for col, w in zip("ABCDEFGHIJKLMN", [8, 10, 10, 10, 14, 10, 22, 12, 12, 12, 8, 18, 16, 22], strict=True):
        ws.column_dimensions[col].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
