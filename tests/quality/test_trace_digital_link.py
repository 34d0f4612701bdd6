"""GS1 Digital Link URLs resolve to the same scan page; malformed ones answer 400."""

import pytest

from quality.services.trace import issue_box_codes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
GTIN = "06901234567892"


@pytest.fixture
def batch(personas):
    personas.coop_a.gtin = GTIN
    personas.coop_a.save()
    return make_batch(personas.coop_a, code="HBLA-20261127-04")


def test_a_digital_link_opens_the_batch_page(batch, client):
    r = client.get(f"/01/{GTIN}/10/HBLA-20261127-04?15={batch.best_before:%y%m%d}")
    assert r.status_code == 200 and "HBLA-20261127-04" in r.content.decode()


def test_a_digital_link_with_a_serial_opens_the_box(batch, client):
    issue_box_codes(batch.trace, 3)
    box = batch.trace.boxes.get(serial=2)
    r = client.get(f"/01/{GTIN}/10/HBLA-20261127-04/21/{box.code}")
    assert r.status_code == 200 and "第 2 盒" in r.content.decode()
    assert client.get(f"/01/{GTIN}/10/HBLA-20261127-04/21/NOTABOX").status_code == 404


@pytest.mark.parametrize("path", [
    "/01/0690123456789/10/HBLA-20261127-04",          # 13 digits
    "/01/06901234567891/10/HBLA-20261127-04",         # wrong check digit
    "/01/06901234567892/10/",                         # empty lot
    "/01/06901234567892/10/HBLA-20261127-04?15=261399",  # not a date
    "/01/06901234567892/10/HBLA-20261127-04?15=2612",    # not YYMMDD
    "/01/06901234567892",                             # no lot at all
])
def test_a_malformed_digital_link_is_400(batch, client, path):
    r = client.get(path)
    assert r.status_code == 400
    assert "链接格式不正确" in r.content.decode()


def test_an_unknown_lot_or_another_gtin_is_404(batch, client):
    assert client.get(f"/01/{GTIN}/10/NOPE-1").status_code == 404
    assert client.get("/01/00012345678905/10/HBLA-20261127-04").status_code == 404


def test_head_works_on_digital_links(batch, client):
    assert client.head(f"/01/{GTIN}/10/HBLA-20261127-04").status_code == 200
