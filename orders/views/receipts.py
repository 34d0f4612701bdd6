"""The order receipt (订单凭证): a printable page and its PDF, for the order's buyer and the staff of the
cooperative that sold it; anyone else is answered 404, like a missing order."""

from urllib.parse import quote

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from coop.lib import tenancy
from coop.lib.files import file_response
from orders.models import Order
from orders.services import receipts


def _paid_order(request, number):
    """``number`` if it is paid and the person is its buyer or staff (any role) of its cooperative."""
    order = (Order.objects.filter(number=number, paid_at__isnull=False)
             .select_related("cooperative", "buyer", "group_buy").first())
    if order is None:
        raise Http404
    buyer = getattr(request.user, "buyer", None)
    if buyer is not None and order.buyer_id == buyer.pk:
        return order
    if order.cooperative_id in tenancy.cooperative_ids(request.user):
        return order
    raise Http404


def _signed_in(view):
    def wrapper(request, number):
        if not request.user.is_authenticated:
            return redirect(f"/shop/login/?next={quote(request.get_full_path())}")
        return view(request, number)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_safe
@_signed_in
def receipt_page(request, number):
    """``/shop/orders/<number>/receipt/``: the receipt to read or print (the browser's 打印)."""
    order = _paid_order(request, number)
    return render(request, "orders/receipt.html", {"r": receipts.receipt_of(order), "order": order,
                                                   "seller_address": receipts.seller_address(order.cooperative)})


@require_safe
@_signed_in
def receipt_pdf(request, number):
    order = _paid_order(request, number)
    return file_response(receipts.render_pdf(receipts.receipt_of(order)), f"订单凭证-{order.number}.pdf")
