"""Labels that a phone camera can read: render → rasterise with pdftoppm → decode with zxing-cpp →
open each decoded URL and land on the right batch's page."""

import io
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from quality.models import BoxCode
from quality.services.labels import FORMATS, box_caption, label_png, render_labels
from quality.services.trace import issue_box_codes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
OUT = Path(__file__).resolve().parents[2] / "bench" / "out" / "labels"
needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm)")


def rasterise(pdf, tmp_path, dpi=200):
    src = tmp_path / "labels.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


def decode_all(pages):
    urls = []
    for page in pages:
        urls += [r.text for r in zxingcpp.read_barcodes(Image.open(page), formats=zxingcpp.BarcodeFormat.QRCode)]
    return urls


def open_decoded(client, url):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""))


@needs_poppler
@pytest.mark.parametrize("sheet_format", list(FORMATS))
def test_every_qr_on_a_sheet_opens_its_batch_page(personas, client, tmp_path, sheet_format, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    batch = make_batch(personas.coop_a, pack_size=10, boxes=26, code="HBLA-20261127-07")
    fmt = FORMATS[sheet_format]
    copies = fmt.per_page + 2  # a full page and two labels on the next
    pages = rasterise(render_labels(batch, sheet_format=sheet_format, copies=copies), tmp_path)
    urls = decode_all(pages)
    assert len(urls) == copies
    assert set(urls) == {f"https://eggs.example.cn/t/{batch.trace.code}"}
    r = open_decoded(client, urls[0])
    assert r.status_code == 200 and "HBLA-20261127-07" in r.content.decode()
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(pages[0], OUT / f"sheet-{sheet_format}.png")


@needs_poppler
def test_the_page_measures_the_stated_millimetres(personas):
    batch = make_batch(personas.coop_a)
    for key, fmt in FORMATS.items():
        pdf = render_labels(batch, sheet_format=key, copies=1)
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        size = next(line for line in info.splitlines() if line.startswith("Page size"))
        w_pt, h_pt = (float(v) for v in size.split(":")[1].split("pts")[0].split("x"))
        assert abs(w_pt / 72 * 25.4 - fmt.page_w) < 0.1 and abs(h_pt / 72 * 25.4 - fmt.page_h) < 0.1


@needs_poppler
def test_serialised_box_labels_carry_digital_links_that_resolve(personas, client, tmp_path, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    coop = personas.coop_a
    coop.gtin = "06901234567892"
    coop.save()
    batch = make_batch(coop, pack_size=10, boxes=30, code="HBLA-20261127-08")
    issue_box_codes(batch.trace, 30)
    pages = rasterise(render_labels(batch, sheet_format="a4-3x8", copies=30, serialised=True), tmp_path)
    urls = decode_all(pages)
    assert len(urls) == 30 and len(set(urls)) == 30
    serials = {b.code: b.serial for b in BoxCode.objects.filter(trace=batch.trace)}
    bb = f"{batch.best_before:%y%m%d}"
    for url in urls:
        prefix = "https://eggs.example.cn/01/06901234567892/10/HBLA-20261127-08/21/"
        assert url.startswith(prefix) and url.endswith(f"?15={bb}")
        serial = url[len(prefix):].split("?")[0]
        r = open_decoded(client, url)
        html = r.content.decode()
        assert r.status_code == 200 and "HBLA-20261127-08" in html
        assert f"第 {serials[serial]} 盒" in html
        # The page names the box as its label does, code included (it used to name only the batch's code).
        assert box_caption(BoxCode.objects.get(code=serial)) in html


def test_a_single_label_png_decodes_to_the_scan_url(personas, client, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    batch = make_batch(personas.coop_a, code="HBLA-20261127-09")
    png = label_png(batch, batch.trace)
    img = Image.open(io.BytesIO(png))
    assert img.size == (827, 437)  # 70×37 mm at 300 dpi
    results = zxingcpp.read_barcodes(img)
    assert [r.text for r in results] == [f"https://eggs.example.cn/t/{batch.trace.code}"]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "label.png").write_bytes(png)


def test_the_certificate_pdf_has_the_required_fields_and_the_batch_qr(personas, client, tmp_path):
    batch = make_batch(personas.coop_a, code="HBLA-20261127-10")
    r = client.get(f"/t/{batch.trace.code}/certificate.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True).stdout.decode()
        for field in ("承诺达标合格证", "产品名称", "数量（重量）", "生产者", "产地", "联系方式", "开具日期",
                      "生产者盖章或签名", "自我承诺",
                      "不使用禁用农药兽药", "内部质量控制", "HBLA-20261127-10"):
            assert field in text, field
    if shutil.which("pdftoppm"):
        pages = rasterise(r.content, tmp_path, dpi=300)
        assert decode_all(pages) == [f"http://testserver/t/{batch.trace.code}".replace("http://testserver",
                                                                                       _site())]
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copy(pages[0], OUT / "certificate.png")


def _site():
    from django.conf import settings

    return settings.SITE_URL.rstrip("/")


def test_the_certificate_follows_the_national_forms_order_with_a_box_to_sign(personas, client):
    """承诺达标合格证 as the national sample lays it out: the promise, 承诺依据 (four boxes, 自我承诺 among
    them), product and quantity, origin, 生产者盖章或签名, 联系方式, 开具日期."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; CI installs it")
    batch = make_batch(personas.coop_a, code="HBLA-20261203-01")
    r = client.get(f"/t/{batch.trace.code}/certificate.pdf")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=r.content, capture_output=True).stdout.decode()
    order = ["我承诺对产品质量安全以及合格证真实性负责", "不使用禁用农药兽药", "常规农药兽药残留不超标", "承诺依据",
             "委托检测", "自我检测", "内部质量控制", "自我承诺", "产品名称", "数量（重量）", "产地", "生产者盖章或签名",
             "联系方式", "开具日期"]
    at = [text.index(word) for word in order]
    assert at == sorted(at), text
    assert "签名 / 盖章" in text
