"""Product photos: a manager's upload cleaned like a report photo, its thumbnails made once, here.

Every page reads the stored files and their stored sizes; nothing is resized on a page view, so a
shop list of 50 products costs no Pillow work and the thumbnails are cached by the browser and CDN.
"""

import io
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from PIL import Image

from coop.lib import tenancy
from coop.lib.errors import DomainError
from coop.lib.locking import lock_keys
from coop.lib.photos import PhotoError, clean_photo
from orders.models import Product, ProductPhoto

MAX_PRODUCT_PHOTOS = 6
# 320 px: the list's 96-px thumbnail on a 3× phone and the product page on a 1× one; 720 px: the product
# page (≈ 330 CSS px wide on a 360-px phone) on a 2× phone. JPEG, not WebP: WeChat on iOS before 14 (still
# in use in the villages' hand-me-down phones) shows no WebP, and a srcset cannot fall back by format.
THUMB_EDGES = {"thumb_small": 320, "thumb_large": 720}
THUMB_QUALITY = 72


class CatalogError(DomainError):
    """A product photo refused: not the manager's product, too many photos, or not a picture we take."""

    def __init__(self, message, code="bad_product_photo", **kwargs):
        super().__init__(message, code, **kwargs)


def managed_products(user):
    """Products of the cooperatives where ``user`` is a manager (all for a superuser)."""
    return tenancy.scope(Product.objects.all(), user, roles=(tenancy.Staff.MANAGER,))


def _thumbnail(clean_bytes, edge):
    img = Image.open(io.BytesIO(clean_bytes))  # our own re-encoded JPEG: no EXIF, at most 1600 px
    img.thumbnail((edge, edge))  # never enlarges a small photo
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def photo_files(upload):
    """``{field: ContentFile}`` for a ProductPhoto: the cleaned picture and its thumbnails.
    ``PhotoError`` (in Chinese) for anything that is not a picture we take — raised from the header,
    before a single pixel is decoded, for a file that declares too many pixels."""
    clean = clean_photo(upload)
    data = clean.read()
    stem = secrets.token_hex(6)
    files = {"image": ContentFile(data, name=f"{stem}.jpg")}
    for field, edge in THUMB_EDGES.items():
        files[field] = ContentFile(_thumbnail(data, edge), name=f"{stem}-{edge}.jpg")
    return files


def add_product_photo(product, upload, *, user):
    """Add a cleaned photo to ``product`` for ``user``, who must manage its cooperative."""
    if not managed_products(user).filter(pk=product.pk).exists():
        raise CatalogError(_("只能给本合作社的商品上传照片。"), "not_your_product", status=403)
    try:
        files = photo_files(upload)  # the slow part, outside the lock and the transaction
    except PhotoError as exc:
        raise CatalogError(exc.message, exc.code) from None
    with transaction.atomic():
        lock_keys(f"product-photos:{product.pk}")
        # Counted under the lock, so two uploads at once cannot pass the limit together.
        taken = ProductPhoto.objects.filter(product=product).aggregate(n=Max("position"), count=Count("id"))
        if taken["count"] >= MAX_PRODUCT_PHOTOS:
            raise CatalogError(_("每个商品最多 %(n)s 张照片，请先删掉一张。") % {"n": MAX_PRODUCT_PHOTOS},
                               "too_many_photos")
        photo = ProductPhoto(product=product, position=(taken["n"] or 0) + 1, uploaded_by=user)
        for field, content in files.items():
            getattr(photo, field).save(content.name, content, save=False)
        photo.save()
    return photo


def delete_product_photo(photo, *, user):
    """Remove a photo (and its files) of a product ``user`` manages."""
    if not managed_products(user).filter(pk=photo.product_id).exists():
        raise CatalogError(_("只能删除本合作社商品的照片。"), "not_your_product", status=403)
    files = [photo.image, photo.thumb_small, photo.thumb_large]
    with transaction.atomic():
        photo.delete()
        # Files go once the row is gone for good: a rolled-back delete keeps its pictures.
        for f in files:
            transaction.on_commit(lambda f=f: f.storage.delete(f.name))
