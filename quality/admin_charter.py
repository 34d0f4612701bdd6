"""Admin for the charter: the report queue (with photos; "confirm" previews each household's
penalty with the clause before anything is decided), penalties, the appeal hearing (evidence side
by side) and the charter editor with its versions. Every button calls ``quality.services``."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop import tenancy
from coop.admin_support import CooperativeScopedAdmin
from coop.models import Farmer, Staff
from coop.services.audit import log_action
from quality.models import Appeal, BadEggReport, Charter, CharterError, Clause, Penalty
from quality.services import appeals as appeal_service
from quality.services import penalties as penalty_service
from quality.services import reports as report_service
from quality.services.charter import batch_eggs_by_household


class CharterMedia:
    css = {"all": ["css/charter.css"]}


def _roles(request, obj_coop_id, roles):
    return request.user.is_superuser or obj_coop_id in tenancy.cooperative_ids(request.user, roles)


def _photos_html(report, size=160):
    photos = list(report.photos.all())
    if not photos:
        return _("（没有照片）")
    return format_html_join(" ", '<a href="{}" target="_blank"><img src="{}" alt="" width="{}" class="gs-photo"></a>',
                            ((p.image.url, p.image.url, size) for p in photos))


# --- Reports --------------------------------------------------------------------------------

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

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a report changes only through its buttons (investigate / confirm / dismiss)

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
        chosen = [int(x) for x in request.POST.getlist("households") if x.isdigit()]
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


# --- Penalties ------------------------------------------------------------------------------

@admin.register(Penalty)
class PenaltyAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    list_display = ["id", "farmer", "report", "offence_number", "sanction", "status", "appeal_deadline", "applied_at"]
    list_filter = ["status", "public_notice", "warning"]
    search_fields = ["farmer__head_name", "farmer__member_no", "report__reference"]
    list_select_related = ["farmer", "report"]
    change_form_template = "quality/charter/admin/penalty_change.html"
    actions = ["apply_due"]
    fields = ["farmer", "report", "charter", "clause", "clause_text", "offence_number", "eggs", "warning",
              "proposed_amount", "amount", "suspension_days", "public_notice", "status", "status_reason",
              "notified_at", "appeal_deadline", "applied_at", "suspended_until", "closed_at", "created_by",
              "created_at"]
    readonly_fields = fields

    @admin.display(description=_lazy("处理"))
    def sanction(self, obj):
        return obj.sanction_summary()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # penalties move only through their services (apply, appeal, reverse)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_lazy("执行所选处罚（仅申诉期已过的）"))
    def apply_due(self, request, queryset):
        done, refused = 0, []
        for penalty in queryset.filter(status=Penalty.NOTIFIED):
            try:
                done += bool(penalty_service.apply_penalty(penalty, user=request.user, reason=_("管理员执行")))
            except CharterError as exc:
                refused.append(f"#{penalty.pk}: {exc}")
        messages.success(request, _("已执行 %(n)s 项处罚。") % {"n": done})
        for r in refused:
            messages.warning(request, r)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/appeal/", view(self.appeal_view), name="quality_penalty_appeal"),
            path("<int:pk>/reverse/", view(self.reverse_view), name="quality_penalty_reverse"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        penalty = self.get_queryset(request).filter(pk=object_id).first()
        if penalty is not None:
            is_manager = _roles(request, penalty.cooperative_id, (Staff.MANAGER,))
            extra_context.update(penalty=penalty, can_appeal=is_manager and penalty.appeal_open
                                 and not Appeal.objects.filter(penalty=penalty).exists(),
                                 can_reverse=is_manager and penalty.status == Penalty.APPLIED)
        return super().change_view(request, object_id, form_url, extra_context)

    def _form_view(self, request, pk, template, title, action):
        penalty = get_object_or_404(self.get_queryset(request), pk=pk)
        if not _roles(request, penalty.cooperative_id, (Staff.MANAGER,)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                action(penalty, request.POST.get("text", ""))
                return HttpResponseRedirect(reverse("admin:quality_penalty_change", args=[penalty.pk]))
            except CharterError as exc:
                messages.error(request, str(exc))
        return TemplateResponse(request, template, {**self.admin_site.each_context(request), "opts": self.model._meta,
                                                    "penalty": penalty, "title": title})

    def appeal_view(self, request, pk):
        def file(penalty, grounds):
            appeal = appeal_service.file_appeal(penalty, user=request.user, grounds=grounds)
            messages.success(request, _("已代农户提交申诉 #%(id)s，等待村民议事会审理。") % {"id": appeal.pk})
        return self._form_view(request, pk, "quality/charter/admin/penalty_appeal.html",
                               _("代农户提交申诉"), file)

    def reverse_view(self, request, pk):
        def undo(penalty, reason):
            penalty_service.reverse_penalty(penalty, user=request.user, reason=reason)
            messages.success(request, _("处罚已撤销，罚款已退回台账。"))
        return self._form_view(request, pk, "quality/charter/admin/penalty_reverse.html", _("撤销已执行的处罚"), undo)


# --- Appeals: the committee's hearing -------------------------------------------------------

class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_lazy("裁决"), choices=Appeal.DECISIONS, widget=forms.RadioSelect)
    amount = forms.DecimalField(label=_lazy("减轻后的罚款（元）"), required=False, min_value=0, decimal_places=2)
    suspension_days = forms.IntegerField(label=_lazy("减轻后的暂停天数"), required=False, min_value=0)
    members_present = forms.CharField(label=_lazy("到会的议事会成员"), max_length=300)
    reason = forms.CharField(label=_lazy("裁决理由"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Appeal)
class AppealAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    cooperative_path = "penalty__cooperative"
    list_display = ["id", "farmer", "penalty", "filed_at", "on_behalf", "status", "decision", "decided_at"]
    list_filter = ["status", "decision", "on_behalf"]
    search_fields = ["penalty__farmer__head_name", "penalty__report__reference"]
    list_select_related = ["penalty__farmer", "penalty__report"]
    change_form_template = "quality/charter/admin/appeal_hearing.html"
    fields = ["penalty", "grounds", "filed_by", "on_behalf", "filed_at", "status", "decision", "decided_amount",
              "decided_suspension_days", "members_present", "decision_reason", "decided_by", "decided_at"]
    readonly_fields = fields

    @admin.display(description=_lazy("农户"), ordering="penalty__farmer__member_no")
    def farmer(self, obj):
        return obj.penalty.farmer

    def has_add_permission(self, request):
        return False  # filed from the penalty ("代农户提交申诉") or by the household

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = get_object_or_404(self.get_queryset(request).select_related(
            "penalty__farmer", "penalty__report__batch", "penalty__clause", "penalty__charter"), pk=object_id)
        penalty = appeal.penalty
        can_decide = appeal.status == Appeal.PENDING and _roles(request, penalty.cooperative_id, (Staff.COMMITTEE,))
        form = DecisionForm(request.POST or None) if can_decide else None
        if request.method == "POST" and form is not None and form.is_valid():
            d = form.cleaned_data
            try:
                appeal_service.decide_appeal(appeal, user=request.user, decision=d["decision"], reason=d["reason"],
                                             members_present=d["members_present"], amount=d["amount"],
                                             suspension_days=d["suspension_days"])
                messages.success(request, _("裁决已记录并通知农户。"))
                return HttpResponseRedirect(reverse("admin:quality_appeal_change", args=[appeal.pk]))
            except CharterError as exc:
                form.add_error(None, str(exc))
        history = (Penalty.objects.filter(farmer=penalty.farmer).exclude(pk=penalty.pk)
                   .select_related("report").order_by("-created_at")[:10])
        in_batch = batch_eggs_by_household(penalty.report.batch)
        extra_context = {**(extra_context or {}), "appeal": appeal, "penalty": penalty, "report": penalty.report,
                         "photos": _photos_html(penalty.report, 200), "decision_form": form, "history": history,
                         "in_batch": sorted(in_batch.items(), key=lambda kv: kv[0].member_no)}
        return super().change_view(request, object_id, form_url, extra_context)


# --- The charter editor ---------------------------------------------------------------------

class ClauseInline(admin.TabularInline):
    model = Clause
    extra = 1
    fields = ["number", "defect", "from_offence", "text", "warning", "fine_per_egg", "fine_fixed",
              "suspension_days", "public_notice"]

    def _in_use(self, obj):
        return obj is not None and obj.pk and obj.penalties.exists()

    def has_add_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_delete_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Charter)
class CharterAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    list_display = ["cooperative", "version", "title", "adopted_on", "effective_from", "votes", "in_force"]
    list_filter = ["cooperative"]
    inlines = [ClauseInline]
    actions = ["new_version"]
    readonly_fields = ["version", "created_by", "created_at"]
    fieldsets = [
        (None, {"fields": ["cooperative", "version", "title", "text"]}),
        (_lazy("村民大会"), {"fields": ["adopted_on", "effective_from", "assembly_attendance", "votes_for",
                                     "votes_against", "votes_abstain", "assembly_record"]}),
        (_lazy("程序"), {"fields": ["appeal_window_days", "notice_days", "lookback_days", "attribution_rule",
                                  "name_mask"]}),
        (_lazy("记录"), {"fields": ["created_by", "created_at"]}),
    ]

    @admin.display(description=_lazy("表决（赞成/反对/弃权）"))
    def votes(self, obj):
        return f"{obj.votes_for}/{obj.votes_against}/{obj.votes_abstain} · {obj.assembly_attendance}"

    @admin.display(description=_lazy("今日生效"), boolean=True)
    def in_force(self, obj):
        from quality.services.charter import charter_in_force

        return charter_in_force(obj.cooperative, timezone.localdate()) == obj

    def get_readonly_fields(self, request, obj=None):
        # A version that has judged someone is history: it is never edited, only superseded.
        if obj is not None and obj.penalties.exists():
            return [f for fs in self.fieldsets for f in fs[1]["fields"]]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not obj.penalties.exists() and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            latest = Charter.objects.filter(cooperative=obj.cooperative).aggregate(m=Max("version"))["m"]
            obj.version = (latest or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        log_action(obj, "charter.adopted" if not change else "charter.edited", user=request.user,
                   data={"version": obj.version, "votes_for": obj.votes_for, "votes_against": obj.votes_against})

    @admin.action(description=_lazy("以所选版本为底稿起草新版本"))
    def new_version(self, request, queryset):
        for old in queryset:
            with transaction.atomic():
                version = (Charter.objects.filter(cooperative=old.cooperative)
                           .aggregate(m=Max("version"))["m"] or 0) + 1
                today = timezone.localdate()
                new = Charter.objects.create(
                    cooperative=old.cooperative, version=version, title=old.title, text=old.text,
                    adopted_on=today, effective_from=today + datetime.timedelta(days=30),
                    appeal_window_days=old.appeal_window_days, notice_days=old.notice_days,
                    lookback_days=old.lookback_days, attribution_rule=old.attribution_rule,
                    name_mask=old.name_mask, created_by=request.user,
                    assembly_record=_("草稿：请填写村民大会的到会人数和表决结果。"))
                for c in old.clauses.all():
                    c.pk, c.charter = None, new
                    c.save()
                log_action(new, "charter.drafted", user=request.user, data={"from_version": old.version})
            messages.success(request, _("已起草第 %(v)s 版，请修改并填写村民大会记录。") % {"v": version})
