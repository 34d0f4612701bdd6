"""Labels for the thermal printers villages own: a TSPL file (Gprinter/Xprinter class) and a ZPL file (Zebra
class) per batch, parsed back here and checked against each language's command set."""

import re

import pytest
from PIL import Image

from quality.services.labels import QUIET_MODULES, qr_matrix
from quality.services.printers import DOTS_PER_MM, text_width
from quality.services.trace import label_url
from tests.factories import make_batch, make_delivery, make_farmer, make_village

pytestmark = pytest.mark.django_db

W, H = 60 * DOTS_PER_MM, 40 * DOTS_PER_MM

# TSPL commands this file may use, and how many arguments each takes.
TSPL_ARITY = {"SIZE": 2, "GAP": 2, "DIRECTION": 1, "REFERENCE": 2, "CLS": 0, "TEXT": 7, "QRCODE": 7, "PRINT": 2}


def tspl_args(rest):
    """Split a TSPL argument list on commas outside strings; a string's \\["] is a double quote."""
    args, i = [], 0
    while i < len(rest):
        if rest[i] == '"':
            j, value = i + 1, ""
            while rest[j] != '"':
                if rest.startswith('\\["]', j):
                    value, j = value + '"', j + 4
                else:
                    value, j = value + rest[j], j + 1
            args.append(value)
            i = j + 1
        else:
            j = rest.find(",", i)
            j = len(rest) if j < 0 else j
            args.append(rest[i:j].strip())
            i = j
        if i < len(rest):
            assert rest[i] == ",", rest
            i += 1
    return args


def parse_tspl(body):
    """[(command, [args])] of a TSPL program; fails on anything outside the command set."""
    text = body.decode("gbk")  # the printer's Chinese fonts are GB2312: the file must be GBK
    assert text.endswith("\r\n")
    program = []
    for line in text.split("\r\n")[:-1]:
        command, _sp, rest = line.partition(" ")
        assert command in TSPL_ARITY, line
        args = tspl_args(rest) if rest else []
        assert len(args) == TSPL_ARITY[command], line
        program.append((command, args))
    return program


def labels_of(program):
    """Each label of the program: its TEXT and QRCODE commands and its PRINT count."""
    labels, current = [], None
    for command, args in program:
        if command == "CLS":
            current = {"text": [], "qr": []}
        elif command == "TEXT":
            current["text"].append(args)
        elif command == "QRCODE":
            current["qr"].append(args)
        elif command == "PRINT":
            labels.append((current, int(args[0])))
            current = None
    assert current is None, "a label was drawn but never printed"
    return labels


@pytest.fixture
def three_village_batch(personas):
    coop = personas.coop_a
    villages = [personas.village_a, make_village(coop, name="拉一村", altitude_m=2600),
                make_village(coop, name="瓦尔村", altitude_m=2100)]
    deliveries = [make_delivery(make_farmer(coop, v), accepted={"L": 10}) for v in villages]
    return make_batch(coop, deliveries=deliveries, pack_size=10, boxes=3, code="HBLA-20261127-21")


def assert_quiet_zone(qr_x, qr_y, cell, url, boxes):
    """At least 4 modules of white between the code and the label's margin and every text box."""
    n = len(qr_matrix(url))
    quiet = QUIET_MODULES * cell
    assert qr_x >= quiet and qr_y >= quiet
    zone = (qr_x - quiet, qr_y - quiet, qr_x + n * cell + quiet, qr_y + n * cell + quiet)
    assert zone[2] <= W and zone[3] <= H
    for x0, y0, x1, y1 in boxes:
        assert x1 <= zone[0] or x0 >= zone[2] or y1 <= zone[1] or y0 >= zone[3], ((x0, y0, x1, y1), zone)


def test_it_writes_a_tspl_file_the_printer_understands(personas, client_for, three_village_batch, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    batch = three_village_batch
    resp = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/labels.tspl", {"copies": "24"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/octet-stream"
    assert "attachment" in resp["Content-Disposition"] and ".tspl" in resp["Content-Disposition"]
    program = parse_tspl(resp.content)
    assert program[:4] == [("SIZE", ["60 mm", "40 mm"]), ("GAP", ["2 mm", "0 mm"]), ("DIRECTION", ["1"]),
                           ("REFERENCE", ["0", "0"])]
    [(label, count)] = labels_of(program)
    assert count == 24
    [qr] = label["qr"]
    x, y, ecc, cell, mode, rotation, data = qr
    assert data == label_url(batch, batch.trace) == f"https://eggs.example.cn/t/{batch.trace.code}"
    assert ecc == "M" and mode == "A" and rotation == "0" and 3 <= int(cell) <= 10
    words = "".join(t[6] for t in label["text"])
    for expected in ("保质期至", "批次 HBLA-20261127-21", f"溯源码 {batch.trace.code}"):
        assert expected in words
    # Exactly the three villages whose eggs are in the batch, highest first.
    assert "拉一村、尔吉村、瓦尔村 · 海拔2600米" in words
    boxes = []
    for tx, ty, font, rot, xm, ym, content in label["text"]:
        assert font in ("TSS24.BF2", "TSS16.BF2") and rot == "0" and (xm, ym) == ("1", "1")
        size = int(font[3:5])
        boxes.append((int(tx), int(ty), int(tx) + text_width(content, size), int(ty) + size))
        assert int(tx) + text_width(content, size) <= W and int(ty) + size <= H  # nothing off the label
    assert_quiet_zone(int(x), int(y), int(cell), data, boxes)


def test_box_labels_in_tspl_carry_each_box_code(personas, client_for, three_village_batch, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    batch = three_village_batch
    resp = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/labels.tspl", {"boxes": "1"})
    labels = labels_of(parse_tspl(resp.content))
    boxes = list(batch.trace.boxes.order_by("serial"))
    assert len(labels) == len(boxes) == 3
    for (label, count), box in zip(labels, boxes, strict=True):
        assert count == 1 and label["qr"][0][6] == label_url(batch, batch.trace, box)
        assert f"第 {box.serial} 盒 · {box.code}" in [t[6] for t in label["text"]]


ZPL_FORMAT = re.compile(r"\^XA\n(?P<body>.*?)\n\^XZ", re.S)


def zpl_graphic(hexdata, total, row):
    data = bytes.fromhex(hexdata)
    assert len(data) == total and total % row == 0
    return Image.frombytes("1", (row * 8, total // row), data)  # set bits are printed black


def test_it_writes_a_zpl_file_with_a_native_qr_code(personas, client_for, three_village_batch, settings):
    settings.SITE_URL = "https://eggs.example.cn"
    batch = three_village_batch
    resp = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/labels.zpl", {"copies": "5"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/octet-stream"
    text = resp.content.decode("ascii")
    stored = {m["name"]: zpl_graphic(m["hex"], int(m["total"]), int(m["row"]))
              for m in re.finditer(r"~DG(?P<name>R:\w+\.GRF),(?P<total>\d+),(?P<row>\d+),(?P<hex>[0-9A-F]+)\n", text)}
    formats = [m["body"] for m in ZPL_FORMAT.finditer(text)]
    assert text.count("^XA") == text.count("^XZ") == len(formats) == 1 and len(stored) == 1
    body = formats[0]
    assert "^PW480^LL320" in body and "^PQ5" in body
    [name] = re.findall(r"\^XG(R:\w+\.GRF),1,1\^FS", body)
    assert name in stored
    [(x, y, cell, data)] = re.findall(r"\^FO(\d+),(\d+)\^BQN,2,(\d+)\^FDMA,([^^]*)\^FS", body)
    assert data == label_url(batch, batch.trace)
    x, y, cell = int(x), int(y), int(cell)
    # The text graphic prints something, and nothing of it inside the code's quiet zone.
    graphic = stored[name]
    assert graphic.size[0] >= W and graphic.size[1] == H
    inked = graphic.convert("L")  # PIL shows a set bit as 255: here, ink
    assert inked.getbbox() is not None
    n = len(qr_matrix(data))
    quiet = QUIET_MODULES * cell
    assert x >= quiet and y >= quiet
    assert inked.crop((x - quiet, y - quiet, x + (n + QUIET_MODULES) * cell, y + (n + QUIET_MODULES) * cell)
                      ).getbbox() is None


def test_zpl_box_labels_send_the_shared_graphic_once(personas, client_for, three_village_batch):
    batch = three_village_batch
    text = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/labels.zpl", {"boxes": "1"}
                                              ).content.decode("ascii")
    boxes = list(batch.trace.boxes.order_by("serial"))
    formats = [m["body"] for m in ZPL_FORMAT.finditer(text)]
    assert len(formats) == len(boxes) == 3 and text.count("~DG") == 1
    for body, box in zip(formats, boxes, strict=True):
        assert f"^FDMA,{label_url(batch, batch.trace, box)}^FS" in body and "^PQ1" in body
        assert "^GFA," in body  # the caption "第 n 盒 · code", drawn


def test_bad_printer_requests_are_refused_in_words(personas, client_for, three_village_batch):
    batch = three_village_batch
    c = client_for(personas.manager_a)
    resp = c.get(f"/trace/batches/{batch.pk}/labels.tspl", {"copies": "abc"})
    assert resp.status_code == 400 and "应为整数" in resp.content.decode()
    resp = c.get(f"/trace/batches/{batch.pk}/labels.zpl", {"boxes": "1", "copies": "99"})
    assert resp.status_code == 400 and "只有 3 个盒码" in resp.content.decode()
    assert client_for(personas.manager_b).get(f"/trace/batches/{batch.pk}/labels.tspl").status_code == 404


def test_the_printer_files_are_linked_next_to_the_label_formats(personas, client_for, three_village_batch):
    batch = three_village_batch
    page = client_for(personas.manager_a).get(f"/admin/quality/tracecode/{batch.trace.pk}/change/")
    html = page.content.decode()
    assert f"/trace/batches/{batch.pk}/labels.pdf?format=thermal-60x40" in html
    for link in ("labels.tspl", "labels.zpl", "labels.tspl?boxes=1", "labels.zpl?boxes=1"):
        assert f"/trace/batches/{batch.pk}/{link}" in html
