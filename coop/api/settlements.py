"""API of settlements (/api/settlements/, read-only)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.api.base import ScopedReadOnlyViewSet
from coop.api.batches import MANAGERS
from coop.api.ledger import LedgerEntrySerializer
from coop.lib.drf import body_text
from coop.models import (
    Settlement,
)
from coop.services import twofactor
from coop.services.settlements import approve_settlement, pay_settlement


class SettlementSerializer(serializers.ModelSerializer):
    farmer_name = serializers.CharField(source="farmer.head_name", read_only=True)
    lines = LedgerEntrySerializer(many=True, read_only=True)
    # The payslip's one definition (Settlement.paid_out / carried_over): what was (or will be) paid, and
    # what a household whose fines exceed its income owes and has taken from its next payslip.
    paid_out = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    carried_over = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Settlement
        fields = ["id", "cooperative", "farmer", "farmer_name", "period_start", "period_end", "status", "gross",
                  "fines", "rewards", "adjustments", "net", "paid_out", "carried_over", "approved_by", "approved_at",
                  "paid_by", "paid_at",
                  "payment_reference", "lines"]
        read_only_fields = fields


class SettlementViewSet(ScopedReadOnlyViewSet):
    """Payslips. ``approve`` and ``pay`` are the only changes; each happens once (compare-and-set)."""

    serializer_class = SettlementSerializer
    view_roles = MANAGERS
    edit_roles = MANAGERS
    queryset = Settlement.objects.select_related("farmer").prefetch_related("lines")
    filterset_fields = ["status", "farmer", "period_start", "period_end"]

    @extend_schema(request=None, responses={200: SettlementSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        twofactor.check_verified(request.user)  # approving a payout is a money decision: 403 until verified
        s = approve_settlement(self.get_object(), user=request.user)
        return Response(SettlementSerializer(s).data)

    @extend_schema(request=inline_serializer("PayRequest", {"payment_reference": serializers.CharField()}),
                   responses={200: SettlementSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        twofactor.check_verified(request.user)
        ref = body_text(request.data, "payment_reference")
        s = pay_settlement(self.get_object(), reference=ref, user=request.user)
        return Response(SettlementSerializer(s).data)
