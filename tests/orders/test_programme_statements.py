"""Certificates: the PDF and the public verification page show the same frozen figures; forged codes 404."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models.programmes import ProgrammeError, Statement
from orders.services import payments
from orders.services import statements as svc
from tests.factories import buy

from .pdftext import draw_statements_readably, pdf_text


@pytest.fixture(autouse=True)
def _readable_pdf(monkeypatch):
    draw_statements_readably(monkeypatch)


def test_the_statement_pdf_carries_its_chinese_font(pairing, personas, client_for, monkeypatch):
    """The real PDF embeds the shipped font (as the labels and payslips do), so any viewer shows the Chinese."""
    monkeypatch.undo()
    buy(pairing, 2, personas.manager_a)
    s = issue(pairing, personas.manager_a)
    pdf = svc.render_pdf(s)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf


def issue(pairing, manager):
    today = timezone.localdate()
    return svc.issue_statement(programme=pairing.programme, organisation=pairing.org,
                               start=today - datetime.timedelta(days=30), end=today, user=manager)


def test_the_verification_page_matches_the_pdf(pairing, personas, client_for):
    buy(pairing, 5, personas.manager_a)
    buy(pairing, 2, personas.manager_a)
    st = issue(pairing, personas.manager_a)

    pdf = client_for(personas.manager_a).get(f"/programmes/statements/{st.code}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    page = client_for(None).get(f"/v/{st.code}")
    html = page.content.decode()

    assert page.status_code == 200 and "证明真实有效" in html
    assert st.figures["amount"] == "279.30" and st.figures["eggs"] == 70 and st.figures["households"] == 3
    reached = "¥" + st.figures["reached"]
    assert "订单 2 笔，鸡蛋 70 枚，金额 ¥279.30；" in text
    assert "3 户农户的鸡蛋" in text and f"其中 {reached} 已按交蛋记入农户台账" in text
    for element, value in (("amount", "¥279.30"), ("eggs", "70 枚"), ("orders", "2 笔"), ("households", "3 户"),
                           ("reached", reached), ("code", st.code)):
        assert f'id="{element}">{value}<' in html, element
    assert st.code in text and "莫谷村" in text and "桌古村" in text and "、".join(st.figures["villages"]) in html
    assert f"/v/{st.code}" in text  # the printed address under the QR
    assert "HBLA-P1" in text and "HBLA-P1" in html


def test_a_forged_or_mistyped_code_is_not_found(pairing, personas, client_for):
    buy(pairing, 1, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    anon = client_for(None)
    assert anon.get(f"/v/{st.code[:-1]}X").status_code == 404 or st.code.endswith("X")
    assert anon.get("/v/ABCDEFGHJKMNPQRS").status_code == 404
    assert anon.get(f"/v/{st.code.lower()}").status_code == 200  # typed in lower case is still genuine


def test_the_verification_page_shows_no_household_data(pairing, personas, client_for):
    buy(pairing, 10, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    html = client_for(None).get(f"/v/{st.code}").content.decode()
    for f in pairing.farmers:
        assert f.head_name not in html and f.member_no not in html and f.phone not in html


def test_figures_are_frozen_and_a_refund_shows_on_the_next_statement(pairing, personas):
    order = buy(pairing, 2, personas.manager_a)
    first = issue(pairing, personas.manager_a)
    payments.refund(order, out_refund_no="R-frozen", reason="退货", user=personas.manager_a)
    first.refresh_from_db()
    assert first.figures["amount"] == "79.80"
    with pytest.raises(ProgrammeError):
        issue(pairing, personas.manager_a)  # nothing left to certify


def test_statements_only_cover_the_past_and_the_programmes_cooperative(pairing, personas):
    buy(pairing, 1, personas.manager_a)
    today = timezone.localdate()
    with pytest.raises(ProgrammeError):
        svc.issue_statement(programme=pairing.programme, organisation=pairing.org, start=today,
                            end=today + datetime.timedelta(days=1))
    assert not Statement.objects.exists()


def test_the_organisations_buyer_downloads_its_own_statement_only(pairing, personas, client_for):
    buy(pairing, 1, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    assert client_for(personas.buyer).get(f"/programmes/statements/{st.code}.pdf").status_code == 200
    page = client_for(personas.buyer).get("/shop/statements/")
    assert st.code in page.content.decode() and "¥39.90" in page.content.decode()
    assert client_for(personas.outsider).get(f"/programmes/statements/{st.code}.pdf").status_code == 404
    assert client_for(personas.manager_b).get(f"/programmes/statements/{st.code}.pdf").status_code == 404


def test_amounts_are_decimal_strings_to_the_fen(pairing, personas):
    buy(pairing, 3, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    assert Decimal(st.figures["amount"]) == Decimal("119.70")
    assert sum(Decimal(o["amount"]) for o in st.figures["orders"]) == Decimal(st.figures["amount"])


def test_the_printed_qr_code_opens_the_verification_page(pairing, personas, client_for, tmp_path):
    """Rasterise the PDF (poppler's pdftoppm, where installed) and decode its QR code like a phone would."""
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    import zxingcpp
    from PIL import Image

    buy(pairing, 1, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    (tmp_path / "c.pdf").write_bytes(svc.render_pdf(st))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")],
                   check=True)
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "c.png"))
    assert [c.text for c in codes] == [svc.verify_url(st)]
    path = codes[0].text.split("://", 1)[1].split("/", 1)[1]
    assert client_for(None).get("/" + path).status_code == 200


def test_the_verification_page_reads_in_english_too(pairing, personas, client_for):
    buy(pairing, 1, personas.manager_a)
    st = issue(pairing, personas.manager_a)
    c = client_for(None)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = c.get(f"/v/{st.code}").content.decode()
    assert "This certificate is genuine" in html and "¥39.90" in html


def test_the_certificate_counts_a_delivery_correction_like_the_report(pairing, personas):
    """Issue 14.3: the certificate's "reached" follows the household's corrected delivery credit."""
    from coop.services.intake import adjust_delivery
    from orders.services import impact

    f0 = pairing.farmers[0]
    adjust_delivery(f0.deliveries.get(), amount=Decimal("4.11"), reason="补记 3 枚", user=personas.manager_a,
                    key="fix-1")
    buy(pairing, 5, personas.manager_a)  # all of batch 1: households 0 and 1
    st = issue(pairing, personas.manager_a)
    assert st.figures["reached"] == "72.61"  # 41.10 + 4.11 + 27.40
    assert Decimal(st.figures["reached"]) == impact.programme_report(pairing.programme)["totals"]["reached"]
