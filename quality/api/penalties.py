"""API of penalties (/api/penalties/)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.lib import tenancy
from coop.lib.drf import body_text
from coop.models import Staff
from coop.services import twofactor
from quality.api.base import ReasonRequest
from quality.models import CharterError, Penalty
from quality.services import penalties as penalty_service


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
        twofactor.check_verified(self.request.user)  # a fine moves a household's money: 403 until verified
        penalty = self.get_object()
        if penalty.cooperative_id not in tenancy.cooperative_ids(self.request.user, (Staff.MANAGER,)):
            raise CharterError(_("只有合作社管理员可以执行或撤销处罚。"))
        return penalty

    @extend_schema(request=None, responses=PenaltySerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply now — only once the appeal window has closed."""
        penalty = self._manager_penalty()
        penalty_service.apply_penalty(penalty, user=request.user, reason=_("管理员执行"))
        penalty.refresh_from_db()
        return Response(self.get_serializer(penalty).data)

    @extend_schema(request=ReasonRequest, responses=PenaltySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        penalty = self._manager_penalty()
        penalty_service.reverse_penalty(penalty, user=request.user, reason=body_text(request.data, "reason"))
        return Response(self.get_serializer(penalty).data)
