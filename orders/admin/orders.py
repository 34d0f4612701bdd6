"""Admin of orders: packing, ready and complete actions; allocations."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, CooperativeScopedAdmin, ReadOnlyInline
from coop.lib.locking import LockTimeout
from coop.lib.validators import InvalidPhone, normalize_phone
from orders.models import (
    Allocation,
    Order,
    OrderError,
    OrderLine,
    OrderStatusChange,
)
from orders.services import orders as order_services


class LineInline(ReadOnlyInline):
    model = OrderLine
    readonly_fields = ["product", "name", "weight_class", "pack_size", "boxes", "unit_price"]


class HistoryInline(ReadOnlyInline):
    model = OrderStatusChange
    readonly_fields = ["from_status", "to_status", "changed_by", "actor_label", "reason", "created_at"]


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


class OrderForm(forms.ModelForm):
    """A staff correction of the recipient's phone is held to the shop's rule and stored normalised."""

    class Meta:
        model = Order
        fields = ["recipient", "phone", "address"]

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if not phone:
            return phone
        try:
            return normalize_phone(phone)
        except InvalidPhone as exc:
            raise ValidationError(exc.message, code=exc.code) from None


@admin.register(Order)
class OrderAdmin(CooperativeScopedAdmin):
    form = OrderForm
    list_display = ["number", "buyer", "status", "total", "fulfilment", "pickup_point", "group_buy", "chain_no",
                    "short_note", "placed_at"]
    # Named explicitly: Django's own select_related() skips the nullable pickup point and group buy.
    list_select_related = ["buyer", "pickup_point", "group_buy"]
    list_filter = ["status", "fulfilment", "group_buy"]
    search_fields = ["number", "buyer__name", "buyer__phone", "pickup_code", "tracking_no"]
    date_hierarchy = "placed_at"
    inlines = [LineInline, HistoryInline]
    actions = [pack, ready, complete]
    readonly_fields = ["cooperative", "buyer", "buyer_name", "invoice_title", "tax_number", "number", "status",
                       "total", "courier_fee", "group_buy", "chain_no", "fulfilment",
                       "pickup_point", "pickup_code", "picked_up_at", "idempotency_key", "placed_at", "pay_by",
                       "paid_at", "status_changed_at", "courier_company", "tracking_no", "note"]
    # The buyer's note is their words: staff read it here (and on the packing list), never rewrite it.
    fields = readonly_fields + ["recipient", "phone", "address"]
    may_add = False  # orders are placed through the shop, which checks stock under the lock
    may_delete = False

    @admin.display(description=_("买家留言"))
    def short_note(self, obj):
        return Truncator(obj.note).chars(20)  # the list stays one line; the whole note is on the order's page


@admin.register(Allocation)
class AllocationAdmin(AppendOnlyAdmin):
    cooperative_path = "batch__cooperative"
    list_display = ["line", "batch", "boxes", "created_at"]
    search_fields = ["batch__code", "line__order__number"]
