"""API of the ledger (/api/ledger/, read-only)."""

from rest_framework import serializers, viewsets

from coop.api.base import IsCooperativeStaff
from coop.api.batches import MANAGERS
from coop.lib import tenancy
from coop.models import (
    LedgerEntry,
)


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "cooperative", "farmer", "kind", "amount", "occurred_on", "reason", "source_type",
                  "source_id", "settlement", "created_by", "created_at"]
        read_only_fields = fields


class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only money ledger of the caller's households (read only: corrections are new entries)."""

    serializer_class = LedgerEntrySerializer
    permission_classes = [IsCooperativeStaff]
    queryset = LedgerEntry.objects.all()
    view_roles = MANAGERS
    filterset_fields = ["farmer", "kind", "settlement"]
    ordering_fields = ["occurred_on", "amount"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return tenancy.scope(LedgerEntry.objects.order_by("-occurred_on", "-id"), self.request.user,
                             roles=MANAGERS)
