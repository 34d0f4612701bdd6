"""The lookup box finds what people type or paste (issue 17 defect 6): full-width characters, a pasted link
(short or GS1 Digital Link) and the batch number printed on the label all open the label's scan page."""

import pytest

from quality.services.trace import issue_box_codes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db
GTIN = "06901234567892"


@pytest.fixture
def batch(personas):
    return make_batch(personas.coop_a, code="HBLA-20261127-07")


def _full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _lookup(client, typed):
    return client.get("/lookup/", {"code": typed})


def test_full_width_letters_and_digits_are_the_code(batch, client):
    code = batch.trace.code
    r = _lookup(client, _full_width(code))
    assert r.status_code == 302 and r["Location"] == f"/t/{code}"
    assert _lookup(client, " " + _full_width(code.lower()) + "　")["Location"] == f"/t/{code}"


@pytest.mark.parametrize("pasted", ["https://eggs.example.cn/t/{code}/", "https://eggs.example.cn/t/{code}",
                                    "看看这盒蛋：http://eggs.example.cn/t/{code}?from=groupmessage"])
def test_a_pasted_short_link_is_its_code(batch, client, pasted):
    code = batch.trace.code
    assert _lookup(client, pasted.format(code=code))["Location"] == f"/t/{code}"


def test_a_pasted_digital_link_opens_the_box(batch, client, personas):
    personas.coop_a.gtin = GTIN
    personas.coop_a.save()
    issue_box_codes(batch.trace, 2)
    box = batch.trace.boxes.get(serial=2)
    url = f"https://eggs.example.cn/01/{GTIN}/10/HBLA-20261127-07/21/{box.code}?15={batch.best_before:%y%m%d}"
    assert _lookup(client, url)["Location"] == f"/t/{box.code}"
    assert _lookup(client, f"https://eggs.example.cn/01/{GTIN}/10/HBLA-20261127-07")["Location"] == \
        f"/t/{batch.trace.code}"


@pytest.mark.parametrize("typed", ["HBLA-20261127-07", "hbla-20261127-07", "ＨＢＬＡ－２０２６１１２７－０７"])
def test_the_batch_number_on_the_label_opens_that_batch(batch, client, typed):
    r = _lookup(client, typed)
    assert r.status_code == 302 and r["Location"] == f"/t/{batch.trace.code}"
    assert client.get(r["Location"]).status_code == 200


def test_the_batch_number_in_the_short_link_opens_that_batch(batch, client):
    r = client.get("/t/HBLA-20261127-07")
    assert r.status_code == 302 and r["Location"] == f"/t/{batch.trace.code}"


def test_what_is_not_a_code_is_still_not_found(batch, client):
    r = _lookup(client, "HBLA-99999999-99")
    assert client.get(r["Location"]).status_code == 404
    # An unknown pasted link: the not-found page names the code in it, not the whole address.
    assert _lookup(client, "https://eggs.example.cn/t/ABCDEFGHJK/")["Location"] == "/t/ABCDEFGHJK"
