"""A poster image (PNG) to post in WeChat Moments: photo, name, price and a QR code to the product.

Chinese text needs a CJK font. We look for one on the machine (Debian's fonts-wqy-microhei, Noto
CJK, or a path in POSTER_FONT) and do not ship one (several MB). Without it the poster still renders
with Pillow's built-in font and shows the price, the QR code and a Latin caption, so it never fails.
"""

import io
import os
from pathlib import Path

import qrcode
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import cache_control
from PIL import Image, ImageDraw, ImageFont

from orders.models import GroupBuy, Product

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
]
W, H = 750, 1100
GREEN = (47, 107, 60)


def cjk_font_path():
    for path in [os.environ.get("POSTER_FONT", "")] + FONT_CANDIDATES:
        if path and Path(path).exists():
            return path
    return None


def _font(size):
    path = cjk_font_path()
    if path:
        return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _photo(product):
    if product.photo:
        try:
            with product.photo.open("rb") as fh:
                img = Image.open(fh)
                img.load()
                return img.convert("RGB")
        except (OSError, ValueError):
            pass
    # No photo: a drawn green-shell egg on a hillside, so the poster is never empty.
    img = Image.new("RGB", (W, 560), (230, 242, 232))
    d = ImageDraw.Draw(img)
    d.polygon([(0, 560), (0, 380), (250, 300), (520, 360), (750, 290), (750, 560)], fill=(170, 205, 160))
    d.ellipse([265, 110, 485, 400], fill=(196, 222, 196), outline=(120, 160, 120), width=4)
    return img


def render_poster(*, title, price_text, caption, url, photo):
    img = Image.new("RGB", (W, H), "white")
    ph = photo.copy()
    ph.thumbnail((W, 560))
    img.paste(ph, ((W - ph.width) // 2, 0))
    d = ImageDraw.Draw(img)
    big, cjk = _font(44)
    mid, _cjk = _font(34)
    small, _cjk = _font(26)
    if cjk:
        d.text((40, 590), title, font=big, fill=(29, 37, 32))
        d.text((40, 650), caption, font=small, fill=(91, 102, 94))
        scan = "长按识别二维码购买"
    else:
        d.text((40, 590), "Greenshell eggs", font=big, fill=(29, 37, 32))
        scan = "Scan to buy"
    d.text((40, 720), price_text, font=big, fill=GREEN)
    qr = qrcode.QRCode(border=2, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    q = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB").resize((260, 260))
    img.paste(q, (W - 300, 800))
    d.text((40, 900), scan, font=mid, fill=(29, 37, 32))
    d.text((40, 960), url.replace("http://", "").replace("https://", "")[:40], font=small, fill=(91, 102, 94))
    d.rectangle([0, H - 24, W, H], fill=GREEN)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


@cache_control(max_age=300)
def product_poster(request, pk):
    product = get_object_or_404(Product.objects.select_related("cooperative"), pk=pk, active=True)
    url = settings.SITE_URL.rstrip("/") + f"/shop/p/{product.pk}/"
    png = render_poster(title=product.name, price_text=f"¥{product.price}", url=url, photo=_photo(product),
                        caption=f"{product.cooperative.name} · {product.pack_size}枚/盒")
    return HttpResponse(png, content_type="image/png")


@cache_control(max_age=300)
def groupbuy_poster(request, code):
    gb = get_object_or_404(GroupBuy.objects.select_related("product", "pickup_point"), code=code)
    url = settings.SITE_URL.rstrip("/") + f"/shop/g/{gb.code}"
    png = render_poster(title=gb.title, price_text=f"¥{gb.price}", url=url, photo=_photo(gb.product),
                        caption=f"接龙截止 {timezone.localtime(gb.deadline):%m-%d %H:%M} · 自提 {gb.pickup_point.name}")
    return HttpResponse(png, content_type="image/png")


def order_pickup_qr(request, number):
    """The buyer's pickup code as a QR, for the leader's phone to scan. Only the buyer sees it."""
    from django.http import Http404

    from orders.models import Order
    from orders.services.buyers import buyer_of

    buyer = buyer_of(request.user)
    order = Order.objects.filter(number=number, buyer=buyer).first() if buyer else None
    if order is None:
        raise Http404
    img = qrcode.make(order.pickup_code, border=2, box_size=8).get_image()
    buf = io.BytesIO()
    img.save(buf, "PNG")
    resp = HttpResponse(buf.getvalue(), content_type="image/png")
    resp["Cache-Control"] = "private, max-age=3600"
    return resp
