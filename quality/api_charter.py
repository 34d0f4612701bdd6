"""REST API of the charter: /api/reports/, /api/penalties/, /api/charters/, /api/appeals/.

Every write goes through ``quality.services``; a CharterError becomes the one error shape with a
400. Rows of another cooperative answer 404. The public report form is the page at
``/t/<code>/report/``; through the API, staff (inspector at packing, manager) file reports.
"""

import json

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from coop import tenancy
from coop.api_support import CooperativeScopedViewSet, domain_error_response
from coop.models import Farmer, Staff
from quality.models import Appeal, BadEggReport, Charter, CharterError, Clause, Penalty
from quality.services import appeals as appeal_service
from quality.services import penalties as penalty_service
from quality.services import reports as report_service

# --- Serializers ----------------------------------------------------------------------------


class ReportSerializer(serializers.ModelSerializer):
    batch_code = serializers.CharField(source="batch.code", read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = BadEggReport
        fields = ["id", "reference", "cooperative", "batch", "batch_code", "source", "order_ref", "eggs", "defect",
                  "stamp_code", "note", "contact_name", "contact_phone", "status", "status_reason",
                  "decided_at", "duplicates_merged", "remedy", "created_at", "photos"]
        read_only_fields = ["id", "reference", "cooperative", "source", "status", "status_reason", "decided_at",
                            "duplicates_merged", "remedy", "created_at", "photos"]

    def get_photos(self, obj) -> list[str]:
        return [p.image.url for p in obj.photos.all()]


class PenaltySerializer(serializers.ModelSerializer):
    farmer_name = serializers.CharField(source="farmer.head_name", read_only=True)
    report_reference = serializers.CharField(source="report.reference", read_only=True)
    clause_number = serializers.CharField(source="clause.number", read_only=True)
    sanction = serializers.CharField(source="sanction_summary", read_only=True)

    class Meta:
        model = Penalty
        fields = ["id", "farmer", "farmer_name", "report", "report_reference", "charter", "clause", "clause_number",
                  "clause_text", "offence_number", "eggs", "warning", "proposed_amount", "amount",
                  "suspension_days", "public_notice", "sanction", "status", "status_reason", "notified_at",
                  "appeal_deadline", "applied_at", "suspended_until", "closed_at"]
        read_only_fields = fields


class ClauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clause
        fields = ["id", "number", "defect", "from_offence", "text", "warning", "fine_per_egg", "fine_fixed",
                  "suspension_days", "public_notice"]


class CharterSerializer(serializers.ModelSerializer):
    clauses = ClauseSerializer(many=True)

    class Meta:
        model = Charter
        fields = ["id", "cooperative", "version", "title", "text", "adopted_on", "effective_from",
                  "assembly_attendance", "votes_for", "votes_against", "votes_abstain", "assembly_record",
                  "appeal_window_days", "notice_days", "lookback_days", "attribution_rule", "name_mask",
                  "created_at", "clauses"]
        read_only_fields = ["id", "cooperative", "version", "created_at"]

    def validate(self, attrs):
        if attrs.get("adopted_on") and attrs.get("effective_from") and attrs["adopted_on"] > attrs["effective_from"]:
            raise serializers.ValidationError({"effective_from": [_("生效日期不能早于通过日期。")]})
        if not attrs.get("clauses"):
            raise serializers.ValidationError({"clauses": [_("公约至少要有一条处罚条款。")]})
        return attrs


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "penalty", "grounds", "on_behalf", "filed_at", "status", "decision", "decided_amount",
                  "decided_suspension_days", "members_present", "decision_reason", "decided_at"]
        read_only_fields = ["id", "on_behalf", "filed_at", "status", "decision", "decided_amount",
                            "decided_suspension_days", "members_present", "decision_reason", "decided_at"]


ConfirmRequest = inline_serializer("ReportConfirmRequest", {
    "reason": serializers.CharField(required=False, allow_blank=True),
    "households": serializers.DictField(child=serializers.IntegerField(), required=False,
                                        help_text="farmer id → eggs (must add up), or omit to use the charter's rule"),
})
ReasonRequest = inline_serializer("ReasonRequest", {"reason": serializers.CharField()})
PreviewRow = inline_serializer("PenaltyPreview", {
    "farmer": serializers.IntegerField(), "farmer_name": serializers.CharField(), "eggs": serializers.IntegerField(),
    "offence": serializers.IntegerField(), "clause": serializers.CharField(), "clause_text": serializers.CharField(),
    "amount": serializers.DecimalField(max_digits=10, decimal_places=2), "sanction": serializers.CharField()},
    many=True)
DecideRequest = inline_serializer("AppealDecision", {
    "decision": serializers.ChoiceField(choices=Appeal.DECISIONS), "reason": serializers.CharField(),
    "members_present": serializers.CharField(),
    "amount": serializers.DecimalField(max_digits=10, decimal_places=2, required=False),
    "suspension_days": serializers.IntegerField(required=False, min_value=0)})


def _households(report, raw):
    """``{"<farmer id>": eggs}`` (a JSON object in a query string for the preview) → {Farmer: eggs}."""
    if not raw:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise CharterError(_("households 应为 JSON 对象，例如 {\"12\": 2}。")) from None
    if not isinstance(raw, dict):
        raise CharterError(_("households 应为 JSON 对象，例如 {\"12\": 2}。"))
    try:
        ids = {int(k): int(v) for k, v in raw.items()}
    except (TypeError, ValueError):
        raise CharterError(_("households 应为 JSON 对象，例如 {\"12\": 2}。")) from None
    farmers = {f.pk: f for f in Farmer.objects.filter(cooperative=report.cooperative, pk__in=ids)}
    if len(farmers) != len(ids):
        raise CharterError(_("只能指定本合作社的农户。"))
    return {farmers[k]: v for k, v in ids.items()}


# --- Views ----------------------------------------------------------------------------------


class ReportViewSet(CooperativeScopedViewSet):
    """Bad-egg reports of the caller's cooperatives. Inspectors and managers may file; managers decide."""

    serializer_class = ReportSerializer
    queryset = BadEggReport.objects.select_related("batch").prefetch_related("photos")
    filterset_fields = ["status", "defect", "source", "batch"]
    search_fields = ["reference", "batch__code", "order_ref"]
    http_method_names = ["get", "post", "head", "options"]
    edit_roles = (Staff.MANAGER, Staff.INSPECTOR)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = data["batch"]
        if batch.cooperative_id not in tenancy.cooperative_ids(request.user, self.edit_roles):
            return domain_error_response(_("找不到这个批次。"), code="not_found", status=404)
        role_ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
        source = BadEggReport.SOURCE_MANAGER if batch.cooperative_id in role_ids else BadEggReport.SOURCE_INSPECTOR
        try:
            report, merged = report_service.submit_report(
                batch=batch, eggs=data["eggs"], defect=data["defect"], source=source,
                stamp_code=data.get("stamp_code", ""), note=data.get("note", ""),
                contact_name=data.get("contact_name", ""), contact_phone=data.get("contact_phone", ""),
                order_ref=data.get("order_ref", ""), user=request.user, rate_limited=False)
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(self.get_serializer(report).data, status=200 if merged else 201)

    def _manager_report(self):
        report = self.get_object()
        if report.cooperative_id not in tenancy.cooperative_ids(self.request.user, (Staff.MANAGER,)):
            raise CharterError(_("只有合作社管理员可以处理报告。"))
        return report

    @extend_schema(request=None, responses=PreviewRow)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """What confirming would decide, household by household (nothing is saved)."""
        report = self.get_object()
        try:
            _charter, rows = report_service.preview_penalties(
                report, _households(report, request.query_params.get("households")))
        except CharterError as exc:
            return domain_error_response(exc)
        return Response([{"farmer": r["farmer"].pk, "farmer_name": r["farmer"].head_name, "eggs": r["eggs"],
                          "offence": r["offence"], "clause": r["clause"].number, "clause_text": r["clause"].text,
                          "amount": str(r["amount"]), "sanction": r["summary"]} for r in rows])

    @extend_schema(request=ReasonRequest, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        try:
            report = report_service.start_investigation(self._manager_report(), user=request.user,
                                                        reason=request.data.get("reason", ""))
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=ConfirmRequest, responses=PenaltySerializer(many=True))
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        try:
            report = self._manager_report()
            penalties = report_service.confirm_report(
                report, user=request.user, reason=request.data.get("reason", ""),
                households=_households(report, request.data.get("households")))
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(PenaltySerializer(penalties, many=True).data, status=201)

    @extend_schema(request=ReasonRequest, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        try:
            report = report_service.dismiss_report(self._manager_report(), user=request.user,
                                                   reason=request.data.get("reason", ""))
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(self.get_serializer(report).data)


class PenaltyViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff see their cooperatives' penalties; a household signed in sees only its own."""

    serializer_class = PenaltySerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Penalty.objects.none()
    filterset_fields = ["status", "farmer", "report"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Penalty.objects.none()
        return (penalty_service.penalties_visible_to(self.request.user)
                .select_related("farmer", "report", "clause").order_by("-created_at", "-id"))

    def _manager_penalty(self):
        penalty = self.get_object()
        if penalty.cooperative_id not in tenancy.cooperative_ids(self.request.user, (Staff.MANAGER,)):
            raise CharterError(_("只有合作社管理员可以执行或撤销处罚。"))
        return penalty

    @extend_schema(request=None, responses=PenaltySerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply now — only once the appeal window has closed."""
        try:
            penalty = self._manager_penalty()
            penalty_service.apply_penalty(penalty, user=request.user, reason=_("管理员执行"))
        except CharterError as exc:
            return domain_error_response(exc)
        penalty.refresh_from_db()
        return Response(self.get_serializer(penalty).data)

    @extend_schema(request=ReasonRequest, responses=PenaltySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        try:
            penalty = self._manager_penalty()
            penalty_service.reverse_penalty(penalty, user=request.user, reason=request.data.get("reason", ""))
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(self.get_serializer(penalty).data)


class CharterViewSet(CooperativeScopedViewSet):
    """Charter versions. A version is never edited: adopt a new one (POST) with its assembly record."""

    serializer_class = CharterSerializer
    queryset = Charter.objects.prefetch_related("clauses")
    http_method_names = ["get", "post", "head", "options"]

    @transaction.atomic
    def perform_create(self, serializer):
        coop = self.caller_cooperative(self.request.data.get("cooperative"))
        from django.db.models import Max

        from coop.services.audit import log_action

        clauses = serializer.validated_data.pop("clauses")
        version = (Charter.objects.filter(cooperative=coop).aggregate(m=Max("version"))["m"] or 0) + 1
        charter = serializer.save(cooperative=coop, version=version, created_by=self.request.user)
        for c in clauses:
            Clause.objects.create(charter=charter, **c)
        log_action(charter, "charter.adopted", user=self.request.user,
                   data={"version": version, "votes_for": charter.votes_for, "votes_against": charter.votes_against})


class AppealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals. The household files its own; a manager files on its behalf; the committee decides."""

    serializer_class = AppealSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Appeal.objects.none()
    filterset_fields = ["status", "decision"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        visible = penalty_service.penalties_visible_to(self.request.user)
        return Appeal.objects.filter(penalty__in=visible).select_related("penalty").order_by("-filed_at")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        penalty = get_object_or_404(penalty_service.penalties_visible_to(request.user),
                                    pk=serializer.validated_data["penalty"].pk)
        try:
            appeal = appeal_service.file_appeal(penalty, user=request.user,
                                                grounds=serializer.validated_data["grounds"])
        except CharterError as exc:
            return domain_error_response(exc)
        return Response(self.get_serializer(appeal).data, status=201)

    @extend_schema(request=DecideRequest, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        appeal = self.get_object()
        try:
            appeal_service.decide_appeal(
                appeal, user=request.user, decision=request.data.get("decision", ""),
                reason=request.data.get("reason", ""), members_present=request.data.get("members_present", ""),
                amount=request.data.get("amount"), suspension_days=request.data.get("suspension_days"))
        except CharterError as exc:
            return domain_error_response(exc)
        appeal.refresh_from_db()
        return Response(self.get_serializer(appeal).data)


router = SimpleRouter()
router.register("reports", ReportViewSet, basename="report")
router.register("penalties", PenaltyViewSet, basename="penalty")
router.register("charters", CharterViewSet, basename="charter")
router.register("appeals", AppealViewSet, basename="appeal")

urlpatterns = router.urls
