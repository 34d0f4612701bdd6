"""API of the ledger (/api/ledger/, read-only)."""

from rest_framework import serializers

from coop.api.base import ScopedReadOnlyViewSet
from coop.api.batches import MANAGERS
from coop.models import (
    LedgerEntry,
)


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "cooperative", "farmer", "kind", "amount", "occurred_on", "reason", "source_type",
                  "source_id", "settlement", "created_by", "created_at"]
        read_only_fields = fields


class LedgerViewSet(ScopedReadOnlyViewSet):
    """The append-only money ledger of the caller's households (read only: corrections are new entries)."""

    serializer_class = LedgerEntrySerializer
    queryset = LedgerEntry.objects.order_by("-occurred_on", "-id")
    view_roles = MANAGERS
    filterset_fields = ["farmer", "kind", "settlement"]
    ordering_fields = ["occurred_on", "amount"]
