"""Admin of the books: prices, deliveries, batches, ledger, settlements, the collective fund.

Every change goes through a service (intake, packing, settlements, fund); the admin only offers
buttons for them. Money rows are read-only here: corrections are new entries.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin_support import AppendOnlyAdmin, CooperativeScopedAdmin
from coop.models import (
    Batch,
    BatchContribution,
    Delivery,
    Donation,
    FundEntry,
    HygieneInspection,
    HygieneScore,
    LedgerEntry,
    PriceSchedule,
    Settlement,
    SettlementRun,
)
from coop.services import fund
from coop.services.audit import log_action
from coop.services.batches import BatchError, set_batch_status
from coop.services.intake import DeliveryError, adjust_delivery
from coop.services.settlements import SettlementError, approve_settlement, pay_settlement


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # shown inside a parent page that already applied the tenant rule


def ask_one_value(modeladmin, request, queryset, *, action, title, label=None, field=None, form_class=None):
    """An intermediate page for an action that needs a value (payment reference, award amount).

    Returns the cleaned value (or the form's cleaned data, with ``form_class``) once the manager has
    submitted it, else a response showing the form.
    """
    if form_class is None:
        field = field or forms.CharField(label=label, max_length=64)
        form_class = type("AskForm", (forms.Form,), {"value": field})
    if request.POST.get("confirm"):
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            return (data["value"] if "value" in data and len(data) == 1 else data), None
    else:
        form = form_class()
    context = {**modeladmin.admin_site.each_context(request), "title": title, "form": form, "objects": queryset,
               "action": action, "ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
               "checkbox": ACTION_CHECKBOX_NAME, "opts": modeladmin.model._meta}
    return None, TemplateResponse(request, "coop/books/admin_ask.html", context)


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

    @admin.display(description=_("合格"))
    def accepted_total(self, obj):
        return obj.accepted

    @admin.display(description=_("不合格"))
    def rejected_total(self, obj):
        return obj.rejected

    def has_change_permission(self, request, obj=None):
        return False  # a delivery is never edited: corrections are ledger adjustments

    def has_delete_permission(self, request, obj=None):
        return False

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
        self.message_user(request, gettext("已记一笔调整：¥%(a)s。") % {"a": data["amount"]})
        return None


class AdjustDeliveryForm(forms.Form):
    amount = forms.DecimalField(label=_("调整金额（元，负数为扣减）"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("调整原因"), max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False,
                          initial=lambda: uuid.uuid4().hex)


class ContributionInline(ReadOnlyInline):
    model = BatchContribution
    fields = ("delivery", "farmer", "eggs")
    readonly_fields = ("delivery", "farmer", "eggs")
    verbose_name_plural = _("这批蛋来自哪些交蛋记录")

    @admin.display(description=_("农户"))
    def farmer(self, obj):
        return obj.delivery.farmer


@admin.register(Batch)
class BatchAdmin(CooperativeScopedAdmin):
    list_display = ("code", "weight_class", "grade", "boxes", "pack_size", "eggs", "laid_from", "best_before",
                    "status", "packed_by")
    list_filter = ("status", "weight_class", "grade", "packed_at")
    search_fields = ("code", "contributions__delivery__farmer__head_name",
                     "contributions__delivery__farmer__member_no")
    date_hierarchy = "packed_at"
    inlines = [ContributionInline]
    actions = ["mark_sold_out", "mark_expired"]
    readonly_fields = [f.name for f in Batch._meta.fields if f.name != "id"]

    def has_change_permission(self, request, obj=None):
        return False  # status changes go through actions (one transition function)

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("books-pack"))  # packing is the service's job

    def _set(self, request, queryset, status):
        done = 0
        for batch in queryset:
            try:
                set_batch_status(batch, status, user=request.user, reason=gettext("后台操作"))
                done += 1
            except BatchError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(request, gettext("已更新 %(n)d 个批次。") % {"n": done})

    @admin.action(description=_("标记为已售罄"), permissions=["mark_sold_out"])
    def mark_sold_out(self, request, queryset):
        self._set(request, queryset, Batch.SOLD_OUT)

    @admin.action(description=_("标记为已过期"), permissions=["mark_expired"])
    def mark_expired(self, request, queryset):
        self._set(request, queryset, Batch.EXPIRED)

    def has_mark_sold_out_permission(self, request):
        return self._can(request, self.edit_roles)

    has_mark_expired_permission = has_mark_sold_out_permission


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    list_display = ("occurred_on", "farmer", "kind", "amount", "reason", "settlement", "created_by")
    list_filter = ("kind", "farmer__village", "occurred_on")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "reason", "dedupe_key")
    date_hierarchy = "occurred_on"
    list_select_related = ("farmer", "settlement", "created_by")


class SettlementLineInline(ReadOnlyInline):
    model = LedgerEntry
    fk_name = "settlement"
    fields = ("occurred_on", "kind", "reason", "amount")
    readonly_fields = fields
    verbose_name_plural = _("结算明细")


@admin.register(Settlement)
class SettlementAdmin(CooperativeScopedAdmin):
    list_display = ("farmer", "period_start", "period_end", "status", "gross", "fines", "rewards", "adjustments",
                    "net", "payment_reference", "payslip")
    list_filter = ("status", "period_start", "farmer__village")
    search_fields = ("farmer__head_name", "farmer__member_no", "farmer__phone", "payment_reference")
    list_select_related = ("farmer",)
    inlines = [SettlementLineInline]
    actions = ["approve", "pay"]
    readonly_fields = [f.name for f in Settlement._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False  # settlements are made by "settle the month" (books/settle/)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("工资条"))
    def payslip(self, obj):
        return format_html('<a href="{}">{}</a> · <a href="{}">PDF</a>', reverse("books-payslip", args=[obj.pk]),
                           gettext("查看"), reverse("books-payslip-pdf", args=[obj.pk]))

    @admin.action(description=_("审批所选结算单"), permissions=["approve"])
    def approve(self, request, queryset):
        done = 0
        for s in queryset:
            try:
                approve_settlement(s, user=request.user)
                done += 1
            except SettlementError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, gettext("已审批 %(n)d 张结算单。") % {"n": done})

    @admin.action(description=_("登记付款（填写转账凭证号）"), permissions=["pay"])
    def pay(self, request, queryset):
        reference, page = ask_one_value(self, request, queryset, action="pay", title=gettext("登记付款"),
                                        label=gettext("付款凭证号（转账批次号）"))
        if page is not None:
            return page
        done = 0
        for s in queryset:
            try:
                pay_settlement(s, reference=reference, user=request.user)
                done += 1
            except SettlementError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, gettext("已付款 %(n)d 张结算单。") % {"n": done})
        return None

    def has_approve_permission(self, request):
        return self._can(request, self.edit_roles)

    has_pay_permission = has_approve_permission


@admin.register(SettlementRun)
class SettlementRunAdmin(AppendOnlyAdmin):
    list_display = ("period_start", "period_end", "status", "progress", "settlements_created", "lines_settled",
                    "started_by", "created_at", "finished_at")
    list_filter = ("status",)

    @admin.display(description=_("进度"))
    def progress(self, obj):
        return format_html('<a href="{}">{}%</a>', reverse("books-run", args=[obj.pk]), obj.percent)


class DonationForm(forms.ModelForm):
    class Meta:
        model = Donation
        fields = ["cooperative", "donor", "amount", "hygiene_reserve", "purpose", "received_on"]


@admin.register(Donation)
class DonationAdmin(CooperativeScopedAdmin):
    form = DonationForm
    list_display = ("received_on", "donor", "amount", "hygiene_reserve", "purpose", "recorded_by")
    search_fields = ("donor", "purpose")
    date_hierarchy = "received_on"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            donation = fund.record_donation(
                cooperative=obj.cooperative, donor=obj.donor, amount=obj.amount, hygiene_reserve=obj.hygiene_reserve,
                purpose=obj.purpose, received_on=obj.received_on, user=request.user)
        except fund.FundError as exc:
            raise forms.ValidationError(str(exc)) from exc
        obj.pk = donation.pk


@admin.register(FundEntry)
class FundEntryAdmin(AppendOnlyAdmin):
    list_display = ("occurred_on", "pool", "kind", "amount", "reason", "farmer", "created_by")
    list_filter = ("pool", "kind")
    search_fields = ("reason", "farmer__head_name", "farmer__member_no")

    def changelist_view(self, request, extra_context=None):
        from coop import tenancy
        from coop.models import Cooperative

        coops = Cooperative.objects.filter(pk__in=tenancy.cooperative_ids(request.user))
        extra_context = {**(extra_context or {}),
                         "subtitle": " · ".join(f"{c.short_name or c.name}: "
                                                + "，".join(f"{dict(FundEntry.POOLS)[p]} ¥{v}"
                                                           for p, v in fund.balances(c).items())
                                                for c in coops)}
        return super().changelist_view(request, extra_context)


class HygieneScoreInline(admin.TabularInline):
    model = HygieneScore
    extra = 3
    fields = ("farmer", "score", "award", "awarded_at")
    readonly_fields = ("award", "awarded_at")

    def _staff(self, request):
        from coop import tenancy

        return request.user.is_superuser or tenancy.is_staff_of_any(request.user, (tenancy.Staff.MANAGER,))

    def has_view_permission(self, request, obj=None):
        return self._staff(request)

    def has_add_permission(self, request, obj=None):
        return self._staff(request)

    def has_change_permission(self, request, obj=None):
        return self._staff(request)

    def has_delete_permission(self, request, obj=None):
        return self._staff(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "farmer" and not request.user.is_superuser:
            from coop import tenancy

            field.queryset = field.queryset.filter(cooperative__in=tenancy.cooperative_ids(request.user))
        return field


@admin.register(HygieneInspection)
class HygieneInspectionAdmin(CooperativeScopedAdmin):
    list_display = ("inspected_on", "village", "inspectors", "note")
    list_filter = ("village",)
    inlines = [HygieneScoreInline]
    exclude = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        log_action(obj, "hygiene.inspected" if not change else "hygiene.changed", user=request.user)


@admin.register(HygieneScore)
class HygieneScoreAdmin(CooperativeScopedAdmin):
    cooperative_path = "inspection__cooperative"
    list_display = ("farmer", "inspection", "score", "award", "awarded_at")
    list_filter = ("inspection__village", "inspection__inspected_on")
    search_fields = ("farmer__head_name", "farmer__member_no")
    actions = ["award"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("发放卫生奖励（从预留基金）"), permissions=["award"])
    def award(self, request, queryset):
        amount, page = ask_one_value(self, request, queryset, action="award", title=gettext("发放卫生奖励"),
                                     label=gettext("每户奖励金额（元）"),
                                     field=forms.DecimalField(label=gettext("每户奖励金额（元）"), min_value=0.01,
                                                              max_digits=10, decimal_places=2))
        if page is not None:
            return page
        done = 0
        for score in queryset.select_related("inspection__cooperative", "inspection__village", "farmer"):
            try:
                fund.award_hygiene(score, amount=amount, user=request.user)
                done += 1
            except fund.FundError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        if done:
            self.message_user(request, gettext("已向 %(n)d 户发放奖励。") % {"n": done})
        return None

    def has_award_permission(self, request):
        return self._can(request, self.edit_roles)
