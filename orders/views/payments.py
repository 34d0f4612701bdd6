"""The sandbox cashier: plays the buyer's part of a WeChat payment (confirm or give up)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.models import Payment, SandboxTransaction
from orders.services.payments.base import ProviderError
from orders.services.payments.sandbox import MCHID, SandboxPlatform, sandbox_allowed
from orders.views.base import buyer_required

# The sandbox's trade states (WeChat Pay's codes) in the buyer's words: the page never shows SUCCESS.
TRADE_STATE_WORDS = {
    SandboxTransaction.NOTPAY: _l("未支付"),
    SandboxTransaction.SUCCESS: _l("已支付成功"),
    SandboxTransaction.CLOSED: _l("交易已关闭，不能再支付"),
    SandboxTransaction.REFUND: _l("已退款"),
}


@buyer_required
def cashier(request, out_trade_no):
    if not sandbox_allowed():
        raise Http404  # outside development or a demo there is no sandbox to pay at
    payment = Payment.objects.filter(out_trade_no=out_trade_no, order__buyer=request.buyer,
                                     provider=Payment.SANDBOX).select_related("order").first()
    txn = SandboxTransaction.objects.filter(out_trade_no=out_trade_no).first()
    if payment is None or txn is None:
        raise Http404
    if request.method == "POST":
        if request.POST.get("action") == "pay":
            try:
                SandboxPlatform().pay(out_trade_no, openid=request.buyer.wechat_openid or f"sandbox-{request.buyer.pk}")
            except ProviderError:
                messages.error(request, _("交易已关闭，无法支付。"))
        return redirect("shop:order", number=payment.order.number)
    words = TRADE_STATE_WORDS.get(txn.trade_state, _("交易状态未知"))
    return render(request, "orders/cashier.html", {"payment": payment, "txn": txn, "mchid": MCHID,
                                                   "amount": payment.amount_yuan, "state_words": words})
