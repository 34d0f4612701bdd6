"""Admin of intake: price schedules and deliveries (with the audited adjustment)."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import CooperativeScopedAdmin, ask_one_value
from coop.lib.words import yuan
from coop.models import (
    Delivery,
    PriceSchedule,
)
from coop.services.audit import log_action
from coop.services.intake import DeliveryError, adjust_delivery


@admin.register(PriceSchedule)
class PriceScheduleAdmin(CooperativeScopedAdmin):
    list_display = ("weight_class", "price_per_egg", "effective_from", "cooperative", "created_by")
    list_filter = ("weight_class", "cooperative")
    date_hierarchy = "effective_from"
    exclude = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        log_action(obj, "price.set", user=request.user, data={"price": str(obj.price_per_egg),
                                                              "from": str(obj.effective_from)})


@admin.register(Delivery)
class DeliveryAdmin(CooperativeScopedAdmin):
    """Deliveries are recorded on the intake page (the service); here they are read and reviewed."""

    list_display = ("received_at", "farmer", "eggs_brought", "accepted_total", "rejected_total", "amount_due",
                    "flagged", "inspector")
    list_filter = ("flagged", "farmer__village", "received_at")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "=id")
    date_hierarchy = "received_at"
    list_select_related = ("farmer", "inspector")
    actions = ["mark_reviewed", "adjust"]
    may_change = False  # a delivery is never edited: corrections are ledger adjustments
    may_delete = False

    @admin.display(description=_("合格"))
    def accepted_total(self, obj):
        return obj.accepted

    @admin.display(description=_("不合格"))
    def rejected_total(self, obj):
        return obj.rejected

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("books-intake"))

    @admin.action(description=_("核查无误，取消“待核查”"), permissions=["mark_reviewed"])
    def mark_reviewed(self, request, queryset):
        n = 0
        for d in queryset.filter(flagged=True):
            if Delivery.objects.filter(pk=d.pk, flagged=True).update(flagged=False):
                log_action(d, "delivery.reviewed", user=request.user, reason=d.flag_reason)
                n += 1
        self.message_user(request, gettext("已核查 %(n)d 条交蛋记录。") % {"n": n})

    def has_mark_reviewed_permission(self, request):
        return self._can(request, self.edit_roles)

    has_adjust_permission = has_mark_reviewed_permission

    @admin.action(description=_("调整应付金额（记一笔调整，不改原记录）"), permissions=["adjust"])
    def adjust(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("请只选一条交蛋记录来调整。"), messages.WARNING)
            return None
        data, page = ask_one_value(self, request, queryset, action="adjust", title=gettext("调整交蛋金额"),
                                   form_class=AdjustDeliveryForm)
        if page is not None:
            return page
        delivery = queryset.get()
        # The form's submission id makes a double click post one adjustment.
        key = data.get("key") or uuid.uuid4().hex
        try:
            adjust_delivery(delivery, amount=data["amount"], reason=data["reason"], user=request.user, key=key)
        except DeliveryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(request, gettext("已记一笔调整：%(a)s。") % {"a": yuan(data["amount"])})
        return None


class AdjustDeliveryForm(forms.Form):
    amount = forms.DecimalField(label=_("调整金额（元，负数为扣减）"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("调整原因"), max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False,
                          initial=lambda: uuid.uuid4().hex)
