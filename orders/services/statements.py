"""Statements and certificates (消费帮扶证明) for an organisation and a period, and their PDF.

Figures are computed from the counted orders (paid, unrefunded) and frozen into the statement
when it is issued: the PDF, the public verification page ``/v/<code>`` and the API all read the
same frozen figures, so what a buyer prints is exactly what anyone scanning its QR code sees.
No household is named anywhere on a statement: it says how many households, never who.
"""

import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from coop.models import Batch, Village
from coop.services.audit import log_action
from orders.models import OrderLine
from orders.models.programmes import ProgrammeError, Statement, StatementNotFound
from orders.services.impact import household_shares, to_fen
from orders.services.programmes import counted_amounts, counted_orders


def compute_figures(programme, organisation, start, end):
    """The statement's content as plain JSON-able values (strings for money)."""
    orders = list(counted_orders(programme, organisation=organisation, start=start, end=end)
                  .only("pk", "number", "total", "paid_at").order_by("paid_at", "pk"))
    amounts = counted_amounts(orders)
    eggs = {}
    for order_id, boxes, pack_size in OrderLine.objects.filter(order__in=orders).values_list(
            "order_id", "boxes", "pack_size"):
        eggs[order_id] = eggs.get(order_id, 0) + boxes * pack_size
    shares = household_shares(list(amounts))
    farmers = {s["farmer_id"] for s in shares if s["eggs"] > 0}
    village_ids = {s["village_id"] for s in shares}
    batch_ids = {s["batch_id"] for s in shares}
    reached = to_fen(sum((s["money"] for s in shares), Fraction(0)))  # rounded once, as in the report
    return {
        "orders": [{"number": o.number, "paid_on": f"{timezone.localtime(o.paid_at):%Y-%m-%d}",
                    "eggs": eggs.get(o.pk, 0), "amount": str(amounts[o.pk])} for o in orders],
        "order_count": len(orders),
        "eggs": sum(eggs.values()),
        "amount": str(sum(amounts.values(), Decimal("0.00"))),
        "villages": sorted(Village.objects.filter(pk__in=village_ids).values_list("name", flat=True)),
        "batches": sorted(Batch.objects.filter(pk__in=batch_ids).values_list("code", flat=True)),
        "households": len(farmers),
        "reached": str(reached),
        "unpacked_orders": len(set(amounts) - {s["order_id"] for s in shares}),
    }


def issue_statement(*, programme, organisation, start, end, kind=Statement.CERTIFICATE, user=None):
    if organisation.cooperative_id != programme.cooperative_id:
        raise ProgrammeError(_("这个单位不属于该项目的合作社。"), "wrong_cooperative")
    if start > end:
        raise ProgrammeError(_("开始日期不能晚于截止日期。"), "period")
    if end > timezone.localdate():
        raise ProgrammeError(_("截止日期不能晚于今天：证明只能写已经发生的购买。"), "period")
    figures = compute_figures(programme, organisation, start, end)
    if not figures["order_count"]:
        raise ProgrammeError(_("这段时间内没有已付款的以购代捐订单，无法出具。"), "empty")
    with transaction.atomic():
        statement = Statement.objects.create(kind=kind, programme=programme, organisation=organisation,
                                             period_start=start, period_end=end, figures=figures,
                                             issued_by=user if getattr(user, "is_authenticated", False) else None)
        log_action(statement, "statement.issued", user=user,
                   data={"code": statement.code, "amount": figures["amount"], "orders": figures["order_count"]})
    return statement


def statement_to_verify(code):
    """The statement a printed verification code (as typed: any case, spaces around) names; raises
    ``StatementNotFound`` when none does — a forged or mistyped certificate."""
    statement = (Statement.objects.filter(code=(code or "").strip().upper())
                 .select_related("programme__cooperative", "organisation").first())
    if statement is None:
        raise StatementNotFound(_("找不到这份证明：验证码不正确，证明可能是伪造的。"))
    return statement


def verify_url(statement):
    return settings.SITE_URL.rstrip("/") + reverse("shop:programme-verify", args=[statement.code])


# --- PDF ------------------------------------------------------------------------------------------

# The shipped WenQuanYi subset, embedded in the PDF (as the labels and payslips do): a certificate opened on
# a phone or printed at an institution shows its Chinese whatever fonts that machine has. (The built-in
# STSong-Light CID font it used before is not embedded; a viewer without it showed boxes.)
FONT = "GreenshellCJK"
FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "wqy-microhei-gb2312.ttf"


def _register_font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))


def render_pdf(statement):
    """A one-page A4 certificate (or statement) with a vector QR code to the verification page."""

    _register_font()
    f = statement.figures
    programme, org = statement.programme, statement.organisation
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"{statement.get_kind_display()} {statement.code}")
    w, h = A4
    y = h - 30 * mm
    c.setFont(FONT, 22)
    c.drawCentredString(w / 2, y, str(statement.get_kind_display()))
    y -= 14 * mm
    c.setFont(FONT, 12)
    lines = [
        _("%(org)s：") % {"org": org.name},
        _("感谢贵单位在“%(prog)s”中以购代捐、消费帮扶。") % {"prog": programme.name},
        _("%(start)s 至 %(end)s，贵单位共购买：") % {"start": f"{statement.period_start:%Y年%m月%d日}",
                                                  "end": f"{statement.period_end:%Y年%m月%d日}"},
        _("订单 %(n)s 笔，鸡蛋 %(eggs)s 枚，金额 ¥%(amount)s；") % {
            "n": f["order_count"], "eggs": f["eggs"], "amount": f["amount"]},
        _("来自 %(villages)s，%(households)s 户农户的鸡蛋，") % {
            "villages": "、".join(f["villages"]) or _("（尚未打包）"), "households": f["households"]},
        _("其中 ¥%(reached)s 已按交蛋记入农户台账。") % {"reached": f["reached"]},
    ]
    for line in lines:
        c.drawString(25 * mm, y, line)
        y -= 8 * mm
    if f["batches"]:
        c.setFont(FONT, 9)
        c.drawString(25 * mm, y, _("批次号：") + "、".join(f["batches"])[:110])
        y -= 6 * mm
    y -= 4 * mm
    c.setFont(FONT, 9)
    c.drawString(25 * mm, y, _("订单明细"))
    y -= 5 * mm
    for row in f["orders"][:25]:
        c.drawString(25 * mm, y, f"{row['paid_on']}   {row['number']}   {row['eggs']}枚   ¥{row['amount']}")
        y -= 4.5 * mm
    if len(f["orders"]) > 25:
        c.drawString(25 * mm, y, _("……共 %(n)s 笔，完整明细见验证页。") % {"n": len(f["orders"])})

    # The QR, drawn as vectors (sharper in print than a pasted bitmap).
    url = verify_url(statement)
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 38 * mm
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(qr)
    renderPDF.draw(d, c, w - 25 * mm - size, 30 * mm)
    c.setFont(FONT, 10)
    c.drawString(25 * mm, 52 * mm, programme.cooperative.name)
    issued = f"{timezone.localtime(statement.issued_at):%Y年%m月%d日}"
    c.drawString(25 * mm, 45 * mm, _("出具日期：%(d)s") % {"d": issued})
    c.drawString(25 * mm, 38 * mm, _("验证码：%(code)s") % {"code": statement.code})
    c.setFont(FONT, 8)
    c.drawString(25 * mm, 31 * mm, _("扫码或访问 %(url)s 核验真伪") % {"url": url})
    c.showPage()
    c.save()
    return buf.getvalue()
