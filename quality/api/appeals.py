"""API of appeals (/api/appeals/)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.lib.drf import body_text
from coop.services import twofactor
from quality.models import Appeal
from quality.services import appeals as appeal_service
from quality.services import penalties as penalty_service


class AppealSerializer(serializers.ModelSerializer):
    # "" until the committee decides. Read-only fields built from the model drop its blank=True, so the
    # schema said one of the three decisions and an undecided appeal broke it; declared, it says "" too.
    decision = serializers.ChoiceField(choices=Appeal.DECISIONS, allow_blank=True, read_only=True)
    # The household's voice note: the checked address (""), never the file's path; it answers only the people
    # who may hear it (quality.services.appeals.voice_notes_visible_to), whoever reads this list.
    voice_url = serializers.CharField(read_only=True)
    voice_seconds = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Appeal
        fields = ["id", "penalty", "grounds", "on_behalf", "wants_call", "voice_url", "voice_seconds", "filed_at",
                  "status", "decision", "decided_amount", "decided_suspension_days", "members_present",
                  "decision_reason", "decided_at"]
        read_only_fields = ["id", "on_behalf", "wants_call", "filed_at", "status", "decision", "decided_amount",
                            "decided_suspension_days", "members_present", "decision_reason", "decided_at"]


DecideRequest = inline_serializer("AppealDecision", {
    "decision": serializers.ChoiceField(choices=Appeal.DECISIONS), "reason": serializers.CharField(),
    "members_present": serializers.CharField(),
    "amount": serializers.DecimalField(max_digits=10, decimal_places=2, required=False),
    "suspension_days": serializers.IntegerField(required=False, min_value=0)})


class AppealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals. The household files its own; a manager files on its behalf; the committee decides."""

    serializer_class = AppealSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Appeal.objects.none()
    filterset_fields = ["status", "decision"]

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
        appeal = appeal_service.file_appeal(penalty, user=request.user,
                                            grounds=serializer.validated_data["grounds"])
        return Response(self.get_serializer(appeal).data, status=201)

    @extend_schema(request=DecideRequest, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        twofactor.check_verified(request.user)  # upholds or waives a fine (asked only of the roles that pay out)
        appeal = self.get_object()
        appeal_service.decide_appeal(
            appeal, user=request.user, decision=body_text(request.data, "decision"),
            reason=body_text(request.data, "reason"), members_present=body_text(request.data, "members_present"),
            amount=request.data.get("amount"), suspension_days=request.data.get("suspension_days"))
        appeal.refresh_from_db()
        return Response(self.get_serializer(appeal).data)
