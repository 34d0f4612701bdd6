"""Admin of penalties: waive and reverse."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.admin.base import CooperativeScopedAdmin
from coop.models import Staff
from quality.admin.base import CharterMedia, _roles
from quality.models import Appeal, CharterError, Penalty
from quality.services import appeals as appeal_service
from quality.services import penalties as penalty_service


@admin.register(Penalty)
class PenaltyAdmin(CooperativeScopedAdmin):
    Media = CharterMedia
    list_display = ["id", "dated", "farmer", "report", "offence_number", "sanction", "status", "appeal_deadline",
                    "applied_at"]
    list_filter = ["status", "public_notice", "warning"]
    search_fields = ["farmer__head_name", "farmer__member_no", "report__reference"]
    list_select_related = ["farmer", "report__batch"]  # a report names its batch
    change_form_template = "quality/charter/admin/penalty_change.html"
    actions = ["apply_due"]
    fields = ["farmer", "dated", "report", "charter", "clause", "clause_text", "offence_number", "eggs", "warning",
              "proposed_amount", "amount", "suspension_days", "public_notice", "status", "status_reason",
              "notified_at", "appeal_deadline", "applied_at", "suspended_until", "closed_at", "created_by",
              "created_at"]
    readonly_fields = fields
    may_add = False
    may_change = False  # penalties move only through their services (apply, appeal, reverse)
    may_delete = False

    @admin.display(description=_lazy("日期"), ordering="report__created_at")
    def dated(self, obj):
        """The penalty's one date (Penalty.dated_on), as on the farmer's page, the payslip and the messages."""
        return obj.dated_on

    @admin.display(description=_lazy("处理"))
    def sanction(self, obj):
        return obj.sanction_summary()

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
