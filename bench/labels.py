"""Label PDF speed: a year's eggs of one batch (1,100 boxes of ten) and 1,100 serialised box labels.

Prints, for each, the time to make the whole PDF beside the time of the bare QR computation for
the same codes (and, as a baseline, the pure-Python `qrcode` encoder for the serialised codes).
Targets (issue #4): 1,100-label PDF < 1 s; 1,100 serialised box labels < 5 s.

    .venv/bin/python bench/labels.py
Runs on a throw-away SQLite database; nothing else is needed.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import sqlite_django, timed  # noqa: E402

TMP = sqlite_django("labels")
from django.core.management import call_command  # noqa: E402

N = 1100
RUNS = 3  # common.timed runs each step three times


def main():
    call_command("migrate", verbosity=0)
    from quality.services import labels as labels_qr
    from quality.services.labels import render_labels
    from quality.services.trace import issue_box_codes, label_url
    from tests.factories import make_batch, make_cooperative, make_delivery, make_farmer

    coop = make_cooperative(name="贺波洛乡高山绿壳蛋专业合作社", short_name="贺波洛绿壳蛋", producer_code="HBL")
    farmer = make_farmer(coop)
    batch = make_batch(coop, deliveries=[make_delivery(farmer, accepted={"L": N * 10})], pack_size=10, boxes=N,
                       code="HBL-20261128-01")
    issue_box_codes(batch.trace, N)
    boxes = list(batch.trace.boxes.order_by("serial"))
    urls = [label_url(batch, batch.trace, b) for b in boxes]
    batch_url = label_url(batch, batch.trace)
    bare = labels_qr._qr_matrix.__wrapped__  # the encoder without our memo

    print(f"labels bench: {N} labels, format a4-3x8, median of {RUNS} runs (min in brackets)")
    qr_one, _m, _r = timed(lambda: bare(batch_url, "M"))
    qr_same, _m2, _r = timed(lambda: [bare(batch_url, "M") for _i in range(N)])
    labels_qr._qr_matrix.cache_clear()
    pdf_t, pdf_min, pdf = timed(lambda: render_labels(batch, copies=N))
    print(f"  one batch, {N} identical labels: PDF {pdf_t:.3f} s ({pdf_min:.3f}) · {len(pdf) // 1024} KiB · "
          f"bare QR once {qr_one * 1000:.2f} ms, {N}× uncached {qr_same:.3f} s · target < 1 s: "
          f"{'OK' if pdf_t < 1 else 'MISSED'}")

    qr_all, _m3, _r = timed(lambda: [bare(u, "M") for u in urls])

    def serialised():
        labels_qr._qr_matrix.cache_clear()
        return render_labels(batch, copies=N, serialised=True)

    ser_t, ser_min, pdf2 = timed(serialised)
    print(f"  {N} serialised box labels (every QR different): PDF {ser_t:.3f} s ({ser_min:.3f}) · "
          f"{len(pdf2) // 1024} KiB · bare QR for the same {N} codes {qr_all:.3f} s · "
          f"drawing = {ser_t - qr_all:.3f} s · target < 5 s: {'OK' if ser_t < 5 else 'MISSED'}")
    # The same with a GTIN: every QR is a longer GS1 Digital Link (…/01/…/10/…/21/…?15=…).
    coop.gtin = "06901234567892"
    coop.save()
    batch.cooperative.gtin = coop.gtin
    dl_urls = [label_url(batch, batch.trace, b) for b in boxes]
    qr_dl, _m5, _r = timed(lambda: [bare(u, "M") for u in dl_urls])
    dl_t, dl_min, pdf3 = timed(serialised)
    print(f"  {N} serialised box labels with GS1 Digital Link QR: PDF {dl_t:.3f} s ({dl_min:.3f}) · "
          f"{len(pdf3) // 1024} KiB · bare QR {qr_dl:.3f} s · target < 5 s: {'OK' if dl_t < 5 else 'MISSED'}")
    try:
        import qrcode

        def pure_python():
            for u in urls[:100]:
                q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
                q.add_data(u)
                q.make(fit=True)

        py_t, _m4, _r = timed(pure_python, runs=1)
        print(f"  baseline: pure-Python qrcode for the same codes ≈ {py_t * N / 100:.2f} s "
              f"({py_t * 10:.2f} ms a code) vs zxing-cpp {qr_all / N * 1000:.2f} ms a code "
              f"→ ratio {py_t * N / 100 / qr_all:.0f}×")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
