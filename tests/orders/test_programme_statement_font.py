"""The statement PDF embeds the shipped Chinese font (issue 17 defect 6; fixed earlier, kept by this test):
parsed object by object, every font the pages use has a descriptor with an embedded TrueType program."""

import base64
import datetime
import re
import zlib

from django.utils import timezone

from orders.services import statements
from tests.factories import buy


def _objects(pdf):
    return {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)\s*endobj", pdf, flags=re.S)}


def _stream(body):
    length = int(re.search(rb"/Length (\d+)", body).group(1))
    start = re.search(rb"stream\r?\n", body).end()
    raw = body[start:start + length]
    if b"/ASCII85Decode" in body:
        raw = base64.a85decode(raw.strip().removesuffix(b"~>"), adobe=False)
    return zlib.decompress(raw) if b"/FlateDecode" in body else raw


def test_every_font_of_the_statement_is_embedded(pairing, personas):
    buy(pairing, 2, personas.manager_a)
    today = timezone.localdate()
    st = statements.issue_statement(programme=pairing.programme, organisation=pairing.org,
                                    start=today - datetime.timedelta(days=30), end=today, user=personas.manager_a)
    objects = _objects(statements.render_pdf(st))
    fonts = [b for b in objects.values() if re.search(rb"/Type\s*/Font\b", b) and b"/Subtype" in b]
    assert fonts
    embedded = 0
    for font in fonts:
        # A composite (Type0) font names its descendant; the descendant (or a simple font) its descriptor.
        # reportlab's page start names Helvetica, one of the 14 fonts every viewer has (and no Chinese).
        if b"/Type0" in font or re.search(rb"/BaseFont /(Helvetica|Times|Courier)", font):
            continue
        assert b"/BaseFont /STSong" not in font  # the built-in CID font is never embedded
        ref = re.search(rb"/FontDescriptor (\d+) 0 R", font)
        assert ref, font[:200]
        descriptor = objects[int(ref.group(1))]
        program = re.search(rb"/FontFile2 (\d+) 0 R", descriptor)
        assert program, descriptor[:200]
        data = _stream(objects[int(program.group(1))])
        assert data[:4] in (b"\x00\x01\x00\x00", b"true") and len(data) > 1000  # a TrueType program
        embedded += 1
    assert embedded >= 1
