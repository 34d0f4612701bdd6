"""A single label as a PNG (Pillow), 70×37 mm at 300 dpi: for a label printer driver that takes
images, or to paste into a chat. Same content as the PDF labels."""

import io

from PIL import Image, ImageDraw, ImageFont

from quality.services.labels import FONT_PATH, LabelText
from quality.services.labels_qr import dark_runs, qr_matrix
from quality.services.trace import label_url

DPI = 300
MM = DPI / 25.4


def label_png(batch, trace, box=None, width_mm=70, height_mm=37):
    text = LabelText.of(batch)
    w, h = round(width_mm * MM), round(height_mm * MM)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    pad = round(2.2 * MM)
    caption_h = round(3.2 * MM)
    qr_px = min(h - 2 * pad - caption_h, int(w * 0.42))
    matrix = qr_matrix(label_url(batch, trace, box))
    n = len(matrix)
    module = qr_px // n  # whole pixels per module keep the code crisp
    qr_px = module * n
    for r, c, length in dark_runs(matrix):
        draw.rectangle([pad + c * module, pad + r * module, pad + (c + length) * module - 1,
                        pad + (r + 1) * module - 1], fill=0)
    caption = f"No.{box.serial} · {box.code}" if box else f"溯源码 {trace.code}"
    small = ImageFont.truetype(str(FONT_PATH), round(2.0 * MM))
    cw = draw.textlength(caption, font=small)
    draw.text((pad + (qr_px - cw) / 2, pad + qr_px + round(0.6 * MM)), caption, font=small, fill=0)
    x0 = pad + qr_px + round(2.2 * MM)
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
