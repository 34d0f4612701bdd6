"""API of the charter (/api/charters/)."""

from rest_framework import serializers

from coop.api.base import ScopedCreateReadViewSet
from quality.models import Charter, CharterError, Clause
from quality.services.charter import adopt_charter, check_charter


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
        try:
            check_charter(attrs.get("adopted_on"), attrs.get("effective_from"), attrs.get("clauses") or [])
        except CharterError as exc:
            # Kept a field error of the request (400 "invalid" with ``fields``), as the API always answered.
            raise serializers.ValidationError({exc.field: [exc.message]}) from exc
        return attrs


class CharterViewSet(ScopedCreateReadViewSet):
    """Charter versions. A version is never edited: adopt a new one (POST) with its assembly record."""

    serializer_class = CharterSerializer
    queryset = Charter.objects.prefetch_related("clauses")

    def perform_create(self, serializer):
        coop = self.caller_cooperative(self.request.data.get("cooperative"))
        data = dict(serializer.validated_data)
        clauses = data.pop("clauses")
        serializer.instance = adopt_charter(Charter(cooperative=coop, **data), user=self.request.user,
                                            clauses=clauses)
