"""Label files for the thermal label printers villages own: TSPL and ZPL.

The cheap direct-thermal printers sold in China (Gprinter, Xprinter and their many relatives) speak
TSPL; Zebra-class printers speak ZPL. Either takes a file sent straight to it (USB "raw" printing, the
vendor's tool, ``lp -o raw``), so a batch's labels print without a PC driver or a PDF viewer that
rescales the page. The label is the 60×40 mm roll label of the PDF's thermal format, at 203 dpi
(8 dots per mm), the resolution of these printers.

- **TSPL**: text in the printer's own Simplified Chinese font ``TSS24.BF2`` (GB2312, built into the
  Chinese-market models), so the file is GBK-encoded; the QR code is the printer's ``QRCODE`` command,
  so it prints at the head's full sharpness.
- **ZPL**: a Zebra has no Chinese font unless one was loaded, so the text is drawn here (the label's
  own WenQuanYi font) into one graphic stored on the printer once (``~DG``) and recalled by every label
  (``^XG``); the QR code is ``^BQ``.

Every format keeps at least 4 modules of white round the QR code (the QR specification's quiet zone):
the code is placed 4 cells in from the label's margin and text starts 4 cells after it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFont

from quality.services.labels import (
    FONT_PATH,
    QUIET_MODULES,
    SYNC_LIMIT,
    LabelRequestError,
    LabelText,
    box_caption,
    int_param,
    qr_matrix,
)
from quality.services.trace import label_url, trace_code_of

DOTS_PER_MM = 8  # 203 dpi, the head of every printer of this class


LABEL_W_MM, LABEL_H_MM = 60, 40


GAP_MM = 2  # the gap between die-cut labels on the roll; the printer's sensor finds each label by it


MARGIN = 8  # dots (1 mm) kept clear of the label's edge: the roll wanders sideways a little


TEXT_GAP = 4  # dots between lines of text


TSPL_FONT = {24: "TSS24.BF2", 16: "TSS16.BF2"}  # the built-in Simplified Chinese fonts, by height in dots


LANGUAGES = {"tspl": gettext_lazy("TSPL（佳博、芯烨等热敏标签机）"), "zpl": gettext_lazy("ZPL（斑马等标签机）")}


@dataclass(frozen=True)
class Line:
    x: int
    y: int
    size: int  # font height in dots
    text: str
    caption: bool = False  # the line that differs from box to box


def text_width(text, size):
    """Width in dots in the printer's fonts: a Chinese character is square, ASCII half as wide."""
    return sum(size if ord(ch) > 0x7F else size // 2 for ch in text)


def wrap(text, size, width):
    """``text`` cut into pieces at most ``width`` dots wide (a village list is never cut short)."""
    lines, line = [], ""
    for ch in text:
        if line and text_width(line + ch, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines


@dataclass
class ThermalLayout:
    """Where everything goes on one 60×40 mm label, in dots; the same for TSPL and ZPL."""

    url: str
    caption: str
    lines: list
    qr_x: int
    qr_y: int
    cell: int  # dots per QR module
    modules: int

    @property
    def qr_size(self):
        return self.cell * self.modules


def layout(text, url, caption):
    width, height = LABEL_W_MM * DOTS_PER_MM, LABEL_H_MM * DOTS_PER_MM
    modules = len(qr_matrix(url))
    # 4 dots a module (0.5 mm) reads at arm's length; a long digital link (more modules) gets 3 so the code
    # and its quiet zone still leave room for the text.
    cell = 4 if (modules + 2 * QUIET_MODULES) * 4 <= 180 else 3
    quiet = QUIET_MODULES * cell
    qr_x = qr_y = MARGIN + quiet
    qr_end_x = qr_x + modules * cell + quiet  # the right edge of the quiet zone: text starts here
    lines = []
    y = MARGIN
    column = width - MARGIN - qr_end_x
    for line, size in [(text.brand, 24), (text.product, 24), (text.best_before, 24), (text.batch, 16),
                       (text.producer, 16)]:
        size = size if text_width(line, size) <= column else 16
        for piece in wrap(line, size, column):
            lines.append(Line(qr_end_x, y, size, piece))
            y += size + TEXT_GAP
    # Under the code (and its quiet zone): the caption, then the long lines across the whole label.
    y = max(y, qr_y + modules * cell + quiet)
    full = width - 2 * MARGIN
    for line in [caption, text.origin, text.pack, text.storage]:
        for piece in wrap(line, 16, full):
            lines.append(Line(MARGIN, y, 16, piece, caption=line is caption))
            y += 16 + TEXT_GAP
    if y - TEXT_GAP > height - MARGIN:
        # Never print a label whose last lines fall off the roll: say so instead.
        raise LabelRequestError(_("标签内容放不下 60×40 毫米的热敏标签，请改用 A4 不干胶。"))
    return ThermalLayout(url=url, caption=caption, lines=lines, qr_x=qr_x, qr_y=qr_y, cell=cell, modules=modules)


def _labels(batch, *, copies, serialised):
    """(layout, copies) for each distinct label: one for a batch label, one per box for box labels."""
    trace = trace_code_of(batch)
    text = LabelText.of(batch)
    if not serialised:
        return [(layout(text, label_url(batch, trace), f"溯源码 {trace.code}"), copies)]
    boxes = trace.boxes.order_by("serial")[:copies]
    return [(layout(text, label_url(batch, trace, box), box_caption(box)), 1) for box in boxes]


# --- TSPL ---------------------------------------------------------------------------------------------


def _tspl_string(value):
    """A TSPL string literal: a double quote inside is written ``\\["]`` (TSPL's escape)."""
    return '"' + value.replace('"', '\\["]') + '"'


def tspl(batch, *, copies, serialised=False):
    """The TSPL program printing ``copies`` labels of ``batch`` (box labels: one per box code), as bytes
    in GBK, the encoding of the printer's Chinese fonts."""
    out = [f"SIZE {LABEL_W_MM} mm,{LABEL_H_MM} mm", f"GAP {GAP_MM} mm,0 mm", "DIRECTION 1", "REFERENCE 0,0"]
    for lay, count in _labels(batch, copies=copies, serialised=serialised):
        out.append("CLS")
        for line in lay.lines:
            out.append(f"TEXT {line.x},{line.y},{_tspl_string(TSPL_FONT[line.size])},0,1,1,{_tspl_string(line.text)}")
        # QRCODE x,y,ECC level,cell width,mode (A: automatic),rotation,"data"
        out.append(f"QRCODE {lay.qr_x},{lay.qr_y},M,{lay.cell},A,0,{_tspl_string(lay.url)}")
        out.append(f"PRINT {count},1")
    return ("\r\n".join(out) + "\r\n").encode("gbk", errors="replace")


# --- ZPL ----------------------------------------------------------------------------------------------


def _bitmap(lines, width, height, origin=(0, 0)):
    """The text ``lines`` drawn in the label's font as a 1-bit image whose top left is the label's
    ``origin`` dot."""
    img = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(img)
    fonts = {}
    for line in lines:
        font = fonts.setdefault(line.size, ImageFont.truetype(str(FONT_PATH), line.size))
        draw.text((line.x - origin[0], line.y - origin[1]), line.text, font=font, fill=255)
    # Ink is 255 here and becomes a set bit: ZPL prints the set bits of a graphic field black.
    return img.convert("1", dither=Image.Dither.NONE)


def _zpl_graphic(img):
    """``total,bytes per row,hex`` of ``img``: PIL packs 1-bit rows most significant bit first, padded
    to whole bytes, which is ZPL's layout."""
    data = img.tobytes()
    return f"{len(data)},{(img.width + 7) // 8},{data.hex().upper()}"


def _zpl_field_data(value):
    if "^" in value or "~" in value:  # ZPL's command prefixes; our URLs never contain them
        raise LabelRequestError(_("二维码内容含有标签机不能打印的字符。"))
    return value


def zpl(batch, *, copies, serialised=False):
    """The ZPL printing ``copies`` labels of ``batch`` (box labels: one per box code), as bytes.

    What every label shares is one graphic sent to the printer's memory once (``~DG``, about 40 kB of
    hex) and recalled by each label (``^XG``); a box label adds only its caption ("第 1 盒 · …") and its
    QR code, so 1,000 box labels are not 40 MB."""
    width, height = LABEL_W_MM * DOTS_PER_MM, LABEL_H_MM * DOTS_PER_MM
    out, stored, graphics = [], None, 0
    for lay, count in _labels(batch, copies=copies, serialised=serialised):
        shared = tuple(line for line in lay.lines if not line.caption)
        if shared != stored:
            name = f"R:GS{graphics:03d}.GRF"
            graphics += 1
            out.append(f"~DG{name},{_zpl_graphic(_bitmap(shared, width, height))}")
            stored = shared
        out.append("^XA")
        out.append(f"^PW{width}^LL{height}^LH0,0")
        out.append(f"^FO0,0^XG{name},1,1^FS")
        for line in lay.lines:
            if line.caption:
                img = _bitmap([line], text_width(line.text, line.size) + 8, line.size + 4, (line.x, line.y))
                total = len(img.tobytes())
                # ^GFA,<bytes>,<field bytes>,<bytes per row>,<hex>: uncompressed hex, the same count twice
                out.append(f"^FO{line.x},{line.y}^GFA,{total},{_zpl_graphic(img)}^FS")
        # ^BQN,2,<magnification>: model 2; data "MA,": error correction M, automatic input mode.
        out.append(f"^FO{lay.qr_x},{lay.qr_y}^BQN,2,{lay.cell}^FDMA,{_zpl_field_data(lay.url)}^FS")
        out.append(f"^PQ{count}")
        out.append("^XZ")
    return ("\n".join(out) + "\n").encode("ascii")


def printer_file(batch, language, params):
    """``labels.tspl?copies=24`` / ``labels.zpl?boxes=1`` → (bytes, filename). Read only: box labels use
    the box codes made at packing, as the PDF does."""
    if language not in LANGUAGES:
        raise LabelRequestError(_("未知的标签机语言：%(f)s") % {"f": language})
    serialised = params.get("boxes") in ("1", "true", "yes")
    copies = int_param(params, "copies", batch.boxes, SYNC_LIMIT)
    if serialised:
        have = trace_code_of(batch).boxes.count()
        if copies > have:
            raise LabelRequestError(_("这个批次只有 %(have)d 个盒码。") % {"have": have})
    body = (tspl if language == "tspl" else zpl)(batch, copies=copies, serialised=serialised)
    kind = "boxes" if serialised else "labels"
    return body, f"{kind}-{batch.code}-60x40.{language}"
