"""The order receipt (订单凭证): what a paid order bought, paid and got back, from the cooperative that sold it,
as a printable page and a PDF.

Every figure is one the order already has, read through the same definitions the order page shows: a
line's ``unit_price`` × ``boxes`` (``OrderLine.line_total``), the courier fee and ``Order.goods_total`` (the
total less it), the total paid by the payment that succeeded, refunds that succeeded
(``programmes.refunded_yuan``) and what is left, paid less refunds (``invoices.invoiced_amount``, which is
``programmes.counted_amounts``: the figure a 发票 is issued for). Nothing is recomputed another way here.

The shop has no coupons: a group buy's lower price is the line's own ``unit_price`` (named 接龙价), and a
free courier fee is a fee of 0 (包邮); the receipt shows them as they are and invents no discount line.
The PDF embeds the shipped WenQuanYi subset (as labels and payslips do), so it prints in Chinese on any machine.
"""

import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from orders.models import Payment, Refund
from orders.services.invoices import invoiced_amount
from orders.services.programmes import refunded_yuan

FONT = "GreenshellCJK"
FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "wqy-microhei-gb2312.ttf"


@dataclass
class Receipt:
    order: object
    seller: object  # the cooperative
    lines: list
    goods_total: Decimal
    courier_fee: Decimal
    total: Decimal
    paid: Decimal
    refunded: Decimal
    net: Decimal
    payment: object  # the payment that succeeded (its transaction id and provider), or None
    refunds: list = field(default_factory=list)
    group_price: bool = False

    @property
    def transaction_id(self):
        return self.payment.transaction_id if self.payment else ""


def receipt_of(order):
    """The receipt's figures for a paid ``order`` (``order.paid_at`` set)."""
    payment = (order.payments.filter(status=Payment.SUCCEEDED).order_by("succeeded_at", "id").first())
    refunds = list(order.refunds.filter(status=Refund.SUCCEEDED).order_by("succeeded_at", "id"))
    return Receipt(
        order=order, seller=order.cooperative, lines=list(order.lines.all()), goods_total=order.goods_total,
        courier_fee=order.courier_fee, total=order.total,
        paid=payment.amount_yuan if payment else Decimal("0.00"),
        refunded=refunded_yuan([order.pk]).get(order.pk, Decimal("0")).quantize(Decimal("0.01")),
        net=invoiced_amount(order), payment=payment, refunds=refunds, group_price=order.group_buy_id is not None)


def seller_address(coop):
    """The cooperative's address as typed, or else its township's place in the county (never blank)."""
    return coop.address or f"{coop.province}{coop.prefecture}{coop.county}{coop.township}"


def _register_font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))


def _yuan(value):
    return f"¥{Decimal(value):.2f}"


def render_pdf(receipt):
    """An A5 page: the seller, the order, its lines and the money, as the page shows them."""
    _register_font()
    rl_config.useA85 = 0  # plain Flate streams: smaller, and tests/orders/pdftext.py reads them back
    order, seller = receipt.order, receipt.seller
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A5)
    c.setTitle(_("订单凭证 %(no)s") % {"no": order.number})
    w, h = A5
    left, right = 14 * mm, w - 14 * mm
    y = h - 18 * mm
    c.setFont(FONT, 16)
    c.drawCentredString(w / 2, y, _("订单凭证（收据）"))
    y -= 9 * mm
    c.setFont(FONT, 9)
    rows = [
        _("收款单位：%(name)s") % {"name": seller.name},
        _("地址：%(a)s") % {"a": seller_address(seller)},
        _("电话：%(p)s") % {"p": seller.phone or "—"},
        _("订单号：%(no)s") % {"no": order.number},
        _("下单时间：%(t)s") % {"t": f"{timezone.localtime(order.placed_at):%Y-%m-%d %H:%M}"},
        _("付款时间：%(t)s") % {"t": f"{timezone.localtime(order.paid_at):%Y-%m-%d %H:%M}" if order.paid_at else "—"},
        _("买家：%(b)s") % {"b": order.buyer_name or order.buyer.display_name},
    ]
    for row in rows:
        c.drawString(left, y, row)
        y -= 5.5 * mm
    y -= 2 * mm
    c.line(left, y + 3 * mm, right, y + 3 * mm)
    c.drawString(left, y, _("商品"))
    c.drawRightString(right - 50 * mm, y, _("单价"))
    c.drawRightString(right - 28 * mm, y, _("数量"))
    c.drawRightString(right, y, _("金额"))
    y -= 6 * mm
    for line in receipt.lines:
        c.drawString(left, y, line.name[:20])
        c.drawRightString(right - 50 * mm, y, _yuan(line.unit_price))
        c.drawRightString(right - 28 * mm, y, _("%(n)s 盒") % {"n": line.boxes})
        c.drawRightString(right, y, _yuan(line.line_total))
        y -= 5.5 * mm
    c.line(left, y + 3 * mm, right, y + 3 * mm)
    money = [
        (_("商品合计"), _yuan(receipt.goods_total)),
        (_("运费"), _yuan(receipt.courier_fee) if receipt.courier_fee else _("包邮")),
        (_("订单金额"), _yuan(receipt.total)),
        (_("实付"), _yuan(receipt.paid)),
        (_("已退款"), _yuan(receipt.refunded)),
        (_("实收（实付减退款）"), _yuan(receipt.net)),
    ]
    for label, value in money:
        c.drawString(right - 70 * mm, y, label)
        c.drawRightString(right, y, value)
        y -= 5.5 * mm
    if receipt.group_price:
        c.drawString(left, y, _("单价为接龙价。"))
        y -= 5.5 * mm
    y -= 2 * mm
    if receipt.payment:
        c.drawString(left, y, _("支付方式：%(p)s") % {"p": receipt.payment.get_provider_display()})
        y -= 5.5 * mm
        c.drawString(left, y, _("支付交易号：%(t)s") % {"t": receipt.transaction_id or "—"})
        y -= 5.5 * mm
    c.setFont(FONT, 8)
    c.drawString(left, 14 * mm, _("本凭证是合作社出具的订单收据，不是发票；需要发票请在订单页申请开票。"))
    c.drawString(left, 9 * mm, _("出具日期：%(d)s") % {"d": f"{timezone.localdate():%Y-%m-%d}"})
    c.showPage()
    c.save()
    return buf.getvalue()
