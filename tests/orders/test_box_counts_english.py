"""Counts of boxes are plural forms (issue 17 defect 6): the English pages said "1 boxes". The English
catalogue is compiled by `make messages` from locale/tools/*.json; these tests put this branch's plural
entries (locale/tools/en_hd.json) into the English catalogue themselves, so they check the pages ask for a
plural form and the dictionary gives the right one — and that fill_po writes both forms into the .po."""

import importlib.util
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import trans_real

from orders.services.orders import Item, place_order
from tests.factories import ADDRESS, make_group_buy

TOOLS = Path(settings.BASE_DIR) / "locale" / "tools"


@pytest.fixture
def english(monkeypatch):
    catalog = trans_real.translation("en")._catalog._catalogs[0]
    for msgid, forms in json.loads((TOOLS / "en_hd.json").read_text(encoding="utf-8")).items():
        if isinstance(forms, list):
            for k, text in enumerate(forms):
                monkeypatch.setitem(catalog, (msgid, k), text)

    def client_in_english(client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client
    return client_in_english


def test_one_box_left_is_singular(shop, client, english):
    place_order(buyer=shop.buyer, items=[Item(shop.product, 9)], address=ADDRESS)
    c = english(client)
    for path in ("/shop/", f"/shop/p/{shop.product.pk}/"):
        html = c.get(path).content.decode()
        assert "Only 1 box left" in html and "1 boxes" not in html, path


def test_a_chain_entry_of_one_box_is_singular(shop, personas, client, english):
    gb = make_group_buy(shop, personas.manager_a)
    place_order(buyer=shop.buyer, items=[Item(gb.product, 1)], group_buy=gb)
    html = english(client).get(f"/shop/g/{gb.code}").content.decode()
    assert "1 box" in html and "1 boxes" not in html
    assert "Only 7 boxes left" in html  # the plural still plural


def test_fill_po_writes_both_english_forms(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("fill_po", TOOLS / "fill_po.py")
    fill_po = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fill_po)
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n\n'
                  '#: templates/orders/home.html:16\n#, fuzzy, python-format\n#| msgid "仅剩 %(n)s 盒"\n'
                  'msgid "仅剩 %(left)s 盒"\nmsgid_plural "仅剩 %(left)s 盒"\nmsgstr[0] ""\nmsgstr[1] ""\n\n'
                  '#: orders/views/payments.py:18\nmsgid "已退款"\nmsgstr ""\n', encoding="utf-8")
    monkeypatch.setattr(fill_po, "PO", po)
    fill_po.main([TOOLS / "en_hd.json"])
    text = po.read_text(encoding="utf-8")
    assert 'msgstr[0] "Only %(left)s box left"\nmsgstr[1] "Only %(left)s boxes left"' in text
    assert "fuzzy" not in text and "#|" not in text
    assert 'msgid "已退款"\nmsgstr "Refunded"' in text
    assert "filled 2, still untranslated 0" in capsys.readouterr().out
