"""Admin of after-sale requests: each cooperative's own, decided through ``orders.services.aftersale``."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from coop.admin.base import CooperativeScopedAdmin, ask_one_value
from coop.lib.locking import LockTimeout
from orders.models import AfterSale, AfterSaleError
from orders.services import aftersale as service


def _decide(modeladmin, request, queryset, fn, done):
    ok = 0
    for row in queryset.select_related("order__buyer", "line"):
        try:
            fn(row)
            ok += 1
        except LockTimeout:
            modeladmin.message_user(request, _("系统繁忙，请稍后再试。"), messages.ERROR)
        except AfterSaleError as exc:
            modeladmin.message_user(request, f"{row.order.number}: {exc.message}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, done % {"n": ok}, messages.SUCCESS)


@admin.action(permissions=("decide",), description=_("同意退款（按买家所报数量，不超过这件商品实付）"))
def refund(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, lambda row: service.decide_refund(row, user=request.user),
            _("已为 %(n)s 个售后申请退款。"))


@admin.action(permissions=("decide",), description=_("同意补发（从库存补发相应盒数）"))
def replace(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, lambda row: service.decide_replacement(row, user=request.user),
            _("已为 %(n)s 个售后申请安排补发。"))


@admin.action(permissions=("decide",), description=_("不予售后（需写明原因）"))
def refuse(modeladmin, request, queryset):
    reason, response = ask_one_value(
        modeladmin, request, queryset, action="refuse", title=_("不予售后"),
        field=forms.CharField(label=_("原因（买家会看到）"), max_length=300))
    if response is not None:
        return response
    _decide(modeladmin, request, queryset, lambda row: service.decide_refusal(row, user=request.user, note=reason),
            _("%(n)s 个售后申请不予售后。"))
    return None


@admin.register(AfterSale)
class AfterSaleAdmin(CooperativeScopedAdmin):
    list_display = ["order", "line", "reason", "quantity", "unit", "status", "amount", "replacement", "decided_by",
                    "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["order__number", "order__buyer__phone", "report_reference"]
    date_hierarchy = "created_at"
    actions = [refund, replace, refuse]
    readonly_fields = ["cooperative", "order", "line", "reason", "unit", "quantity", "note", "report_reference",
                       "photo_list", "status", "amount", "refund", "replacement", "replacement_boxes",
                       "decision_note", "decided_by", "decided_at", "created_at"]
    fields = readonly_fields
    # Requests come from the buyer's order page and change only through the decisions above.
    may_add = may_change = may_delete = False

    def has_decide_permission(self, request):
        """Deciding is the manager's (an inspector or the committee may look, not refund)."""
        return self._can(request, self.edit_roles)

    @admin.display(description=_("照片"))
    def photo_list(self, obj):
        photos = list(obj.photos.all())
        if not photos:
            return "—"
        return format_html_join(" ", '<a href="{}"><img src="{}" alt="" width="120"></a>',
                                ((p.private_url, p.private_url) for p in photos)) or format_html("—")
