"""API of bad-egg reports (/api/reports/)."""

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.api.base import ScopedCreateReadViewSet
from coop.lib import tenancy
from coop.lib.drf import body_text
from coop.lib.validators import InvalidNumber, parse_id, parse_int
from coop.models import Farmer, Staff
from quality.api.base import ReasonRequest
from quality.api.penalties import PenaltySerializer
from quality.models import BadEggReport, CharterError
from quality.services import reports as report_service


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
        # The checked view's address: the file itself is private, never a /media/ path.
        return [p.private_url for p in obj.photos.all()]


ConfirmRequest = inline_serializer("ReportConfirmRequest", {
    "reason": serializers.CharField(required=False, allow_blank=True),
    "households": serializers.DictField(child=serializers.IntegerField(), required=False,
                                        help_text="farmer id → eggs (must add up), or omit to use the charter's rule"),
})




PreviewRow = inline_serializer("PenaltyPreview", {
    "farmer": serializers.IntegerField(), "farmer_name": serializers.CharField(), "eggs": serializers.IntegerField(),
    "offence": serializers.IntegerField(), "clause": serializers.CharField(), "clause_text": serializers.CharField(),
    "amount": serializers.DecimalField(max_digits=10, decimal_places=2), "sanction": serializers.CharField()},
    many=True)


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
        ids = {parse_id(k): parse_int(v, minimum=0, maximum=1_000_000) for k, v in raw.items()}
    except InvalidNumber:
        raise CharterError(_("households 应为 JSON 对象，例如 {\"12\": 2}。")) from None
    if None in ids or None in ids.values():
        raise CharterError(_("households 应为 JSON 对象，例如 {\"12\": 2}。"))
    farmers = {f.pk: f for f in Farmer.objects.filter(cooperative=report.cooperative, pk__in=ids)}
    if len(farmers) != len(ids):
        raise CharterError(_("只能指定本合作社的农户。"))
    return {farmers[k]: v for k, v in ids.items()}


class ReportViewSet(ScopedCreateReadViewSet):
    """Bad-egg reports of the caller's cooperatives. Inspectors and managers may file; managers decide."""

    serializer_class = ReportSerializer
    queryset = BadEggReport.objects.select_related("batch").prefetch_related("photos")
    filterset_fields = ["status", "defect", "source", "batch"]
    search_fields = ["reference", "batch__code", "order_ref"]
    edit_roles = (Staff.MANAGER, Staff.INSPECTOR)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = data["batch"]
        if batch.cooperative_id not in tenancy.cooperative_ids(request.user, self.edit_roles):
            raise exceptions.NotFound(_("找不到这个批次。"))
        role_ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
        source = BadEggReport.SOURCE_MANAGER if batch.cooperative_id in role_ids else BadEggReport.SOURCE_INSPECTOR
        report, merged = report_service.submit_report(
            batch=batch, eggs=data["eggs"], defect=data["defect"], source=source,
            stamp_code=data.get("stamp_code", ""), note=data.get("note", ""),
            contact_name=data.get("contact_name", ""), contact_phone=data.get("contact_phone", ""),
            order_ref=data.get("order_ref", ""), user=request.user, rate_limited=False)
        return Response(self.get_serializer(report).data, status=200 if merged else 201)

    def _manager_report(self):
        report = self.get_object()
        if report.cooperative_id not in tenancy.cooperative_ids(self.request.user, (Staff.MANAGER,)):
            raise CharterError(_("只有合作社管理员可以处理报告。"))
        return report

    @extend_schema(request=None, responses=PreviewRow, parameters=[OpenApiParameter(
        "households", str, description='某户承担几枚，JSON 对象，例如 {"12": 2}（不填则按批次来源分摊）')])
    # One report's households, answered whole: not a page of rows (the schema said it was paginated).
    @action(detail=True, methods=["get"], pagination_class=None)
    def preview(self, request, pk=None):
        """What confirming would decide, household by household (nothing is saved)."""
        report = self.get_object()
        _charter, rows = report_service.preview_penalties(
            report, _households(report, request.query_params.get("households")))
        return Response([{"farmer": r["farmer"].pk, "farmer_name": r["farmer"].head_name, "eggs": r["eggs"],
                          "offence": r["offence"], "clause": r["clause"].number, "clause_text": r["clause"].text,
                          "amount": str(r["amount"]), "sanction": r["summary"]} for r in rows])

    @extend_schema(request=ReasonRequest, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        report = report_service.start_investigation(self._manager_report(), user=request.user,
                                                    reason=body_text(request.data, "reason"))
        return Response(self.get_serializer(report).data)

    @extend_schema(request=ConfirmRequest, responses=PenaltySerializer(many=True))
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        report = self._manager_report()
        penalties = report_service.confirm_report(
            report, user=request.user, reason=body_text(request.data, "reason"),
            households=_households(report, request.data.get("households")))
        return Response(PenaltySerializer(penalties, many=True).data, status=201)

    @extend_schema(request=ReasonRequest, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        report = report_service.dismiss_report(self._manager_report(), user=request.user,
                                               reason=body_text(request.data, "reason"))
        return Response(self.get_serializer(report).data)
