"""Admin of payments, refunds and payment notifications (read-only records)."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, ask_one_value
from orders.models import (
    OrderError,
    Payment,
    PaymentNotification,
    Refund,
    TradeBillCheck,
)
from orders.services.payments import confirm_offline_refund

DIFFERENCE_WORDS = {
    "paid_there_not_here": _("微信已收款，本店未记为已付"),
    "paid_here_not_there": _("本店记为已付，账单里没有"),
    "amount_differs": _("金额不一致"),
    "refund_there_not_here": _("微信已退款，本店未记为退款成功"),
    "refund_here_not_there": _("本店记为退款成功，账单里没有"),
    "refund_amount_differs": _("退款金额不一致"),
}


@admin.register(Payment)
class PaymentAdmin(AppendOnlyAdmin):
    cooperative_path = "order__cooperative"
    list_display = ["out_trade_no", "order", "provider", "amount_fen", "status", "transaction_id", "succeeded_at"]
    list_filter = ["provider", "status"]
    search_fields = ["out_trade_no", "transaction_id", "order__number"]


@admin.register(Refund)
class RefundAdmin(AppendOnlyAdmin):
    cooperative_path = "order__cooperative"
    list_display = ["out_refund_no", "order", "amount_fen", "status", "reason", "created_at", "confirmed_by",
                    "confirmation"]
    list_filter = ["status"]
    actions = ["confirm_offline"]

    def has_confirm_permission(self, request):
        return self._can(request, self.edit_roles)  # managers only, like every other change

    @admin.action(description=_("确认已线下退款（钱已退给买家）"), permissions=["confirm"])
    def confirm_offline(self, request, queryset):
        value, page = ask_one_value(self, request, queryset, action="confirm_offline",
                                    title=gettext("确认已线下退款"), label=gettext("退款凭证号或说明"))
        if page is not None:
            return page
        done = 0
        for row in queryset:
            try:
                confirm_offline_refund(row, user=request.user, confirmation=value)
                done += 1
            except OrderError as exc:
                self.message_user(request, f"{row.out_refund_no}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, gettext("已确认 %(n)s 笔线下退款。") % {"n": done}, messages.SUCCESS)
        return None


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(admin.ModelAdmin):
    """Raw notifications (including forged ones): platform operators only."""

    list_display = ["received_at", "event_type", "out_trade_no", "accepted", "outcome"]
    list_filter = ["accepted"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _yuan(fen):
    return "—" if fen is None else f"¥{fen // 100}.{fen % 100:02d}"


@admin.register(TradeBillCheck)
class TradeBillCheckAdmin(admin.ModelAdmin):
    """The daily WeChat Pay bill against our books (orders/services/payments/bills.py). One merchant account
    serves the whole shop, so this is shown to those given the model's view permission (and superusers)."""

    list_display = ["bill_date", "status", "bill_rows", "paid_fen", "refunded_fen", "difference_count", "checked_at"]
    list_filter = ["status"]
    readonly_fields = ["bill_date", "status", "bill_rows", "paid_fen", "refunded_fen", "difference_list", "error",
                       "checked_at"]
    exclude = ["differences"]

    @admin.display(description=_("差异数"))
    def difference_count(self, obj):
        return len(obj.differences)

    @admin.display(description=_("差异"))
    def difference_list(self, obj):
        return format_html_join("", "<p>{}：{} {} {} — 账单 {}，本店 {}</p>", (
            (DIFFERENCE_WORDS.get(d["kind"], d["kind"]), d.get("order", ""), d.get("out_trade_no", ""),
             d.get("out_refund_no", ""), _yuan(d.get("theirs_fen")), _yuan(d.get("ours_fen")))
            for d in obj.differences)) or _("无差异")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
