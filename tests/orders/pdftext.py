"""Read the text back out of a reportlab PDF (ASCII85 + Flate streams, UCS-2 CID strings), so a test
can compare what is printed with what the verification page shows. Good enough for our own PDFs."""

import base64
import re
import zlib


def _unescape(raw):
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C:  # backslash
            nxt = raw[i + 1]
            if 0x30 <= nxt <= 0x37:
                j = i + 1
                while j < len(raw) and j < i + 4 and 0x30 <= raw[j] <= 0x37:
                    j += 1
                out.append(int(raw[i + 1:j], 8))
                i = j
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def pdf_text(data):
    lines = []
    # reportlab writes Flate streams, ASCII85-wrapped unless rl_config.useA85 was switched off.
    for m in re.finditer(rb"/Filter \[ (/ASCII85Decode )?/FlateDecode \][^>]*>>\s*stream\r?\n(.*?)endstream", data,
                         re.S):
        body = m.group(2)
        if m.group(1):
            body = body.strip()
            body = base64.a85decode(body[:-2] if body.endswith(b"~>") else body)
        try:
            content = zlib.decompress(body)
        except zlib.error:
            continue
        for s in re.finditer(rb"\(((?:[^()\\]|\\.)*)\) Tj", content, re.S):
            raw = _unescape(s.group(1))
            # Our PDFs set every string in the UCS-2 CID font (STSong-Light), so decode as UTF-16.
            try:
                text = raw.decode("utf-16-be")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            lines.append(text)
    return "\n".join(lines)


def draw_statements_readably(monkeypatch):
    """Have statement PDFs drawn in the built-in CID font, whose strings ``pdf_text`` reads back (the
    embedded TTF subset the real PDF carries re-encodes every glyph); the words drawn are the same."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    from orders.services import statements

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    monkeypatch.setattr(statements, "FONT", "STSong-Light")
