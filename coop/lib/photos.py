"""Cleaning a photo a person uploads (bad-egg reports, after-sale requests): a real picture, re-encoded.

Shared plumbing because two apps take buyers' photos: quality (bad-egg reports) and orders (after-sale
requests), and orders never imports quality. ``clean_photo`` raises ``PhotoError`` (a ``DomainError``);
each app turns it into its own error class so its pages keep one kind of refusal.
"""

import io
import secrets

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from coop.lib.errors import DomainError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Pixel budgets, checked from the file's header before anything is decoded (a 12 KB one-colour PNG can
# declare 6300×6300 and decode to 120 MB). A JPEG decodes at 1/2…1/8 scale (``draft``), so a 40-Mpx
# phone photo costs what a 10-Mpx one does; PNG and WebP decode at full size, so they get the budget
# of a phone screenshot (1440×3200 = 4.6 Mpx) with room to spare — 8 Mpx, at most 32 MB RGBA.
MAX_PHOTO_PIXELS = 40_000_000
MAX_FULL_DECODE_PIXELS = 8_000_000
SCALED_FORMATS = {"JPEG", "MPO"}
PHOTO_EDGE = 1600  # enough to see a blood spot; small enough for weak 3G
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: what some Android cameras save as .jpg


class PhotoError(DomainError):
    """An upload that is not a picture we take (too big, too many pixels, not JPEG/PNG/WebP, broken)."""

    def __init__(self, message, code="bad_photo", **kwargs):
        super().__init__(message, code, **kwargs)


def clean_photo(upload, *, max_bytes=None):
    """Check that ``upload`` is a real picture and return a re-encoded JPEG without any metadata.

    The phone's picture often carries EXIF with the GPS position of the customer's kitchen; we
    never store it. Re-encoding from pixels (into a fresh image) drops EXIF, XMP and comments.
    """
    if upload.size > (max_bytes or MAX_PHOTO_BYTES):
        raise PhotoError(_("照片太大（最大 5 MB）：%(name)s") % {"name": upload.name})
    try:
        upload.seek(0)
        probe = Image.open(upload)
        if probe.format not in PHOTO_FORMATS:
            raise PhotoError(_("只能上传 JPEG、PNG 或 WebP 照片：%(name)s") % {"name": upload.name})
        budget = MAX_PHOTO_PIXELS if probe.format in SCALED_FORMATS else MAX_FULL_DECODE_PIXELS
        if probe.width * probe.height > budget:
            raise PhotoError(_("照片像素太多（最多 %(n)s 万像素）：%(name)s")
                             % {"n": budget // 10_000, "name": upload.name})
        probe.verify()
        upload.seek(0)
        img = Image.open(upload)
        # JPEG can decode straight at 1/2, 1/4 or 1/8 scale: a 12-Mpx phone photo decodes at
        # 2000×1500 instead of 4000×3000, about three times faster (bench/charter.py).
        scale = min(1.0, PHOTO_EDGE / max(img.size))
        img.draft("RGB", (max(1, round(img.width * scale)), max(1, round(img.height * scale))))
        img.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(_("“%(name)s”不是有效的图片文件。") % {"name": upload.name}) from None
    img = ImageOps.exif_transpose(img)  # keep the picture upright once the orientation tag is gone
    img = img.convert("RGB")
    img.thumbnail((PHOTO_EDGE, PHOTO_EDGE))
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(6)}.jpg")
