"""Charter speed: (1) cleaning a phone photo for a bad-egg report, (2) the periodic sweep that
applies penalties whose appeal window has closed.

1. A 12-megapixel camera JPEG (4000×3000, EXIF with GPS) through ``clean_photo`` (check, orient,
   shrink to 1600 px, re-encode without metadata) beside the baseline of decoding it once at full
   size (what merely storing-and-showing the upload would cost). Target: under 1 s a photo.
2. ``apply_due_penalties`` with 300 due penalties (each: compare-and-set, ledger fine, notification,
   audit) beside the baseline of the same sweep with nothing due (what the 10-minute beat costs when
   idle). Target: 300 penalties well under the 10-minute beat interval.

    .venv/bin/python bench/charter.py
Runs on a throw-away SQLite database; nothing else is needed.
"""

import datetime
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import sqlite_django, timed  # noqa: E402

TMP = sqlite_django("charter", LOG_LEVEL="WARNING")
from django.core.management import call_command  # noqa: E402

PENALTIES = 300
RUNS = 5


def median_time(fn):
    return timed(fn, RUNS)[0]


def camera_jpeg():
    from PIL import Image

    img = Image.effect_noise((4000, 3000), 40).convert("RGB")  # noise: a worst case for JPEG size
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (28.0, 19.0, 12.0), "E", (102.0, 25.0, 30.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


def bench_photo():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from quality.services import reports

    reports.MAX_PHOTO_BYTES = 50 * 1024 * 1024  # the noise picture is bigger than a real photo
    data = camera_jpeg()

    def decode_only():
        Image.open(io.BytesIO(data)).load()

    def clean():
        reports.clean_photo(SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"))

    base, full = median_time(decode_only), median_time(clean)
    out = reports.clean_photo(SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")).read()
    print(f"photo 4000×3000 ({len(data) / 1e6:.1f} MB): baseline full decode {base * 1000:.0f} ms | "
          f"clean_photo {full * 1000:.0f} ms → {len(out) / 1e3:.0f} kB JPEG without EXIF | "
          f"ratio {full / base:.2f}×")
    return full


def bench_sweep():
    from django.utils import timezone

    from quality.models import Penalty
    from quality.services import penalties
    from quality.services.reports import confirm_report, submit_report
    from tests.factories import make_batch, make_charter, make_cooperative, make_delivery, make_farmer, make_staff

    call_command("migrate", verbosity=0)
    coop = make_cooperative(producer_code="HBL")
    make_charter(coop)
    manager = make_staff(coop, "manager", "bench-manager")
    farmers = [make_farmer(coop) for _i in range(PENALTIES // 3)]
    batches = [make_batch(coop, deliveries=[make_delivery(f, accepted={"L": 30})]) for f in farmers]
    for _round in range(3):  # each household: warning, fine, doubled fine with notice
        for batch in batches:
            report, _m = submit_report(batch=batch, eggs=2, defect="rotten", rate_limited=False)
            confirm_report(report, user=manager)
    idle = median_time(penalties.apply_due_penalties)
    Penalty.objects.filter(status=Penalty.NOTIFIED).update(appeal_deadline=timezone.now() - datetime.timedelta(1))
    t = time.perf_counter()
    applied = penalties.apply_due_penalties()
    busy = time.perf_counter() - t
    again = penalties.apply_due_penalties()
    print(f"sweep: nothing due {idle * 1000:.1f} ms | {applied} due penalties applied in {busy:.2f} s "
          f"({busy / applied * 1000:.1f} ms each) | second run applied {again} | ratio {busy / idle:.0f}×")


if __name__ == "__main__":
    bench_photo()
    bench_sweep()
