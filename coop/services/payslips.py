"""What a payslip shows, as data, a PDF and an Excel transfer list.

The PDF is drawn with reportlab. Chinese needs a CJK font: we embed the subset of WenQuanYi Micro
Hei shipped in static/fonts (so any phone's PDF viewer shows it) and fall back to reportlab's
built-in ``STSong-Light`` CID font, which needs no file but relies on the viewer having a font.
"""

import io
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


def payslip_lines(settlement):
    """The settlement's lines in date order, each with what the household needs to recognise it."""
    entries = list(settlement.lines.exclude(dedupe_key=f"settlement:{settlement.pk}:payout")
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
                    "detail": detail, "amount": e.amount})
    return out


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
    line(_("状态：%(s)s") % {"s": settlement.get_status_display()}, dy=9 * mm)
    c.setFont(font, 10)
    for item in payslip_lines(settlement):
        if y < 40 * mm:
            c.showPage()
            y = height - 20 * mm
        c.setFont(font, 10)
        c.drawString(18 * mm, y, f"{item['date']:%m-%d}")
        c.drawString(32 * mm, y, str(item["kind"]))
        text = item["reason"] + (f"（{item['detail']}）" if item["detail"] else "")
        c.drawString(52 * mm, y, text[:48])
        c.drawRightString(width - 18 * mm, y, f"¥{item['amount']}")
        y -= 6 * mm
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
    c.drawRightString(width - 18 * mm, y, f"¥{max(settlement.net, 0)}")
    y -= 10 * mm
    if settlement.status == Settlement.PAID:
        line(_("已于 %(d)s 付款，凭证号 %(r)s，收款方式 %(m)s %(a)s") % {
            "d": f"{timezone.localtime(settlement.paid_at):%Y年%m月%d日}", "r": settlement.payment_reference,
            "m": farmer.get_payout_method_display(), "a": farmer.masked_account}, 10)
    if settlement.net < 0:
        line(_("本期罚款多于收入，欠款 ¥%(o)s 转入下期。") % {"o": -settlement.net}, 10)
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
               _("结算期起"), _("结算期止"), _("实付（元）"), _("状态"), _("付款凭证号")]
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    total = 0
    for s in settlements:
        f = s.farmer
        amount = max(s.net, 0)
        total += amount
        ws.append(sheet_row([s.pk, f.member_no, f.head_name, f.village.name, f.phone,
                             f.get_payout_method_display(), f.payout_account, s.period_start, s.period_end, amount,
                             s.get_status_display(), s.payment_reference]))
        ws.cell(row=ws.max_row, column=10).number_format = "0.00"
        ws.cell(row=ws.max_row, column=8).number_format = "yyyy-mm-dd"
        ws.cell(row=ws.max_row, column=9).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["", "", "", "", "", "", "", "", str(_("合计")), total])
    ws.cell(row=ws.max_row, column=10).number_format = "0.00"
    for col, w in zip("ABCDEFGHIJKL", [8, 10, 10, 10, 14, 10, 22, 12, 12, 12, 8, 18], strict=True):
        ws.column_dimensions[col].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
