"""Managers' admin for the shop. Order state changes go through the services (admin actions),
never through editing the status field."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from coop.admin_support import AppendOnlyAdmin, CooperativeScopedAdmin
from coop.services.locking import LockTimeout
from orders.models import (
    Allocation,
    Buyer,
    GroupBuy,
    Order,
    OrderError,
    OrderLine,
    OrderStatusChange,
    Payment,
    PaymentNotification,
    PickupPoint,
    Product,
    Refund,
)
from orders.services import orders as order_services


@admin.register(Product)
class ProductAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "weight_class", "pack_size", "price", "per_order_limit", "active"]
    list_filter = ["active", "weight_class", "pack_size"]
    search_fields = ["name"]


@admin.register(PickupPoint)
class PickupPointAdmin(CooperativeScopedAdmin):
    list_display = ["name", "cooperative", "address", "contact", "phone", "active"]


@admin.register(GroupBuy)
class GroupBuyAdmin(CooperativeScopedAdmin):
    list_display = ["title", "code", "product", "price", "stock_cap", "deadline", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "closed_at"]
    search_fields = ["title", "code"]


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product", "name", "weight_class", "pack_size", "boxes", "unit_price"]

    def has_add_permission(self, request, obj=None):
        return False


class HistoryInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_by", "actor_label", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, fn, done_msg):
    ok = 0
    for order in queryset:
        try:
            fn(order, user=request.user)
            ok += 1
        except LockTimeout:
            modeladmin.message_user(request, _("系统繁忙，请稍后再试。"), messages.ERROR)
        except OrderError as exc:
            modeladmin.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, done_msg % {"n": ok}, messages.SUCCESS)


@admin.action(description=_("打包（按保质期先到先出分配批次）"))
def pack(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, order_services.pack_order, _("已打包 %(n)s 个订单。"))


@admin.action(description=_("已送到自提点"))
def ready(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, order_services.mark_ready_for_pickup, _("%(n)s 个订单待自提。"))


@admin.action(description=_("标记完成"))
def complete(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, order_services.complete, _("%(n)s 个订单已完成。"))


@admin.register(Order)
class OrderAdmin(CooperativeScopedAdmin):
    list_display = ["number", "buyer", "status", "total", "fulfilment", "pickup_point", "group_buy", "chain_no",
                    "placed_at"]
    list_filter = ["status", "fulfilment", "group_buy"]
    search_fields = ["number", "buyer__name", "buyer__phone", "pickup_code", "tracking_no"]
    date_hierarchy = "placed_at"
    inlines = [LineInline, HistoryInline]
    actions = [pack, ready, complete]
    readonly_fields = ["cooperative", "buyer", "number", "status", "total", "group_buy", "chain_no", "fulfilment",
                       "pickup_point", "pickup_code", "picked_up_at", "idempotency_key", "placed_at", "pay_by",
                       "paid_at", "status_changed_at", "courier_company", "tracking_no"]
    fields = readonly_fields + ["recipient", "phone", "address", "note"]

    def has_add_permission(self, request):
        return False  # orders are placed through the shop, which checks stock under the lock

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Allocation)
class AllocationAdmin(AppendOnlyAdmin):
    cooperative_path = "batch__cooperative"
    list_display = ["line", "batch", "boxes", "created_at"]
    search_fields = ["batch__code", "line__order__number"]


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


@admin.register(Buyer)
class BuyerAdmin(CooperativeScopedAdmin):
    """Buyers are platform-wide; a manager sees those who ordered from their cooperative."""

    cooperative_path = "orders__cooperative"
    list_display = ["display_name", "kind", "organisation", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "phone", "organisation"]
    readonly_fields = ["user", "phone", "wechat_openid", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from orders import admin_programmes  # noqa: E402,F401 - pairing programmes
