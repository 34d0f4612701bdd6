"""Products, cart, checkout, my orders."""

import uuid
from urllib.parse import quote

import qrcode
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from qrcode.image.svg import SvgPathImage

from coop.lib.client import client_ip
from coop.lib.context_processors import TEXT_ONLY_COOKIE
from coop.lib.errors import DomainError
from coop.lib.locking import LockTimeout
from coop.lib.redirects import safe_next
from coop.lib.validators import MAX_BOXES, InvalidNumber, optional_id, parse_int
from orders.models import GroupBuy, Order, OrderError, PickupPoint, Product, ProductPhoto
from orders.services import aftersale, invoices, payments, shipping, stock
from orders.services import programmes as programme_service
from orders.services.buyers import own_address
from orders.services.orders import Item, cancel_order, place_order, trace_batches
from orders.services.payments.base import Payer
from orders.views.base import absolute, buyer_required, cart_items, render_shared, save_cart, wechat_share


def _with_photos(products):
    return products.prefetch_related(Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id")))


def _light(response):
    # The page differs by the data-saver header (no pictures), so a cache must key on it.
    patch_vary_headers(response, ["Save-Data"])
    return response


def home(request):
    products = stock.with_availability(_with_photos(Product.objects.filter(active=True).select_related("cooperative")))

    group_buys = [g for g in GroupBuy.objects.filter(status=GroupBuy.OPEN).select_related("product")
                  if g.is_joinable()]
    return _light(render_shared(request, "orders/home.html", {
        "products": products, "group_buys": group_buys, "cart_count": sum(cart_items(request).values())},
        _programme_share(request)))


def _programme_share(request):
    """A buyer who came through a programme's link shares the programme (以购代捐), with its poster."""
    code = request.session.get(programme_service.SESSION_KEY)
    programme = programme_service.programme_by_code(code) if code else None
    if programme is None:
        return None
    desc = _("%(org)s 与凉山的结对帮扶：买高山绿壳鸡蛋，钱到农户。") % {"org": programme.east_organisation}
    return wechat_share(request, title=_("%(name)s · 以购代捐") % {"name": programme.name}, desc=desc,
                        link=absolute(reverse("shop:programme-link", args=[programme.code])),
                        image=absolute(reverse("shop:programme-poster", args=[programme.code])))


def product_detail(request, pk):
    product = get_object_or_404(_with_photos(Product.objects.select_related("cooperative")), pk=pk, active=True)
    product.left = stock.product_availability(product)
    share_url = request.build_absolute_uri(request.path)
    photos = list(product.photos.all())
    image = photos[0].thumb_large.url if photos else reverse("shop:product-poster", args=[product.pk])
    share = wechat_share(request, title=f"{product.name} ¥{product.price}",
                         desc=(product.description or product.cooperative.name)[:60],
                         link=absolute(request.path), image=absolute(image))
    return _light(render_shared(request, "orders/product.html", {
        "product": product, "photos": photos, "share_url": share_url,
        "limit": min(product.per_order_limit, product.left), "cart_count": sum(cart_items(request).values())},
        share))


@require_POST
def text_only_mode(request):
    """省流量: the buyer's choice of pages without pictures, kept in a cookie for a year (no account needed)."""
    response = redirect(safe_next(request, reverse("shop:home"), under="/shop/"))
    if request.POST.get("on") == "1":
        response.set_cookie(TEXT_ONLY_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        messages.info(request, _("已开启省流量：页面不显示图片。"))
    else:
        response.delete_cookie(TEXT_ONLY_COOKIE, samesite="Lax")
        messages.info(request, _("已关闭省流量：页面显示商品照片。"))
    return response


@require_POST
def cart_update(request):
    """Add boxes to the cart (the product page) or set a line's count (the cart page; 0 removes it). Every
    message says what happened: nothing changed on a refusal, the cap named when the count was lowered."""
    items = cart_items(request)
    product = Product.objects.filter(pk=optional_id(request.POST.get("product")) or 0).first()
    if product is None or not product.active:
        if product is not None and product.pk in items:  # a line gone from the shop leaves the cart by name
            items.pop(product.pk)
            save_cart(request, items)
            messages.info(request, _("“%(name)s”已下架，已从购物车删除。") % {"name": product.name})
        else:
            messages.error(request, _("这个商品已下架或不存在。"))
        return redirect("shop:cart")
    setting = request.POST.get("mode") == "set"
    raw = request.POST.get("boxes")
    if raw is None and not setting:
        raw = "1"  # a button without a count field: one box
    try:
        boxes = parse_int(raw, minimum=0, maximum=MAX_BOXES, label=_("盒数"))
    except InvalidNumber as exc:
        messages.error(request, exc.message)
        return redirect("shop:cart")
    if boxes is None:
        messages.error(request, _("请填写盒数（填 0 从购物车删除）。"))
        return redirect("shop:cart")
    if not setting and boxes == 0:
        messages.error(request, _("请至少选 1 盒。"))
        return redirect(reverse("shop:product", args=[product.pk]))
    # Lines of products no longer sold do not decide which cooperative the cart belongs to.
    live = dict(Product.objects.filter(pk__in=list(items), active=True).values_list("pk", "cooperative_id"))
    others = {coop for pk, coop in live.items() if pk != product.pk}
    if others and others != {product.cooperative_id} and boxes:
        messages.error(request, _("购物车里已有其他合作社的商品，请先结算或清空。"))
        return redirect("shop:cart")
    wanted = boxes if setting else items.get(product.pk, 0) + boxes
    items[product.pk] = min(wanted, product.per_order_limit)
    save_cart(request, items)
    name, now = product.name, items[product.pk]
    if wanted > product.per_order_limit:
        messages.warning(request, _("“%(name)s”每单限购 %(n)s 盒，购物车里现在是 %(n)s 盒。") % {
            "name": name, "n": product.per_order_limit})
    elif now == 0:
        messages.success(request, _("已从购物车删除“%(name)s”。") % {"name": name})
    elif setting:
        messages.success(request, _("“%(name)s”已改为 %(n)s 盒。") % {"name": name, "n": now})
    elif not request.POST.get("buy_now"):
        messages.success(request, _("已加入购物车：“%(name)s” %(n)s 盒，购物车里共 %(m)s 盒。") % {
            "name": name, "n": boxes, "m": now})
    if request.POST.get("buy_now") and now:
        return redirect("shop:checkout")
    return redirect("shop:cart")


def _cart_lines(request):
    """The cart's lines of products on sale, and the names of those no longer sold (shown by name, never
    silently dropped; the buyer removes them, a GET changes nothing)."""
    items = cart_items(request)
    products = Product.objects.in_bulk(list(items))
    lines = []
    stock.with_availability([p for p in products.values() if p.active])
    for pk, boxes in items.items():
        p = products.get(pk)
        if p is None or not p.active:
            continue
        # The names an OrderLine has (name, boxes, unit_price, line_total): orders/_lines.html shows both alike.
        lines.append({"product": p, "boxes": boxes, "total": p.price * boxes, "name": p.name, "unit_price": p.price,
                      "line_total": p.price * boxes})
    gone = [products[pk] for pk in items if pk in products and not products[pk].active]
    return lines, gone


def cart(request):
    lines, gone = _cart_lines(request)
    return render(request, "orders/cart.html", {"lines": lines, "gone": gone, "total": sum(x["total"] for x in lines),
                                                "cart_count": sum(x["boxes"] for x in lines)})


CONTACT_FIELDS = ("recipient", "phone", "address", "note")


def _priced_addresses(buyer, coop_id, goods, boxes):
    """The buyer's saved addresses, each with the courier fee and the total it would make — the fee the order
    will carry, from the same ``shipping.courier_fee`` that ``place_order`` calls — and the fee of an address
    typed by hand (no province known: the default)."""
    table = shipping.fee_table(coop_id)
    rows = []
    for a in buyer.addresses.all():
        fee = shipping.courier_fee(coop_id, a.province_code, boxes, table=table)
        rows.append({"address": a, "fee": fee, "total": goods + fee})
    typed_fee = shipping.courier_fee(coop_id, "", boxes, table=table)
    return rows, typed_fee


@buyer_required
def checkout(request):
    lines, gone = _cart_lines(request)
    for product in gone:
        messages.warning(request, _("“%(name)s”已下架，不在这个订单里。") % {"name": product.name})
    if not lines:
        messages.info(request, _("购物车是空的。"))
        return redirect("shop:home")
    coop_id = lines[0]["product"].cooperative_id
    points = PickupPoint.objects.filter(cooperative_id=coop_id, active=True)
    goods = sum(x["total"] for x in lines)
    saved, typed_fee = _priced_addresses(request.buyer, coop_id, goods, sum(x["boxes"] for x in lines))
    programme = programme_service.checkout_programme(buyer=request.buyer, cooperative=lines[0]["product"].cooperative,
                                                     code=request.session.get(programme_service.SESSION_KEY))
    address = saved[0]["address"] if saved else None
    form = {"fulfilment": Order.COURIER, "recipient": "" if address else request.buyer.name,
            "phone": "" if address else (request.buyer.phone or ""), "address": "", "note": "",
            "address_id": str(address.pk) if address else "", "pickup_point": "", "key": uuid.uuid4().hex}
    errors, status = {}, 200
    if request.method == "POST":
        form.update({k: request.POST.get(k, "").strip() for k in form})
        point_id = optional_id(form["pickup_point"])
        point = points.filter(pk=point_id).first() if point_id else None
        chosen = own_address(request.buyer, optional_id(form["address_id"]))
        if chosen is not None:
            # A saved address: sent as the book holds it, with its province for the courier fee.
            contact = {"recipient": chosen.recipient, "phone": chosen.phone,
                       "address": f"{chosen.region}{chosen.detail}", "province_code": chosen.province_code}
        else:
            contact = {k: form[k] for k in ("recipient", "phone", "address")}
        try:
            if form["address_id"] and chosen is None and form["fulfilment"] == Order.COURIER:
                raise OrderError(_("这个地址已经不在你的地址簿里了，请重新选择。"), "address", field="address")
            order, _created = place_order(
                buyer=request.buyer, items=[Item(x["product"], x["boxes"]) for x in lines],
                fulfilment=form["fulfilment"], pickup_point=point, note=form["note"], address=contact,
                idempotency_key=form["key"] or None, user=request.user,
                programme_code=request.session.get(programme_service.SESSION_KEY))
        except LockTimeout:
            messages.error(request, _("下单的人太多了，请稍后再试。"))
        except OrderError as exc:
            if exc.field in CONTACT_FIELDS:
                errors[exc.field] = exc.message  # beside the input it is about, the typed values kept
            else:
                messages.error(request, exc.message)
            status = 400
        else:
            save_cart(request, {})
            return redirect("shop:order", number=order.number)
    return render(request, "orders/checkout.html", {
        "lines": lines, "total": goods, "points": points, "form": form, "saved": saved,
        "typed_fee": typed_fee, "typed_total": goods + typed_fee,
        "errors": errors, "COURIER": Order.COURIER, "PICKUP": Order.PICKUP, "programme": programme}, status=status)


@buyer_required
def my_orders(request):
    orders = request.buyer.orders.prefetch_related("lines").select_related("group_buy")
    return render(request, "orders/my_orders.html", {
        "orders": orders, "statements_link": programme_service.shows_statements(request.buyer)})


def own_order(request, number):
    """The signed-in buyer's order ``number``; anyone else's answers 404 like a missing one."""
    order = Order.objects.filter(number=number, buyer=request.buyer).select_related(
        "pickup_point", "group_buy", "cooperative", "attribution__programme").first()
    if order is None:
        raise Http404
    return order


@buyer_required
def order_detail(request, number):
    order = own_order(request, number)
    if order.status == Order.PENDING_PAYMENT:
        # The buyer may be back from the cashier before the notification: ask the platform.
        for payment in order.payments.filter(status="created"):
            payments.sync_payment(payment)
        order.refresh_from_db()
    if order.status == Order.REFUND_PENDING:
        # A refund whose notification is late or lost: ask the platform (offline refunds are skipped).
        for row in order.refunds.filter(status="processing").select_related("payment"):
            payments.sync_refund(row)
        order.refresh_from_db()
    may_ask, _why = aftersale.can_request(order)
    # Every line already waiting for a decision: nothing more to ask for until the cooperative decides.
    may_ask = may_ask and len(aftersale.open_for_lines(order)) < order.lines.count()
    return render(request, "orders/order.html", {
        "order": order, "lines": order.lines.all(), "history": order.history.all(),
        "batches": trace_batches(order), "refunds": order.refunds.all(),
        "aftersales": order.aftersales.select_related("line", "refund", "replacement"),
        "may_ask": may_ask, "may_receive": order.status in aftersale.RECEIVABLE,
        "window_days": settings.AFTERSALE_WINDOW_DAYS, "replaces": order.replaces.select_related("order").first(),
        "invoice": invoices.for_order_page(order),
        "programme_note": programme_service.programme_note(order)})


@buyer_required
@require_POST
def order_pay(request, number):
    order = own_order(request, number)
    try:
        _payment, data = payments.start_payment(order, payer=_payer(request))
    except DomainError as exc:  # OrderError (not payable) or ProviderError (WeChat Pay refused or unreachable)
        messages.error(request, exc.message)
        return redirect("shop:order", number=number)
    if "pay_url" in data:  # the sandbox's cashier
        return redirect(data["pay_url"])
    back = request.build_absolute_uri(reverse("shop:order", args=[number]))
    if data["channel"] == "h5":
        # WeChat's H5 cashier sends the buyer back here; the order page then asks WeChat (never trusts this).
        return redirect(data["h5_url"] + "&redirect_url=" + quote(back, safe=""))
    return render(request, "orders/wechat_pay.html", {"order": order, "data": data, "back": back,
                                                      "qr_svg": _qr_svg(data.get("code_url", ""))})


def _payer(request):
    """How this buyer pays with WeChat Pay: inside WeChat JSAPI (with the openid from the WeChat sign-in),
    a phone browser H5, a PC the Native QR code (institutional buyers paying from the office)."""
    agent = request.headers.get("User-Agent", "")
    if "MicroMessenger" in agent:
        return Payer("jsapi", openid=request.buyer.wechat_openid or "")
    if any(word in agent for word in ("Mobile", "Android", "iPhone")):
        return Payer("h5", client_ip=client_ip(request))
    return Payer("native")


def _qr_svg(text):
    if not text:
        return ""
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - qrcode's own SVG of WeChat's code_url


@buyer_required
@require_POST
def order_cancel(request, number):
    order = own_order(request, number)
    try:
        cancel_order(order, user=request.user, actor_label=request.buyer.display_name, reason=_("买家取消"))
        messages.success(request, _("订单已取消。"))
    except OrderError as exc:
        messages.error(request, exc.message)
    return redirect("shop:order", number=number)
