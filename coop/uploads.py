"""Photo uploads made safe: a real image, not too big, re-encoded, without EXIF (no GPS, no phone model).

Farmers, inspectors and buyers upload photos of eggs from phones. A phone photo carries the
place it was taken (EXIF GPS: where a household lives), the phone's make and serial data, and is
often 3–6 MB, far too heavy for the 3G pages that show it. Every upload therefore goes through
:func:`clean_photo`, which

1. refuses empty and oversized files and anything Pillow cannot decode as JPEG/PNG/WebP/GIF
   (a renamed PDF, HTML or script is rejected, whatever its name or content type says);
2. refuses decompression bombs (a tiny file that claims billions of pixels);
3. turns the picture upright (EXIF orientation), shrinks it to ``max_side`` pixels, and
   re-encodes it from the pixels alone: EXIF, GPS, XMP, comments and any bytes appended
   after the image (polyglot files) do not survive;
4. gives it a new random file name (the user's file name can hold a name or a path).

Use it from a form (:class:`PhotoField`), a DRF serializer (:class:`PhotoSerializerField`), or
directly: ``model.photo = clean_photo(request.FILES["photo"])``.
"""

import io
import uuid
import warnings

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework import serializers

MAX_BYTES = 10 * 1024 * 1024  # a generous phone photo; the result is far smaller
MAX_SIDE = 1600  # pixels on the long side after re-encoding: sharp on a phone, ~200–400 KB
MAX_PIXELS = 50_000_000  # what the file may claim before decoding (50 MP: above any phone camera)
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}  # MPO: what some phones call their JPEGs
JPEG_QUALITY = 82

MESSAGES = {
    "empty": _("文件是空的，请重新选择照片。"),
    "too_large": _("照片太大了（最大 %(mb)d MB），请换一张或压缩后再传。"),
    "not_image": _("这不是一张能识别的照片，请上传 JPEG、PNG 或 WebP 格式的图片。"),
    "format": _("不支持这种图片格式（%(format)s），请上传 JPEG、PNG 或 WebP 格式的图片。"),
    "too_many_pixels": _("照片的像素太多了（最多 %(mp)d 百万像素），请换一张。"),
}


def clean_photo(upload, *, max_bytes=MAX_BYTES, max_side=MAX_SIDE, prefix="photo"):
    """Validate and re-encode an uploaded image; returns a new ``ContentFile`` (JPEG, or PNG if transparent).

    Raises ``django.core.exceptions.ValidationError`` with a clear Chinese message.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if not size:
        raise ValidationError(MESSAGES["empty"], code="empty")
    if size > max_bytes:
        raise ValidationError(MESSAGES["too_large"], code="too_large", params={"mb": max_bytes // (1024 * 1024)})

    image = _open_checked(upload)
    try:
        image = ImageOps.exif_transpose(image)  # upright first: the orientation tag is about to go
    except Exception:  # a broken EXIF block must not stop an otherwise good photo
        pass
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    out = io.BytesIO()
    if _has_transparency(image):
        image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image = image.convert("RGB")
        # No exif=, no icc_profile=, no comment=: only the pixels are written.
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{prefix}-{uuid.uuid4().hex[:16]}.{extension}")


def _open_checked(upload):
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(upload)
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(MESSAGES["format"], code="format", params={"format": probe.format})
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(MESSAGES["too_many_pixels"], code="too_many_pixels",
                                      params={"mp": MAX_PIXELS // 1_000_000})
            probe.verify()  # structure check (truncated or corrupt files fail here)
            upload.seek(0)
            image = Image.open(upload)
            image.load()  # decode every pixel now, inside the size limits checked above
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(MESSAGES["too_many_pixels"], code="too_many_pixels",
                              params={"mp": MAX_PIXELS // 1_000_000})
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(MESSAGES["not_image"], code="not_image")
    finally:
        upload.seek(0)
    return image


def _has_transparency(image):
    if image.mode in ("RGBA", "LA"):
        return image.getextrema()[-1][0] < 255
    return image.mode == "P" and "transparency" in image.info


class PhotoField(forms.FileField):
    """A form field whose cleaned value is the safe, re-encoded photo (see :func:`clean_photo`)."""

    def __init__(self, *args, max_bytes=MAX_BYTES, max_side=MAX_SIDE, prefix="photo", **kwargs):
        self.max_bytes, self.max_side, self.prefix = max_bytes, max_side, prefix
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return clean_photo(upload, max_bytes=self.max_bytes, max_side=self.max_side, prefix=self.prefix)


class PhotoSerializerField(serializers.FileField):
    """The DRF counterpart of :class:`PhotoField`."""

    def __init__(self, *args, max_bytes=MAX_BYTES, max_side=MAX_SIDE, prefix="photo", **kwargs):
        self.max_bytes, self.max_side, self.prefix = max_bytes, max_side, prefix
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        try:
            return clean_photo(upload, max_bytes=self.max_bytes, max_side=self.max_side, prefix=self.prefix)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code)
