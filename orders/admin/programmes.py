"""Admin of the pairing programmes: managers set up programmes, organisations, members, pledges and
coordinators; attributions, statements and acceptance ratings are records (read-only here)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from coop.admin.base import AppendOnlyAdmin, CooperativeScopedAdmin, PageFiguresAdmin
from coop.lib import tenancy
from coop.lib.media import PrivateFileInput
from coop.models import Batch
from coop.services.audit import log_action
from orders.models.programmes import (
    AcceptanceRating,
    BuyerAffiliation,
    BuyerOrganisation,
    InstitutionalTerms,
    MonitoringPolicy,
    Pledge,
    Programme,
    ProgrammeAttribution,
    ProgrammeCoordinator,
    Statement,
)
from orders.services import programmes as svc


class LoggedAdmin(CooperativeScopedAdmin):
    """Every save through the admin leaves an audit event (who, when, what). Many-to-many choices
    (villages, programmes) are limited to the user's cooperatives like the foreign keys are."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        model = db_field.remote_field.model
        if field is not None and not request.user.is_superuser and any(
                f.name == "cooperative" for f in model._meta.get_fields()):

            field.queryset = field.queryset.filter(cooperative__in=tenancy.cooperative_ids(request.user,
                                                                                             self.edit_roles))
        return field

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'changed' if change else 'created'}"
        log_action(obj, action, user=request.user, data={"fields": sorted(form.changed_data)})


@admin.register(Programme)
class ProgrammeAdmin(PageFiguresAdmin, LoggedAdmin):
    list_display = ["name", "east_organisation", "starts_on", "ends_on", "status", "code", "income", "report"]
    list_filter = ["status", "east_province"]
    search_fields = ["name", "east_organisation", "code"]
    filter_horizontal = ["villages"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "agreement" in form.base_fields:  # a private file: link to the checked view
            widget = PrivateFileInput()
            widget.checked_url = reverse("shop:programme-agreement", args=[obj.pk])
            form.base_fields["agreement"].widget = widget
        return form

    @admin.display(description=_("已计入（元）"))
    def income(self, obj):
        income = getattr(obj, "counted_income", None)
        return income if income is not None else svc.counted_total(obj)

    def page_figures(self, rows):
        incomes = svc.counted_totals([p.pk for p in rows])
        for p in rows:
            p.counted_income = incomes[p.pk]

    @admin.display(description=_("报告"))
    def report(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("shop:programme-report", args=[obj.pk]), _("查看"))

class AffiliationInline(admin.TabularInline):
    model = BuyerAffiliation
    extra = 0
    raw_id_fields = ["buyer"]


@admin.register(BuyerOrganisation)
class BuyerOrganisationAdmin(LoggedAdmin):
    list_display = ["name", "kind", "contact_name", "contact_phone", "default_programme"]
    list_filter = ["kind"]
    search_fields = ["name", "contact_name", "tax_number"]
    filter_horizontal = ["programmes"]
    inlines = [AffiliationInline]


@admin.register(Pledge)
class PledgeAdmin(PageFiguresAdmin, LoggedAdmin):
    cooperative_path = "programme__cooperative"
    list_display = ["organisation", "programme", "amount", "period_start", "period_end", "progress"]
    list_filter = ["programme"]
    readonly_fields = ["created_by"]  # who registered it: set by the service, never picked from a list

    @admin.display(description=_("进度"))
    def progress(self, obj):
        p = getattr(obj, "progress", None) or svc.pledge_progress(obj)
        return f"¥{p['done']} / ¥{p['amount']}（{p['percent']}%）"

    def page_figures(self, rows):
        progress = svc.pledges_progress(rows)
        for p in rows:
            p.progress = progress[p.pk]

    def save_model(self, request, obj, form, change):
        if not change:
            # Registered like the API registers one: the same save and the same ``pledge.registered`` entry.
            svc.register_pledge(obj, user=request.user)
            return
        super().save_model(request, obj, form, change)


@admin.register(ProgrammeCoordinator)
class ProgrammeCoordinatorAdmin(LoggedAdmin):
    cooperative_path = "programme__cooperative"
    list_display = ["user", "programme", "created_at"]
    raw_id_fields = ["user"]

    def user_choices(self, request, ids):
        # Coordinators already named on the cooperative's programmes, its staff and its buyers (the
        # east side's people order from it); a new coordinator's account is set up by the platform.
        return get_user_model().objects.filter(
            Q(staff_roles__cooperative__in=ids) | Q(coordinated__programme__cooperative__in=ids)
            | Q(buyer__orders__cooperative__in=ids), is_active=True)


@admin.register(ProgrammeAttribution)
class ProgrammeAttributionAdmin(AppendOnlyAdmin):
    cooperative_path = "programme__cooperative"
    list_display = ["order", "programme", "organisation", "source", "order_status", "created_at"]
    list_select_related = ["order", "programme", "organisation"]
    list_filter = ["programme", "source"]
    search_fields = ["order__number", "organisation__name"]

    @admin.display(description=_("订单状态"))
    def order_status(self, obj):
        return obj.order.get_status_display()


@admin.register(Statement)
class StatementAdmin(AppendOnlyAdmin):
    cooperative_path = "programme__cooperative"
    list_display = ["code", "kind", "organisation", "programme", "period_start", "period_end", "amount", "pdf"]
    list_filter = ["kind", "programme"]
    search_fields = ["code", "organisation__name"]

    @admin.display(description=_("金额（元）"))
    def amount(self, obj):
        return obj.figures.get("amount")

    @admin.display(description="PDF")
    def pdf(self, obj):
        return format_html('<a href="{}">PDF</a> · <a href="{}">{}</a>',
                           reverse("shop:programme-statement-pdf", args=[obj.code]),
                           reverse("shop:programme-verify", args=[obj.code]), _("验证页"))


@admin.register(AcceptanceRating)
class AcceptanceRatingAdmin(AppendOnlyAdmin):
    """Shown to managers beside quality data: each rating with the batches the order's eggs came from."""

    cooperative_path = "order__cooperative"
    list_display = ["order", "stars_display", "comment", "batches", "rated_at"]
    list_filter = ["stars"]

    @admin.display(description=_("评分"))
    def stars_display(self, obj):
        return "★" * obj.stars + "☆" * (5 - obj.stars)

    @admin.display(description=_("批次"))
    def batches(self, obj):

        codes = Batch.objects.filter(allocations__line__order=obj.order).distinct().values_list("code", flat=True)
        return format_html_join("、", "{}", ((c,) for c in codes))


@admin.register(InstitutionalTerms)
class InstitutionalTermsAdmin(LoggedAdmin):
    cooperative_path = "order__cooperative"
    list_display = ["order", "purchase_order_ref", "schedule", "deliver_to"]
    raw_id_fields = ["order"]


@admin.register(MonitoringPolicy)
class MonitoringPolicyAdmin(LoggedAdmin):
    list_display = ["cooperative", "drop_percent", "lookback_months", "min_monthly_income"]
