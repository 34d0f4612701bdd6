"""Admin of bad-egg reports: investigation, confirmation, dismissal, remedy."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.admin.base import CooperativeScopedAdmin
from coop.lib.validators import optional_id
from coop.models import Farmer, Staff
from quality.admin.base import CharterMedia, _photos_html, _roles
from quality.models import BadEggReport, CharterError
from quality.services import reports as report_service
from quality.services.charter import batch_eggs_by_household


class ReportAddForm(forms.ModelForm):
    class Meta:
        model = BadEggReport
        fields = ["batch", "eggs", "defect", "stamp_code", "order_ref", "note", "contact_name", "contact_phone"]


@admin.register(BadEggReport)
class BadEggReportAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    list_display = ["reference", "created_at", "batch", "eggs", "defect", "source", "status_pill", "photo_count",
                    "duplicates_merged"]
    list_filter = ["status", "defect", "source"]
    search_fields = ["reference", "batch__code", "order_ref", "stamp_code"]
    date_hierarchy = "created_at"
    list_select_related = ["batch"]
    edit_roles = (Staff.MANAGER, Staff.INSPECTOR)
    change_form_template = "quality/charter/admin/report_change.html"
    may_delete = False
    may_change = False  # a report changes only through its buttons (investigate / confirm / dismiss)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_photos=Count("photos"))

    @admin.display(description=_lazy("状态"), ordering="status")
    def status_pill(self, obj):
        return format_html('<b class="gs-status gs-{}">{}</b>', obj.status, obj.get_status_display())

    @admin.display(description=_lazy("照片"), ordering="n_photos")
    def photo_count(self, obj):
        return obj.n_photos

    @admin.display(description=_lazy("照片"))
    def photo_previews(self, obj):
        return _photos_html(obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ReportAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ReportAddForm.Meta.fields
        return ["reference", "status", "status_reason", "batch", "source", "eggs", "defect", "stamp_code", "order_ref",
                "note", "contact_name", "contact_phone", "photo_previews", "duplicates_merged", "remedy",
                "created_at", "decided_by", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        # Reports are received by the service (so photos, duplicates and the audit trail are handled the same
        # way whoever files them); the admin form only collects the fields.
        if change:
            return
        d = form.cleaned_data
        is_manager = _roles(request, d["batch"].cooperative_id, (Staff.MANAGER,))
        report, _merged = report_service.submit_report(
            batch=d["batch"], eggs=d["eggs"], defect=d["defect"], stamp_code=d["stamp_code"], note=d["note"],
            order_ref=d["order_ref"], contact_name=d["contact_name"], contact_phone=d["contact_phone"],
            source=BadEggReport.SOURCE_MANAGER if is_manager else BadEggReport.SOURCE_INSPECTOR,
            user=request.user, rate_limited=False)
        obj.pk = report.pk
        obj.reference = report.reference

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", view(self.confirm_view), name="quality_badeggreport_confirm"),
            path("<int:pk>/dismiss/", view(self.dismiss_view), name="quality_badeggreport_dismiss"),
            path("<int:pk>/investigate/", view(self.investigate_view), name="quality_badeggreport_investigate"),
        ] + super().get_urls()

    def _manager_report(self, request, pk):
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        if not _roles(request, report.cooperative_id, (Staff.MANAGER,)):
            raise PermissionDenied
        return report

    def _back(self, report):
        return HttpResponseRedirect(reverse("admin:quality_badeggreport_change", args=[report.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        report = self.get_queryset(request).filter(pk=object_id).first()
        if report is not None:
            extra_context["can_decide"] = (report.status in (BadEggReport.RECEIVED, BadEggReport.INVESTIGATING)
                                           and _roles(request, report.cooperative_id, (Staff.MANAGER,)))
            extra_context["report"] = report
            extra_context["penalties"] = report.penalties.select_related("farmer", "clause")
            # Report → batch → households: whose eggs were in the batch, one tap from the report.
            extra_context["households"] = sorted(batch_eggs_by_household(report.batch).items(),
                                                 key=lambda item: (-item[1], item[0].member_no))
        return super().change_view(request, object_id, form_url, extra_context)

    def investigate_view(self, request, pk):
        report = self._manager_report(request, pk)
        if request.method == "POST":
            try:
                report_service.start_investigation(report, user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("已开始调查。"))
            except CharterError as exc:
                messages.error(request, str(exc))
        return self._back(report)

    def dismiss_view(self, request, pk):
        report = self._manager_report(request, pk)
        if request.method == "POST":
            try:
                report_service.dismiss_report(report, user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("报告已不予认定，报告人（如留了电话）会收到通知。"))
                return self._back(report)
            except CharterError as exc:
                messages.error(request, str(exc))
        return TemplateResponse(request, "quality/charter/admin/report_dismiss.html",
                                {**self.admin_site.each_context(request), "opts": self.model._meta,
                                 "report": report, "title": _("不予认定 %(ref)s") % {"ref": report.reference}})

    def confirm_view(self, request, pk):
        """Step 1 (GET): the proposed penalties, household by household, with the clause text.
        Step 2 (POST "confirm"): decide. Choosing households re-runs step 1 for those households."""
        report = self._manager_report(request, pk)
        in_batch = batch_eggs_by_household(report.batch)
        chosen = [i for i in map(optional_id, request.POST.getlist("households")) if i]
        households = None
        if chosen:
            households = list(Farmer.objects.filter(cooperative=report.cooperative, pk__in=chosen))
        error, rows, charter = "", [], None
        try:
            charter, rows = report_service.preview_penalties(report, households)
        except CharterError as exc:
            error = str(exc)
        if request.method == "POST" and request.POST.get("decide") == "confirm" and not error:
            try:
                created = report_service.confirm_report(report, user=request.user,
                                                        reason=request.POST.get("reason", ""), households=households)
                messages.success(request, _("已确认，%(n)s 户的处罚已告知，申诉期开始计算。") % {"n": len(created)})
                return self._back(report)
            except CharterError as exc:
                error = str(exc)
        candidates = list(in_batch) + [f for f in (households or []) if f not in in_batch]
        return TemplateResponse(request, "quality/charter/admin/report_confirm.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "report": report, "rows": rows,
            "charter": charter, "error": error, "candidates": [(f, in_batch.get(f, 0)) for f in candidates],
            "chosen": chosen, "photos": _photos_html(report, 120),
            "title": _("确认坏蛋报告 %(ref)s") % {"ref": report.reference},
        })
