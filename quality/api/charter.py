"""API of the charter (/api/charters/)."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from rest_framework import serializers

from coop.api.base import ScopedCreateReadViewSet
from coop.services.audit import log_action
from quality.models import Charter, Clause


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


class CharterViewSet(ScopedCreateReadViewSet):
    """Charter versions. A version is never edited: adopt a new one (POST) with its assembly record."""

    serializer_class = CharterSerializer
    queryset = Charter.objects.prefetch_related("clauses")

    @transaction.atomic
    def perform_create(self, serializer):
        coop = self.caller_cooperative(self.request.data.get("cooperative"))

        clauses = serializer.validated_data.pop("clauses")
        version = (Charter.objects.filter(cooperative=coop).aggregate(m=Max("version"))["m"] or 0) + 1
        charter = serializer.save(cooperative=coop, version=version, created_by=self.request.user)
        for c in clauses:
            Clause.objects.create(charter=charter, **c)
        log_action(charter, "charter.adopted", user=self.request.user,
                   data={"version": version, "votes_for": charter.votes_for, "votes_against": charter.votes_against})
