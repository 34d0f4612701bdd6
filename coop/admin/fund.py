"""Admin of the hygiene fund: donations, fund entries, inspections and scores."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, CooperativeScopedAdmin, ask_one_value, money
from coop.lib import tenancy
from coop.lib.words import yuan
from coop.models import (
    Cooperative,
    Donation,
    FundEntry,
    HygieneInspection,
    HygieneScore,
)
from coop.services import fund
from coop.services.audit import log_action


class DonationForm(forms.ModelForm):
    class Meta:
        model = Donation
        fields = ["cooperative", "donor", "amount", "hygiene_reserve", "purpose", "received_on"]


@admin.register(Donation)
class DonationAdmin(CooperativeScopedAdmin):
    form = DonationForm
    list_display = ("received_on", "donor", "amount", "hygiene_reserve", "purpose", "recorded_by")
    list_select_related = ("recorded_by",)  # nullable: Django's own select_related() would skip it
    search_fields = ("donor", "purpose")
    date_hierarchy = "received_on"
    may_delete = False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

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
    list_display = ("occurred_on", "pool", "kind", money("amount", _("金额")), "reason", "farmer", "created_by")
    list_select_related = ("farmer", "created_by")  # nullable: Django's own select_related() would skip them
    list_filter = ("pool", "kind")
    search_fields = ("reason", "farmer__head_name", "farmer__member_no")

    def changelist_view(self, request, extra_context=None):

        coops = Cooperative.objects.filter(pk__in=tenancy.cooperative_ids(request.user))
        extra_context = {**(extra_context or {}),
                         "subtitle": " · ".join(f"{c.short_name or c.name}: "
                                                + "，".join(f"{dict(FundEntry.POOLS)[p]} {yuan(v)}"
                                                           for p, v in fund.balances(c).items())
                                                for c in coops)}
        return super().changelist_view(request, extra_context)


class HygieneScoreFormSet(forms.BaseInlineFormSet):
    """Every score of an inspection is of a household of the inspected village (the service's rule).

    Checked here against the inspection as the page is saving it (``self.instance`` carries the village
    just chosen), so changing the village or picking a neighbour's household is refused with the
    service's message beside the row, and nothing is saved."""

    def clean(self):
        super().clean()
        inspection = self.instance
        if not (inspection.cooperative_id and inspection.village_id):
            return  # the inspection's own form is invalid and says so
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or data.get("farmer") is None:
                continue
            try:
                fund.check_scored_household(cooperative=inspection.cooperative, village=inspection.village,
                                            farmer=data["farmer"])
            except fund.FundError as exc:
                form.add_error("farmer", str(exc))


class HygieneScoreInline(admin.TabularInline):
    model = HygieneScore
    formset = HygieneScoreFormSet
    extra = 3
    fields = ("farmer", "score", "award", "awarded_at")
    readonly_fields = ("award", "awarded_at")

    def _staff(self, request):

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

            field.queryset = field.queryset.filter(cooperative__in=tenancy.cooperative_ids(request.user))
        return field

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and obj.village_id:
            # An inspection already saved offers only its village's households (a new one does not know its
            # village yet; the formset's check refuses a neighbour there).
            field = formset.form.base_fields["farmer"]
            field.queryset = field.queryset.filter(cooperative=obj.cooperative_id, village=obj.village_id)
        return formset


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
    may_add = False
    may_change = False
    may_delete = False

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
