"""Fixtures for the charter: a charter with an escalation ladder and a batch from two households."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from quality.models import ANY_DEFECT, Charter, Clause
from tests.factories import make_batch, make_delivery, make_farmer


def make_charter(coop, *, version=1, effective_from=None, fine_per_egg="2.00", window=7, notice_days=30, **kw):
    effective_from = effective_from or timezone.localdate() - datetime.timedelta(days=100)
    charter = Charter.objects.create(
        cooperative=coop, version=version, text="第一条 交蛋须新鲜干净……", adopted_on=effective_from,
        effective_from=effective_from, assembly_attendance=28, votes_for=26, votes_against=1, votes_abstain=1,
        appeal_window_days=window, notice_days=notice_days, **kw)
    per_egg = Decimal(fine_per_egg)
    Clause.objects.create(charter=charter, number="第五条", defect=ANY_DEFECT, from_offence=1,
                          text="初次交坏蛋的，警告。", warning=True)
    Clause.objects.create(charter=charter, number="第六条", defect=ANY_DEFECT, from_offence=2,
                          text="第二次的，每枚坏蛋罚款。", fine_per_egg=per_egg)
    Clause.objects.create(charter=charter, number="第七条", defect=ANY_DEFECT, from_offence=3,
                          text="第三次的，加倍罚款并张榜公示。", fine_per_egg=per_egg * 2, public_notice=True)
    Clause.objects.create(charter=charter, number="第八条", defect=ANY_DEFECT, from_offence=4,
                          text="第四次及以上的，暂停收购十五天。", fine_per_egg=per_egg * 2, suspension_days=15,
                          public_notice=True)
    return charter


@pytest.fixture
def charter(personas):
    return make_charter(personas.coop_a)


@pytest.fixture
def two_household_batch(personas):
    """A batch of 30 eggs: 20 from farmer_a (吉克拉哈), 10 from another household of coop A."""
    other = make_farmer(personas.coop_a, personas.village_a, head_name="阿苏木呷")
    d1 = make_delivery(personas.farmer_a, accepted={"L": 20})
    d2 = make_delivery(other, accepted={"L": 10})
    batch = make_batch(personas.coop_a, deliveries=[d1, d2], pack_size=10, boxes=3)
    batch.other_farmer = other
    return batch


@pytest.fixture
def farmer_a_batch(personas):
    d = make_delivery(personas.farmer_a, accepted={"L": 30})
    return make_batch(personas.coop_a, deliveries=[d], pack_size=10, boxes=3)


def jpeg_with_gps(size=(64, 48)):
    """A real JPEG carrying EXIF with a GPS position (what a phone camera writes)."""
    img = Image.new("RGB", size, (120, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (28.0, 19.0, 12.0)
    gps[3] = "E"
    gps[4] = (102.0, 25.0, 30.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def photo_upload(name="egg.jpg", content=None):
    return SimpleUploadedFile(name, content if content is not None else jpeg_with_gps(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _media_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def confirm(report, user, **kw):
    from quality.services.reports import confirm_report

    return confirm_report(report, user=user, **kw)


def report_on(batch, eggs=2, defect="rotten", **kw):
    from quality.services.reports import submit_report

    kw.setdefault("rate_limited", False)
    report, _merged = submit_report(batch=batch, eggs=eggs, defect=defect, **kw)
    return report


def close_window(penalty):
    """Move the appeal deadline into the past, as if the days had gone by."""
    from quality.models import Penalty

    Penalty.objects.filter(pk=penalty.pk).update(appeal_deadline=timezone.now() - datetime.timedelta(seconds=1))
    penalty.refresh_from_db()
