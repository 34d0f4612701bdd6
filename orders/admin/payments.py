"""Admin of payments, refunds and payment notifications (read-only records)."""

from django.contrib import admin

from coop.admin.base import AppendOnlyAdmin
from orders.models import (
    Payment,
    PaymentNotification,
    Refund,
)


@admin.register(Payment)
class PaymentAdmin(AppendOnlyAdmin):
    cooperative_path = "order__cooperative"
    list_display = ["out_trade_no", "order", "provider", "amount_fen", "status", "transaction_id", "succeeded_at"]
    list_filter = ["provider", "status"]
    search_fields = ["out_trade_no", "transaction_id", "order__number"]


@admin.register(Refund)
class RefundAdmin(AppendOnlyAdmin):
    cooperative_path = "order__cooperative"
    list_display = ["out_refund_no", "order", "amount_fen", "status", "reason", "created_at"]
    list_filter = ["status"]


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
