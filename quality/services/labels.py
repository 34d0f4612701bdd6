"""Label sheets (PDF, reportlab) and the compliance certificate.

Sheet formats are a table of millimetres, so printing at 100 % gives the stated sizes. Each label
is drawn once as a PDF form (XObject) and placed on every slot; for serialised box labels only
the QR code and the box number differ, so the form holds everything else. QR codes are vectors
(one rectangle per run of dark modules), sharper than a pasted bitmap on any printer.

Chinese renders on a machine without CJK fonts: we embed a subset of WenQuanYi Micro Hei
(Apache-2.0) shipped in ``static/fonts``."""

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zxingcpp
from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFont
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas

from coop.lib.errors import DomainError
from coop.lib.validators import InvalidNumber, parse_int
from coop.models import Batch
from coop.services.audit import log_action
from quality.models import ComplianceCertificate, LabelSheet
from quality.services.trace import ensure_trace_code, issue_box_codes, label_url, trace_code_of

# Batches on sale for which no label file has been made yet (field lookups of Batch: the workbench counts them and
# links to the batch list with the same lookups). A label file is made by a POST (the sheet form), never by a GET
# download, so "made" is a fact the database has.
WITHOUT_LABELS = {"status": Batch.PACKED, "label_sheets__isnull": True}

FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "wqy-microhei-gb2312.ttf"


FONT = "GreenshellCJK"


GREEN = (0.184, 0.42, 0.235)
RED = (0.78, 0.1, 0.1)


rl_config.useA85 = 0


SYNC_LIMIT = 2000  # labels per request made while the manager waits; more goes to a Celery task


LABEL_CACHE_TTL = 24 * 3600


class LabelRequestError(DomainError):
    """A bad label request (unknown format, too many copies): shown to the manager."""


def refuse_recalled(batch):
    """Labels put eggs on sale; recalled eggs must not be sold, so their labels are never printed."""
    if batch.status == Batch.RECALLED:
        raise LabelRequestError(
            _("批次 %(code)s 已召回（%(reason)s），不能再打印标签：召回的鸡蛋不得销售。")
            % {"code": batch.code, "reason": batch.status_reason or "—"}, "recalled", status=409)


@dataclass(frozen=True)
class SheetFormat:
    key: str
    name: object
    page_w: float  # all in millimetres
    page_h: float
    cols: int
    rows: int
    label_w: float
    label_h: float
    left: float
    top: float
    gap_x: float = 0
    gap_y: float = 0

    @property
    def short_name(self):
        """"3×8 不干胶": what a sheet is called in titles."""
        return LabelSheet.FORMAT_NAMES[self.key]

    @property
    def per_page(self):
        return self.cols * self.rows

    def slot(self, index):
        """Bottom-left corner (mm) of the ``index``-th label on its page."""
        i = index % self.per_page
        col, row = i % self.cols, i // self.cols
        x = self.left + col * (self.label_w + self.gap_x)
        y = self.page_h - self.top - (row + 1) * self.label_h - row * self.gap_y
        return x, y


FORMATS = {
    f.key: f for f in [
        SheetFormat("a4-3x8", gettext_lazy("A4 不干胶 3×8（70×37 毫米）"), 210, 297, 3, 8, 70, 37, 0, 0.5),
        SheetFormat("a4-2x5", gettext_lazy("A4 不干胶 2×5（99.1×57 毫米）"), 210, 297, 2, 5, 99.1, 57, 4.65, 6, 2.5),
        SheetFormat("thermal-60x40", gettext_lazy("热敏标签 60×40 毫米（每页一张）"), 60, 40, 1, 1, 60, 40, 0, 0),
    ]
}


DEFAULT_FORMAT = "a4-3x8"


def _register_font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))


def _fit(text, size, width):
    """Shrink ``size`` until ``text`` fits ``width`` points (labels never overflow their edge)."""
    while size > 3.5 and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 0.25
    return size


@dataclass
class LabelText:
    brand: str
    product: str
    origin: str
    pack: str
    best_before: str
    batch: str
    producer: str
    storage: str

    @classmethod
    def of(cls, batch):
        coop = batch.cooperative
        villages = sorted({c.delivery.farmer.village for c in
                           batch.contributions.select_related("delivery__farmer__village")},
                          key=lambda v: -v.altitude_m)
        if villages:
            # Every village whose eggs are in the batch, highest first (a label that names two of three
            # misleads the buyer who knows the third); the drawing shrinks or wraps the line to fit.
            top = villages[0]
            origin = "、".join(v.name for v in villages) + f" · 海拔{top.altitude_m}米"
        else:
            origin = f"{coop.county}{coop.township}"
        # Labels are printed in Chinese whatever the manager's interface language.
        return cls(
            brand=coop.short_name or coop.name,
            product=coop.product_name or "高山散养绿壳鸡蛋",
            origin=origin,
            pack=f"{batch.pack_size}枚装 · {batch.grade}级 · 包装 {timezone.localtime(batch.packed_at):%Y-%m-%d}",
            best_before=f"保质期至 {batch.best_before:%Y-%m-%d}",
            batch=f"批次 {batch.code}",
            producer=f"生产者代码 {coop.producer_code}",
            storage="0–8°C 冷藏 · 大头朝上",
        )


class LabelPainter:
    """Draws labels of one format for one batch onto a reportlab canvas."""

    def __init__(self, fmt, text, trademark_path=None):
        self.fmt, self.text, self.trademark = fmt, text, trademark_path
        self.w, self.h = fmt.label_w * mm, fmt.label_h * mm
        scale = fmt.label_h / 37.0
        self.pad = 2.2 * mm * min(scale, 1.4)
        self.code_line = 3.2 * mm * min(scale, 1.3)
        self.qr = min(self.h - 2 * self.pad - self.code_line, self.w * 0.42)
        # The square from the label's top-left corner that holds the code *and* its quiet zone: the code is
        # drawn 4 modules in from the label's edges, and the text starts 4 modules after it. The label's
        # own edge counts for nothing: on a 3×8 sheet the next label's text starts right there.
        self.qr_region = self.pad + self.qr + 2.2 * mm
        self.scale = min(scale, 1.5)

    # the part every label of the batch shares
    def draw_static(self, c):
        t, s = self.text, self.scale
        x0 = self.qr_region
        width = self.w - x0 - self.pad
        y = self.h - self.pad
        lines = [
            (t.brand, 6.4, GREEN, True), (t.product, 7.6, (0, 0, 0), True), (t.origin, 5.7, (0, 0, 0), False),
            (t.pack, 5.4, (0, 0, 0), False), (t.best_before, 6.2, (0, 0, 0), True),
            (t.batch, 5.4, (0, 0, 0), False), (t.producer, 5.2, (0, 0, 0), False),
            (t.storage, 5.2, (0.3, 0.3, 0.3), False),
        ]
        if self.trademark:
            logo = min(8 * mm * s, self.pad + self.qr)
            c.drawImage(self.trademark, self.w - self.pad - logo, self.h - self.pad - logo, logo, logo,
                        preserveAspectRatio=True, mask="auto")
        for text, size, colour, bold in lines:
            size = _fit(text, size * s, width)
            y -= size * 1.32
            c.setFillColorRGB(*colour)
            tx = c.beginText(x0, y)
            tx.setFont(FONT, size)
            if bold:  # the embedded font has no bold face: fill + a hairline stroke thickens it
                tx.setTextRenderMode(2)
                c.setStrokeColorRGB(*colour)
                c.setLineWidth(size * 0.03)
            tx.textOut(text)
            c.drawText(tx)
        c.setFillColorRGB(0, 0, 0)

    def draw_qr(self, c, url, caption):
        region = self.qr_region
        draw_qr_in_quiet_zone(c, qr_matrix(url), 0, self.h - region, region)
        size = _fit(caption, 5.2 * self.scale, region - 2 * self.pad)
        c.setFont(FONT, size)
        # Below the quiet zone, never inside it.
        c.drawCentredString(region / 2, self.h - region - size * 0.95, caption)


def box_caption(box):
    """The words under a box label's code: "第 12 盒 · K7M…" (the box's place in the batch, then its code)."""
    return f"第 {box.serial} 盒 · {box.code}"


def qr_operators(matrix):
    """PDF path operators for a QR code in module units: one rectangle per run of dark modules.

    Written as a literal operator string because reportlab's path API formats every number through
    Python (about 5 µs a rectangle); 1,100 box labels have ~400,000 of them. Each run overlaps its
    neighbours by 2 % of a module so no hairline seam shows between rows in any viewer.
    """
    n = len(matrix)
    return " ".join(f"{col} {n - r - 1} {length}.02 1.02 re" for r, col, length in dark_runs(matrix)) + " f"


def draw_qr_vectors(c, matrix, x, y, size):
    c.saveState()
    c.translate(x, y)
    scale = size / len(matrix)
    c.scale(scale, scale)
    c.setFillColorRGB(0, 0, 0)
    c.addLiteral(qr_operators(matrix))
    c.restoreState()


QUIET_MODULES = 4  # white round a QR code, in modules, on every side (ISO/IEC 18004); phones miss codes without


def draw_qr_in_quiet_zone(c, matrix, x, y, region):
    """Draw the code inside the square ``region`` (bottom-left ``x``, ``y``), 4 modules of white on every
    side included; returns the module size."""
    n = len(matrix)
    module = region / (n + 2 * QUIET_MODULES)
    draw_qr_vectors(c, matrix, x + QUIET_MODULES * module, y + QUIET_MODULES * module, n * module)
    return module


def _trademark_path(coop):
    try:
        return coop.trademark.path if coop.trademark else None
    except (ValueError, NotImplementedError):
        return None


def render_labels(batch, *, sheet_format=DEFAULT_FORMAT, copies=None, serialised=False, progress=None):
    """The PDF bytes of ``copies`` labels of ``batch`` (serialised: one per box code)."""
    refuse_recalled(batch)
    if sheet_format not in FORMATS:
        raise LabelRequestError(_("未知的标签规格：%(f)s") % {"f": sheet_format})
    fmt = FORMATS[sheet_format]
    _register_font()
    trace = trace_code_of(batch)  # read only: made at packing (background sheets issue theirs first)
    text = LabelText.of(batch)
    painter = LabelPainter(fmt, text, _trademark_path(batch.cooperative))
    buf = io.BytesIO()
    c = pdfcanvas.Canvas(buf, pagesize=(fmt.page_w * mm, fmt.page_h * mm), pageCompression=1)
    count = (min(copies, trace.boxes.count()) if copies else trace.boxes.count()) if serialised else (
        copies or batch.boxes)
    # The title a PDF viewer shows, in words: "批次 HBL-20261127-01 · 3×8 不干胶 · 24 张" (printed in Chinese).
    c.setTitle(f"批次 {batch.code} · {fmt.short_name} · {count} 张")
    c.setAuthor(batch.cooperative.name)
    c.setCreator("Greenshell")

    c.beginForm("static", 0, 0, painter.w, painter.h)
    painter.draw_static(c)
    if not serialised:
        painter.draw_qr(c, label_url(batch, trace), f"溯源码 {trace.code}")
    c.endForm()

    if serialised:
        boxes = list(trace.boxes.order_by("serial")[:copies] if copies else trace.boxes.order_by("serial"))
        count = len(boxes)
    else:
        count = copies or batch.boxes
    for i in range(count):
        if i and i % fmt.per_page == 0:
            c.showPage()
        x, y = fmt.slot(i)
        c.saveState()
        c.translate(x * mm, y * mm)
        c.doForm("static")
        if serialised:
            box = boxes[i]
            painter.draw_qr(c, label_url(batch, trace, box), box_caption(box))
        c.restoreState()
        if progress is not None and (i + 1) % 200 == 0:
            progress(i + 1)
    c.showPage()
    c.save()
    return buf.getvalue()


def int_param(params, name, default, maximum):
    try:
        value = parse_int(params.get(name))
    except InvalidNumber:
        raise LabelRequestError(_("%(name)s 应为整数。") % {"name": name}) from None
    if value is None:
        return default
    if value < 1 or value > maximum:
        raise LabelRequestError(_("%(name)s 应在 1 到 %(max)s 之间。") % {"name": name, "max": maximum})
    return value


def labels_for_request(batch, params):
    """``?format=a4-3x8&copies=24&boxes=1`` → (pdf bytes, filename). Kept in the cache once made.

    Read only (it answers a GET): box labels use the box codes made when the batch was packed, one
    per box; more than that is a background sheet (a POST), which issues the extra codes."""
    refuse_recalled(batch)
    sheet_format = params.get("format") or DEFAULT_FORMAT
    if sheet_format not in FORMATS:
        raise LabelRequestError(_("未知的标签规格：%(f)s。可选：%(all)s")
                                % {"f": sheet_format, "all": "、".join(FORMATS)})
    serialised = params.get("boxes") in ("1", "true", "yes")
    copies = int_param(params, "copies", batch.boxes, SYNC_LIMIT)
    if serialised:
        have = trace_code_of(batch).boxes.count()
        if copies > have:
            raise LabelRequestError(
                _("这个批次只有 %(have)d 个盒码，要 %(want)d 张每盒一码标签请用后台“大批量标签（后台生成）”。")
                % {"have": have, "want": copies})
    key = f"trace:labels:{batch.pk}:{batch.status}:{sheet_format}:{copies}:{int(serialised)}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_labels(batch, sheet_format=sheet_format, copies=copies, serialised=serialised)
        cache.set(key, pdf, LABEL_CACHE_TTL)
    kind = "boxes" if serialised else "labels"
    return pdf, f"{kind}-{batch.code}-{sheet_format}.pdf"


def request_label_sheet(batch, *, sheet_format=DEFAULT_FORMAT, copies=None, serialised=True, user=None):
    """Queue a label sheet, or return the one already made/queued with the same parameters."""
    refuse_recalled(batch)
    if sheet_format not in FORMATS:
        raise LabelRequestError(_("未知的标签规格：%(f)s") % {"f": sheet_format})
    copies = copies or batch.boxes
    if copies < 1 or copies > 20000:
        raise LabelRequestError(_("张数应在 1 到 20000 之间。"))
    existing = (LabelSheet.objects.filter(batch=batch, sheet_format=sheet_format, serialised=serialised,
                                          copies=copies)
                .exclude(status=LabelSheet.FAILED).order_by("-created_at").first())
    if existing is not None:
        return existing
    sheet = LabelSheet.objects.create(batch=batch, sheet_format=sheet_format, serialised=serialised,
                                      copies=copies, created_by=user if getattr(user, "is_authenticated", False)
                                      else None)
    log_action(batch, "batch.label_sheet_requested", user=user,
               data={"sheet": sheet.pk, "format": sheet_format, "copies": copies, "serialised": serialised})
    transaction.on_commit(lambda: make_label_sheet.delay(sheet.pk))
    return sheet


def build_label_sheet(sheet_id):
    """The Celery task's body: make the PDF, reporting progress; a finished sheet is not remade."""

    claimed = LabelSheet.objects.filter(pk=sheet_id, status__in=[LabelSheet.QUEUED, LabelSheet.FAILED]).update(
        status=LabelSheet.RUNNING, done=0, error="")
    if not claimed:
        return False  # done already, or another worker is on it
    sheet = LabelSheet.objects.select_related("batch__cooperative").get(pk=sheet_id)
    try:
        refuse_recalled(sheet.batch)  # recalled while the sheet waited in the queue
    except LabelRequestError as exc:
        LabelSheet.objects.filter(pk=sheet_id).update(status=LabelSheet.FAILED, error=str(exc)[:300])
        return False  # final: retrying cannot un-recall the batch
    try:
        if sheet.serialised:
            issue_box_codes(ensure_trace_code(sheet.batch), sheet.copies, user=sheet.created_by)
        pdf = render_labels(
            sheet.batch, sheet_format=sheet.sheet_format, copies=sheet.copies, serialised=sheet.serialised,
            progress=lambda n: LabelSheet.objects.filter(pk=sheet_id).update(done=n))
        sheet.file.save(f"labels-{sheet.batch.code}-{sheet.pk}.pdf", ContentFile(pdf), save=False)
        LabelSheet.objects.filter(pk=sheet_id).update(file=sheet.file.name, status=LabelSheet.DONE,
                                                      done=sheet.copies, finished_at=timezone.now())
    except Exception as exc:
        LabelSheet.objects.filter(pk=sheet_id).update(status=LabelSheet.FAILED, error=str(exc)[:300])
        raise
    return True


def certificate_pdf(cert):
    """One certificate, 100×70 mm, laid out as the national form of 承诺达标合格证 (农业农村部 sample, in
    its order): the promise and its two ticked lines, 承诺依据 with its four boxes, then 产品名称 and
    数量（重量）, 产地, 生产者盖章或签名 with room to sign or stamp, 联系方式 and 开具日期. Beside the form,
    as the sample allows, the batch's QR code for tracing. Printed in Chinese (a legal form)."""

    _register_font()
    batch = cert.batch
    trace = trace_code_of(batch)
    w, h = 100 * mm, 70 * mm
    buf = io.BytesIO()
    c = pdfcanvas.Canvas(buf, pagesize=(w, h))
    c.setTitle(f"承诺达标合格证 {cert.number}")
    c.setStrokeColorRGB(*GREEN)
    c.setLineWidth(1.2)
    c.rect(2 * mm, 2 * mm, w - 4 * mm, h - 4 * mm)
    c.setFillColorRGB(*GREEN)
    c.setFont(FONT, 12)
    c.drawCentredString(w / 2, h - 9 * mm, "承诺达标合格证")
    c.setFillColorRGB(0, 0, 0)
    c.setFont(FONT, 5)
    c.drawRightString(w - 4 * mm, h - 9 * mm, f"编号 {cert.number}")

    left, text_right = 5 * mm, 64 * mm  # the form; the QR code sits right of it
    y = h - 14.5 * mm
    c.setFont(FONT, 5.6)
    c.drawString(left, y, "我承诺对产品质量安全以及合格证真实性负责：")
    for promise in ("不使用禁用农药兽药、停用兽药和非法添加物", "常规农药兽药残留不超标"):
        y -= 3.3 * mm
        _checkbox(c, left + 1 * mm, y, True)
        c.drawString(left + 4 * mm, y, promise)
    y -= 3.8 * mm
    c.drawString(left, y, "承诺依据：")
    x = left + pdfmetrics.stringWidth("承诺依据：", FONT, 5.6)
    for key, label in ComplianceCertificate.BASES:
        label = str(label)
        need = 3 * mm + pdfmetrics.stringWidth(label, FONT, 5.6) + 2 * mm
        if x + need > text_right:  # the four boxes wrap under the label rather than run into the QR
            y -= 3.3 * mm
            x = left + pdfmetrics.stringWidth("承诺依据：", FONT, 5.6)
        _checkbox(c, x, y, cert.basis == key)
        c.drawString(x + 3 * mm, y, label)
        x += need

    def field(label, value, dy=4.1 * mm, width=None):
        nonlocal y
        y -= dy
        c.setFont(FONT, 6)
        c.drawString(left, y, f"{label}：")
        start = left + pdfmetrics.stringWidth(f"{label}：", FONT, 6) + 0.5 * mm
        c.setFont(FONT, _fit(value, 6.5, (width or text_right) - start))
        c.drawString(start, y, value)
        c.setLineWidth(0.3)
        c.line(start, y - 0.8 * mm, width or text_right, y - 0.8 * mm)

    field("产品名称", cert.product_name, dy=4.6 * mm)
    field("数量（重量）", cert.quantity)
    field("产地", cert.origin)
    # 生产者盖章或签名: the producer's name printed, and a box for the signature or the seal.
    field("生产者盖章或签名", cert.producer_name, dy=6.4 * mm, width=text_right - 17 * mm)
    c.setLineWidth(0.4)
    c.setDash(1, 1)
    c.rect(text_right - 16 * mm, y - 2.6 * mm, 16 * mm, 6.8 * mm)
    c.setDash()
    c.setFont(FONT, 4)
    c.drawCentredString(text_right - 8 * mm, y - 1.9 * mm, "签名 / 盖章")
    field("联系方式", cert.phone or "—", dy=5.2 * mm)
    field("开具日期", f"{cert.issued_on:%Y年%m月%d日}")

    # QR at the right, the same URL as the batch's labels, with the batch number under it
    region = 31 * mm  # the code and its quiet zone, inside the border
    qx, qy = w - 3 * mm - region, h - 13 * mm - region
    draw_qr_in_quiet_zone(c, qr_matrix(label_url(batch, trace)), qx, qy, region)
    c.setFont(FONT, 5)
    c.drawCentredString(qx + region / 2, qy - 1.5 * mm, f"扫码溯源 {trace.code}")
    c.drawCentredString(qx + region / 2, qy - 4.5 * mm, f"批次号 {batch.code}")
    if batch.status == Batch.RECALLED:
        _void_stamp(c, w, h, batch)
    c.showPage()
    c.save()
    return buf.getvalue()


def _void_stamp(c, w, h, batch):
    # The certificate stays downloadable (it is the record of what was promised), but a recalled
    # batch's copy must never pass for a valid one: a red band across it says so.
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.setStrokeColorRGB(*RED)
    c.setLineWidth(1.5)
    c.rect(4 * mm, h / 2 - 7 * mm, w - 8 * mm, 14 * mm, stroke=1, fill=1)
    c.setFillColorRGB(*RED)
    c.setFont(FONT, 11)
    c.drawCentredString(w / 2, h / 2 + 0.5 * mm, "已召回 · 请勿食用 · 本合格证作废")
    c.setFont(FONT, 6)
    c.drawCentredString(w / 2, h / 2 - 4.5 * mm, f"召回原因：{batch.status_reason or '—'}"[:60])
    c.restoreState()


def _checkbox(c, x, y, checked):
    s = 2.2 * mm
    c.setLineWidth(0.4)
    c.setStrokeColorRGB(0, 0, 0)
    c.rect(x, y - 0.3 * mm, s, s, stroke=1, fill=0)
    if checked:
        c.setLineWidth(0.7)
        c.line(x + 0.4 * mm, y + 0.8 * mm, x + 0.9 * mm, y + 0.1 * mm)
        c.line(x + 0.9 * mm, y + 0.1 * mm, x + 2.0 * mm, y + 1.7 * mm)


DARK = 0  # pixel value of a dark module in zxing-cpp's 8-bit image


_DARK_RUN = re.compile(b"\\x00+")


def qr_matrix(text, ec_level="M"):
    """The QR code of ``text`` as a tuple of rows (``bytes``, one byte per module, 0 = dark),
    without the quiet zone."""
    return _qr_matrix(text, ec_level)


@lru_cache(maxsize=256)
def _qr_matrix(text, ec_level):
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ec_level)
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    rows, cols = image.shape
    raw = image.tobytes()
    return tuple(raw[r * cols:(r + 1) * cols] for r in range(rows))


def dark_runs(matrix):
    """(row, first column, length) for each horizontal run of dark modules: a QR code drawn as one
    rectangle per run needs 3–4× fewer PDF operators than one per module, and prints the same."""
    return [(r, m.start(), m.end() - m.start()) for r, row in enumerate(matrix) for m in _DARK_RUN.finditer(row)]


DPI = 300


MM = DPI / 25.4


def label_png(batch, trace, box=None, width_mm=70, height_mm=37):
    refuse_recalled(batch)
    text = LabelText.of(batch)
    w, h = round(width_mm * MM), round(height_mm * MM)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    pad = round(2.2 * MM)
    caption_h = round(3.2 * MM)
    # As on the PDF: one square from the corner holds the code and 4 modules of white on every side.
    region = pad + min(h - 2 * pad - caption_h, int(w * 0.42)) + round(2.2 * MM)
    matrix = qr_matrix(label_url(batch, trace, box))
    n = len(matrix)
    module = region // (n + 2 * QUIET_MODULES)  # whole pixels per module keep the code crisp
    quiet = QUIET_MODULES * module
    for r, c, length in dark_runs(matrix):
        draw.rectangle([quiet + c * module, quiet + r * module, quiet + (c + length) * module - 1,
                        quiet + (r + 1) * module - 1], fill=0)
    caption = box_caption(box) if box else f"溯源码 {trace.code}"
    small = ImageFont.truetype(str(FONT_PATH), round(2.0 * MM))
    cw = draw.textlength(caption, font=small)
    draw.text(((region - cw) / 2, 2 * quiet + n * module), caption, font=small, fill=0)
    x0 = region
    width = w - x0 - pad
    y = pad
    for line, size_mm, bold in [(text.brand, 2.3, True), (text.product, 2.7, True), (text.origin, 2.0, False),
                                (text.pack, 1.9, False), (text.best_before, 2.2, True), (text.batch, 1.9, False),
                                (text.producer, 1.85, False), (text.storage, 1.85, False)]:
        size = round(size_mm * MM)
        font = ImageFont.truetype(str(FONT_PATH), size)
        while size > 12 and draw.textlength(line, font=font) > width:
            size -= 1
            font = ImageFont.truetype(str(FONT_PATH), size)
        draw.text((x0, y), line, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
        y += round(size * 1.3)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True, dpi=(DPI, DPI))
    return buf.getvalue()


@shared_task(name="quality.tasks.make_label_sheet", bind=True, max_retries=3, default_retry_delay=10)
def make_label_sheet(self, sheet_id):
    return build_label_sheet(sheet_id)
