"""Images are checked before they are decoded (issue 15, item 5).

Three 12 KB one-colour 6300×6300 PNGs (39.7 Mpx each, under the old 40 Mpx budget) were decoded in
full; a client already over its rate limit still had its photos decoded. Now the rate limit is counted
first, and the pixel count is read from the header (Pillow's lazy ``open``) against a budget for the
format: PNG/WebP decode at full size, JPEG at a fraction (``draft``).
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from quality.models import BadEggReport, CharterError
from quality.services import reports
from quality.services.reports import clean_photo

pytestmark = pytest.mark.django_db


def _flat(fmt, size, name="bomb.png"):
    out = io.BytesIO()
    Image.new("L", size, 200).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image's pixels are decoded."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_it_refuses_a_flat_6300_square_image_from_its_header(fmt, no_decoding):
    bomb = _flat(fmt, (6300, 6300))
    assert bomb.size < 200_000  # a tiny file…
    with pytest.raises(CharterError, match="像素太多"):  # …refused without decoding its 40 Mpx
        clean_photo(bomb)


def test_it_still_takes_a_phone_screenshot_and_a_big_phone_jpeg():
    assert clean_photo(_flat("PNG", (1440, 3200))).size > 0
    photo = clean_photo(_flat("JPEG", (6000, 4000), name="IMG_1.jpg"))  # 24 Mpx, decoded at 1/2 scale
    assert max(Image.open(photo).size) == 1600


def test_a_client_over_its_limit_has_no_photo_decoded(client_for, farmer_a_batch, settings, monkeypatch):
    settings.CHARTER_REPORT_LIMITS = (1, 100, 3600)
    decoded = []
    real = reports.clean_photo
    monkeypatch.setattr(reports, "clean_photo", lambda upload: decoded.append(upload.name) or real(upload))
    c = client_for(None)

    def post(defect):
        photo = _flat("JPEG", (400, 300), name=f"{defect}.jpg")
        return c.post(f"/t/{farmer_a_batch.code}/report/", {"eggs": 1, "defect": defect, "photos": [photo]})

    assert post("rotten").status_code == 302
    assert decoded == ["rotten.jpg"]
    response = post("cracked")
    assert response.status_code == 429 and "太频繁" in response.content.decode()
    assert decoded == ["rotten.jpg"]  # the refused request's photo was never opened
    assert BadEggReport.objects.count() == 1
