"""What a printed label shows: 4 modules of white round every QR code (measured on the rendered sheet), exactly
the villages whose eggs are in the batch, sheets titled in words, "第 1 盒"."""

import io
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image

from quality.models import LabelSheet
from quality.services.labels import FORMATS, LabelText, label_png, qr_matrix, render_labels
from quality.services.trace import label_url
from tests.factories import make_batch, make_delivery, make_farmer, make_village

pytestmark = pytest.mark.django_db
needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")
DPI = 400


def quiet_modules(img, modules, bounds):
    """The white modules between the QR code found in ``img`` and the nearest ink or the label's edge
    (``bounds`` in pixels), on its worst side."""
    gray = img.convert("L")
    [found] = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
    xs = [p.x for p in (found.position.top_left, found.position.top_right, found.position.bottom_left,
                        found.position.bottom_right)]
    ys = [p.y for p in (found.position.top_left, found.position.top_right, found.position.bottom_left,
                        found.position.bottom_right)]
    module = (max(xs) - min(xs)) / modules
    # The code's exact edges: its dark pixels near where the decoder says it is.
    near = gray.crop((int(min(xs) - module / 2), int(min(ys) - module / 2), int(max(xs) + module / 2),
                      int(max(ys) + module / 2)))
    ink = near.point(lambda v: 255 if v < 128 else 0).getbbox()
    left, top = int(min(xs) - module / 2) + ink[0], int(min(ys) - module / 2) + ink[1]
    right, bottom = int(min(xs) - module / 2) + ink[2], int(min(ys) - module / 2) + ink[3]
    module = (right - left) / modules
    dark = gray.point(lambda v: 255 if v < 128 else 0)
    bx0, by0, bx1, by1 = bounds

    def white_run(strips):
        run = 0
        for strip in strips:
            if strip is None or dark.crop(strip).getbbox() is not None:
                break
            run += 1
        return run / module

    return min(
        white_run((x - 1, top, x, bottom) if x > bx0 else None for x in range(left, left - 20 * int(module), -1)),
        white_run((x, top, x + 1, bottom) if x < bx1 else None for x in range(right, right + 20 * int(module))),
        white_run((left, y - 1, right, y) if y > by0 else None for y in range(top, top - 20 * int(module), -1)),
        white_run((left, y, right, y + 1) if y < by1 else None for y in range(bottom, bottom + 20 * int(module))),
    )


def rasterise(pdf, tmp_path):
    src = tmp_path / "labels.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", str(src), str(tmp_path / "p")],
                   check=True)
    return Image.open(next(tmp_path.glob("p*.png")))


@needs_poppler
@pytest.mark.parametrize("sheet_format", list(FORMATS))
@pytest.mark.parametrize("serialised", [False, True])
def test_every_pdf_format_keeps_four_modules_of_white_round_the_code(personas, tmp_path, sheet_format, serialised):
    batch = make_batch(personas.coop_a, boxes=3, code="HBLA-20261127-31")
    fmt = FORMATS[sheet_format]
    page = rasterise(render_labels(batch, sheet_format=sheet_format, copies=1, serialised=serialised), tmp_path)
    x, y = fmt.slot(0)  # the first label, bottom-left in mm from the page's bottom-left
    px = DPI / 25.4
    bounds = (round(x * px), round((fmt.page_h - y - fmt.label_h) * px), round((x + fmt.label_w) * px),
              round((fmt.page_h - y) * px))
    label = page.crop(bounds)
    box = batch.trace.boxes.order_by("serial").first() if serialised else None
    modules = len(qr_matrix(label_url(batch, batch.trace, box)))
    assert quiet_modules(label, modules, (0, 0, label.width, label.height)) >= 3.9


def test_the_single_label_png_keeps_four_modules_of_white_round_the_code(personas):
    batch = make_batch(personas.coop_a, code="HBLA-20261127-32")
    img = Image.open(io.BytesIO(label_png(batch, batch.trace)))
    modules = len(qr_matrix(label_url(batch, batch.trace)))
    assert quiet_modules(img, modules, (0, 0, img.width, img.height)) >= 3.9


def test_the_label_names_every_village_whose_eggs_are_in_the_batch(personas, tmp_path):
    coop = personas.coop_a
    villages = [personas.village_a, make_village(coop, name="拉一村", altitude_m=2600),
                make_village(coop, name="瓦尔村", altitude_m=2100)]
    make_village(coop, name="没交蛋村", altitude_m=2900)  # no eggs of this village in the batch
    batch = make_batch(coop, deliveries=[make_delivery(make_farmer(coop, v), accepted={"L": 10}) for v in villages],
                       pack_size=10, boxes=3)
    assert LabelText.of(batch).origin == "拉一村、尔吉村、瓦尔村 · 海拔2600米"
    if shutil.which("pdftotext"):
        pdf = render_labels(batch, sheet_format="a4-3x8", copies=1)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "拉一村、尔吉村、瓦尔村" in text and "没交蛋村" not in text


def test_sheets_are_titled_in_words_and_boxes_counted_in_chinese(personas, tmp_path):
    batch = make_batch(personas.coop_a, boxes=3, code="HBLA-20261127-33")
    sheet = LabelSheet.objects.create(batch=batch, sheet_format="a4-3x8", copies=5000, serialised=True)
    assert str(sheet) == "批次 HBLA-20261127-33 · 3×8 不干胶 · 5000 张"
    pdf = render_labels(batch, sheet_format="a4-3x8", serialised=True)
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "批次 HBLA-20261127-33 · 3×8 不干胶 · 3 张" in info
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "第 1 盒 ·" in text and "No." not in text
    assert set(LabelSheet.FORMAT_NAMES) == set(FORMATS)  # every format has a name people use


@needs_poppler
def test_the_certificate_keeps_four_modules_of_white_round_its_code(personas, client, tmp_path):
    batch = make_batch(personas.coop_a, code="HBLA-20261127-34")
    page = rasterise(client.get(f"/t/{batch.trace.code}/certificate.pdf").content, tmp_path)
    modules = len(qr_matrix(label_url(batch, batch.trace)))
    assert quiet_modules(page, modules, (0, 0, page.width, page.height)) >= 3.9
