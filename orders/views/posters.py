"""Poster and pickup-QR images of the shop."""

import io

import qrcode
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import cache_control

from orders.models import GroupBuy, Order, Product
from orders.services.buyers import buyer_of
from orders.services.posters import _photo, render_poster


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
