"""Uploaded photos (the bad-egg report's cleaner, the only one production uses): GPS and phone data
stripped, upright, small, and only real images accepted."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from quality.models import CharterError
from quality.services.reports import clean_photo

GPS = ExifTags.IFD.GPSInfo


def phone_photo(width=2400, height=1200, orientation=None, gps=True, fmt="JPEG", extra=b""):
    image = Image.new("RGB", (width, height), (90, 140, 60))
    image.paste((250, 250, 240), (0, 0, width // 4, height // 4))  # a mark to find the top-left corner
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "Mate 60 Pro"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:  # 尔吉村, 2350 m
        exif[GPS] = {1: "N", 2: (28.0, 17.0, 12.5), 3: "E", 4: (102.0, 30.0, 41.0), 6: 2350.0}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return SimpleUploadedFile("IMG_20261128_尔吉村.jpg", out.getvalue() + extra, content_type="image/jpeg")


def test_it_strips_gps_and_phone_details_from_a_photo():
    upload = phone_photo()
    assert Image.open(upload).getexif().get_ifd(GPS)  # the original tells where the household lives
    upload.seek(0)

    data = clean_photo(upload).read()
    result = Image.open(io.BytesIO(data))
    exif = result.getexif()
    assert exif.get_ifd(GPS) == {} and ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    assert b"HUAWEI" not in data and b"Mate 60" not in data
    assert result.format == "JPEG"


def test_it_turns_the_photo_upright_and_shrinks_it_for_weak_signal():
    cleaned = clean_photo(phone_photo(2400, 1200, orientation=6))  # phone held sideways
    result = Image.open(cleaned)
    assert result.size == (800, 1600)  # rotated, long side 1600
    assert result.getpixel((result.width - 10, 10))[0] > 200  # the mark moved to the top-right corner
    assert cleaned.size < 400_000


def test_it_gives_the_file_a_new_random_name():
    first, second = clean_photo(phone_photo(gps=False)), clean_photo(phone_photo(gps=False))
    assert first.name.endswith(".jpg")
    assert first.name != second.name and "尔吉村" not in first.name


def test_bytes_hidden_after_the_image_do_not_survive():
    cleaned = clean_photo(phone_photo(gps=False, extra=b"<script>alert(1)</script>"))
    assert b"<script>" not in cleaned.read()



@pytest.mark.parametrize("content", [
    b"",
    b"%PDF-1.4 this is a payslip, not a photo",
    b"<html><script>alert(1)</script></html>",
    b"\xff\xd8\xff\xe0" + b"\0" * 100,  # a JPEG header and nothing else
])
def test_anything_that_is_not_a_real_image_is_refused_with_a_clear_message(content):
    with pytest.raises(CharterError, match="“egg.jpg”不是有效的图片文件"):
        clean_photo(SimpleUploadedFile("egg.jpg", content, content_type="image/jpeg"))


def test_an_oversized_file_is_refused_before_it_is_decoded():
    with pytest.raises(CharterError, match="照片太大"):
        clean_photo(SimpleUploadedFile("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1)))


def test_a_decompression_bomb_is_refused():
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, format="PNG")  # ~20 KB on disk, 144 million pixels
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(CharterError, match="像素太多"):
        clean_photo(SimpleUploadedFile("bomb.png", bomb.getvalue()))


def test_an_unsupported_format_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    with pytest.raises(CharterError, match="只能上传 JPEG、PNG 或 WebP 照片"):
        clean_photo(SimpleUploadedFile("x.bmp", out.getvalue()))
