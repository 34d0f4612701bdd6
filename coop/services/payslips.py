"""What a payslip shows, as data, a PDF and an Excel transfer list.

The PDF is drawn with reportlab. Chinese needs a CJK font: we embed the subset of WenQuanYi Micro
Hei shipped in static/fonts (so any phone's PDF viewer shows it) and fall back to reportlab's
built-in ``STSong-Light`` CID font, which needs no file but relies on the viewer having a font.
"""

import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from coop.lib.files import sheet_row
from coop.models import Delivery, LedgerEntry, Settlement

FONT_FILE = Path(settings.BASE_DIR) / "static" / "fonts" / "wqy-microhei-gb2312.ttf"
_font_name = None


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
    out = []
    for e in entries:
        d = deliveries.get(e.source_id) if e.kind == LedgerEntry.DELIVERY else None
        detail = ""
        if d is not None:
            detail = _("交 %(b)d 枚，合格 %(a)d 枚，不合格 %(r)d 枚") % {"b": d.eggs_brought, "a": d.accepted,
                                                                "r": d.rejected}
        out.append({"entry": e, "date": e.occurred_on, "kind": e.get_kind_display(), "reason": e.reason,
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


def render_pdf(settlement):
    """A one-or-more-page A4 payslip in plain Chinese. Returns bytes."""

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"{settlement.cooperative.name} {_('工资条')} {settlement.farmer.head_name}")
    width, height = A4
    farmer = settlement.farmer
    y = height - 20 * mm

    def line(text, size=11, x=18 * mm, dy=6.5 * mm, right=None):
        nonlocal y
        c.setFont(font, size)
        if right is not None:
            c.drawRightString(right, y, text)
        else:
            c.drawString(x, y, text)
        y -= dy

    line(settlement.cooperative.name, 16, dy=8 * mm)
    line(_("结算单（工资条）"), 14, dy=8 * mm)
    line(_("农户：%(no)s %(name)s（%(village)s）") % {"no": farmer.member_no, "name": farmer.head_name,
                                                    "village": farmer.village.name})
    line(_("结算期：%(a)s 至 %(b)s") % {"a": f"{settlement.period_start:%Y年%m月%d日}",
                                      "b": f"{settlement.period_end:%Y年%m月%d日}"})
    line(_("状态：%(s)s") % {"s": str(settlement.status_text)}, dy=9 * mm)
    sections = payslip_sections(settlement)

    def items(rows, date_format):
        nonlocal y
        for item in rows:
            if y < 40 * mm:
                c.showPage()
                y = height - 20 * mm
            c.setFont(font, 10)
            c.drawString(18 * mm, y, f"{item['date']:{date_format}}")
            c.drawString(40 * mm, y, str(item["kind"]))
            text = item["reason"] + (f"（{item['detail']}）" if item["detail"] else "")
            c.drawString(58 * mm, y, text[:46])
            c.drawRightString(width - 18 * mm, y, f"¥{item['amount']}")
            y -= 6 * mm

    if sections["earlier"]:
        line(_("上期未结（结算期以前的记录）"), 11)
        items(sections["earlier"], "%Y-%m-%d")
        y -= 3 * mm
        line(_("本期（%(a)s 至 %(b)s）") % {"a": f"{settlement.period_start:%m月%d日}",
                                         "b": f"{settlement.period_end:%m月%d日}"}, 11)
    items(sections["period"], "%m-%d")
    y -= 3 * mm
    c.line(18 * mm, y + 4 * mm, width - 18 * mm, y + 4 * mm)
    for label, value in [(_("交蛋收入"), settlement.gross), (_("罚款"), settlement.fines),
                         (_("奖励"), settlement.rewards), (_("调整"), settlement.adjustments)]:
        c.setFont(font, 11)
        c.drawString(120 * mm, y, str(label))
        c.drawRightString(width - 18 * mm, y, f"¥{value}")
        y -= 6.5 * mm
    c.setFont(font, 14)
    c.drawString(120 * mm, y, _("实付"))
    c.drawRightString(width - 18 * mm, y, f"¥{settlement.paid_out}")
    y -= 10 * mm
    line(outcome_text(settlement), 11)
    if settlement.status == Settlement.PAID and settlement.money_moved:
        line(_("凭证号 %(r)s，收款方式 %(m)s %(a)s") % {
            "r": settlement.payment_reference, "m": farmer.get_payout_method_display(),
            "a": farmer.masked_account}, 10)
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
               _("本期应扣，从下次工资扣（元）")]
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
                             s.paid_out, str(s.status_text), s.payment_reference, s.carried_over]))
        ws.cell(row=ws.max_row, column=10).number_format = "0.00"
        ws.cell(row=ws.max_row, column=13).number_format = "0.00"
        ws.cell(row=ws.max_row, column=8).number_format = "yyyy-mm-dd"
        ws.cell(row=ws.max_row, column=9).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["", "", "", "", "", "", "", "", str(_("合计")), total, "", "", carried])
    ws.cell(row=ws.max_row, column=10).number_format = "0.00"
    ws.cell(row=ws.max_row, column=13).number_format = "0.00"
    for col, w in zip("ABCDEFGHIJKLM", [8, 10, 10, 10, 14, 10, 22, 12, 12, 12, 8, 18, 16], strict=True):
        ws.column_dimensions[col].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
