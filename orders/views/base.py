"""Helpers shared by the shop views: the signed-in buyer, the cart in the session, money format."""

from functools import wraps
from urllib.parse import quote

from django.shortcuts import redirect

from orders.services.buyers import buyer_of

CART_KEY = "shop_cart"


def current_buyer(request):
    return buyer_of(request.user) if request.user.is_authenticated else None


def buyer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        buyer = current_buyer(request)
        if buyer is None:
            return redirect(f"/shop/login/?next={quote(request.get_full_path())}")
        request.buyer = buyer
        return view(request, *args, **kwargs)

    return wrapper


def cart_items(request):
    """``{product_id: boxes}`` from the session (ids as ints)."""
    raw = request.session.get(CART_KEY) or {}
    items = {}
    for k, v in raw.items():
        try:
            if int(v) > 0:
                items[int(k)] = int(v)
        except (TypeError, ValueError):
            continue
    return items


def save_cart(request, items):
    request.session[CART_KEY] = {str(k): int(v) for k, v in items.items() if int(v) > 0}
