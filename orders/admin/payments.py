"""Admin of payments, refunds and payment notifications (read-only records)."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, ask_one_value
from orders.models import (
    OrderError,
    Payment,
    PaymentNotification,
    Refund,
)
from orders.services.payments import confirm_offline_refund


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
