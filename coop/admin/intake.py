"""Admin of intake: price schedules and deliveries (with the audited adjustment)."""

import functools
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
    REJECT_CODES,
    REJECT_DEFECTS,
    WEIGHT_CLASS_CODES,
    WEIGHT_CLASSES,
    Delivery,
    PriceSchedule,
)
from coop.services.audit import log_action
from coop.services.intake import DeliveryError, adjust_delivery, confirm_delivery, correct_delivery


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

    list_display = ("id", "received_at", "farmer", "eggs_brought", "accepted_total", "rejected_total", "amount_due",
                    "state", "inspector")
    list_filter = ("flagged", "farmer__village", "received_at")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "=id")
    date_hierarchy = "received_at"
    list_select_related = ("farmer", "inspector")
    actions = ["mark_reviewed", "correct", "adjust"]
    may_change = False  # a delivery is never edited: counts are corrected by cancel-and-amend, money by adjustments
    may_delete = False

    @admin.display(description=_("合格"))
    def accepted_total(self, obj):
        return obj.accepted

    @admin.display(description=_("不合格"))
    def rejected_total(self, obj):
        return obj.rejected

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("books-intake"))

    @admin.display(description=_("状态"))
    def state(self, obj):
        if obj.cancelled_at:
            return gettext("已作废（已更正）")
        if obj.flagged:
            return gettext("待核查（暂扣）")
        return gettext("有效")

    @admin.action(description=_("核查无误：确认入库并记收入"), permissions=["mark_reviewed"])
    def mark_reviewed(self, request, queryset):
        n = 0
        for d in queryset.held().select_related("farmer"):
            try:
                confirm_delivery(d, user=request.user)
            except DeliveryError:
                continue  # confirmed by someone else meanwhile: counted once, by them
            n += 1
        self.message_user(request, gettext("已确认 %(n)d 条交蛋记录。") % {"n": n})

    @admin.action(description=_("更正枚数（作废原记录，按新枚数重记）"), permissions=["adjust"])
    def correct(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("请只选一条交蛋记录来更正。"), messages.WARNING)
            return None
        old = queryset.get()
        # The form starts from the counts as recorded, so the manager changes only what was wrong.
        initial = {**{f"accepted_{wc.lower()}": old.accepted_of(wc) for wc in WEIGHT_CLASS_CODES},
                   **{f"rejected_{c}": n for c, n in old.rejects_by_defect().items()}}
        data, page = ask_one_value(self, request, queryset, action="correct", title=gettext("更正交蛋枚数"),
                                   form_class=functools.partial(CorrectDeliveryForm, initial=initial))
        if page is not None:
            return page
        try:
            new = correct_delivery(old, user=request.user, reason=data["reason"],
                                   accepted={wc: data[f"accepted_{wc.lower()}"] for wc in WEIGHT_CLASS_CODES},
                                   rejected={c: data[f"rejected_{c}"] for c in REJECT_CODES})
        except DeliveryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(request, gettext("已更正：新回执号 %(no)s，合格 %(n)d 枚，应付 ¥%(a)s。")
                          % {"no": new.pk, "n": new.accepted, "a": new.amount_due})
        return None

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


class CorrectDeliveryForm(forms.Form):
    """The corrected counts, all of them (the old row is cancelled, not patched), and why."""

    reason = forms.CharField(label=_("更正原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in WEIGHT_CLASSES:
            self.fields[f"accepted_{code.lower()}"] = forms.IntegerField(
                label=gettext("合格·%(label)s") % {"label": label}, min_value=0, initial=0)
        for code, label in REJECT_DEFECTS:
            self.fields[f"rejected_{code}"] = forms.IntegerField(label=label, min_value=0, initial=0)
