"""Admin of appeals: the committee's decision."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.admin.base import CooperativeScopedAdmin
from coop.models import Staff
from quality.admin.base import CharterMedia, _photos_html, _roles
from quality.models import Appeal, CharterError, Penalty
from quality.services import appeals as appeal_service
from quality.services.charter import batch_eggs_by_household


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
    list_display = ["id", "farmer", "penalty", "filed_at", "on_behalf", "wants_call", "status", "decision",
                    "decided_at"]
    list_filter = ["status", "decision", "on_behalf"]
    search_fields = ["penalty__farmer__head_name", "penalty__report__reference"]
    list_select_related = ["penalty__farmer", "penalty__report"]
    change_form_template = "quality/charter/admin/appeal_hearing.html"
    fields = ["penalty", "grounds", "filed_by", "on_behalf", "wants_call", "voice", "filed_at", "status", "decision",
              "decided_amount", "decided_suspension_days", "members_present", "decision_reason", "decided_by",
              "decided_at"]
    readonly_fields = fields
    may_add = False  # filed from the penalty ("代农户提交申诉") or by the household
    may_delete = False
    may_change = False

    @admin.display(description=_lazy("录音"))
    def voice(self, obj):
        """A player for the household's voice note, through the checked view (never the file's /media/ path)."""
        if not obj.voice_note:
            return "—"
        return format_html('<audio controls preload="none" src="{}"></audio>', obj.voice_url)

    @admin.display(description=_lazy("农户"), ordering="penalty__farmer__member_no")
    def farmer(self, obj):
        return obj.penalty.farmer

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
