"""API of the books: deliveries (create = intake), batches (create = pack), ledger, settlements.

Tenant-isolated through ``CooperativeScopedViewSet``: another cooperative's rows answer 404.
Writes call the same services as the pages and the admin; domain errors use the one error shape.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coop import tenancy
from coop.api_support import CooperativeScopedViewSet, IsCooperativeStaff, domain_error_response
from coop.models import (
    GRADES,
    REJECT_CODES,
    WEIGHT_CLASS_CODES,
    WEIGHT_CLASSES,
    Batch,
    BatchContribution,
    Delivery,
    LedgerEntry,
    Settlement,
)
from coop.services.intake import DeliveryError, record_delivery
from coop.services.packing import PackingError, pack_batch
from coop.services.settlements import SettlementError, approve_settlement, pay_settlement

MANAGERS = (tenancy.Staff.MANAGER,)
INTAKE = (tenancy.Staff.MANAGER, tenancy.Staff.INSPECTOR)


class DeliverySerializer(serializers.ModelSerializer):
    accepted = serializers.IntegerField(read_only=True)
    rejected = serializers.IntegerField(read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "cooperative", "farmer", "received_at", "laid_from", "laid_to", "eggs_brought", "accepted",
                  "rejected", *[f"accepted_{c.lower()}" for c in WEIGHT_CLASS_CODES],
                  *[f"rejected_{c}" for c in REJECT_CODES], *[f"price_{c.lower()}" for c in WEIGHT_CLASS_CODES],
                  "amount_due", "inspector", "flagged", "flag_reason", "note", "created_at"]
        read_only_fields = fields


class DeliveryCreateSerializer(serializers.Serializer):
    """Intake counts. ``eggs_brought`` must equal accepted + rejected."""

    farmer = serializers.IntegerField()
    laid_from = serializers.DateField()
    laid_to = serializers.DateField(required=False)
    received_at = serializers.DateTimeField(required=False)
    eggs_brought = serializers.IntegerField(required=False)
    accepted = serializers.DictField(child=serializers.IntegerField(), help_text="{\"L\": 20, \"M\": 4}")
    rejected = serializers.DictField(child=serializers.IntegerField(), required=False,
                                     help_text="{\"cracked\": 2, \"rotten\": 1}")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DeliveryViewSet(CooperativeScopedViewSet):
    """Deliveries with their intake grading. Create records one through the intake service;
    send ``X-Idempotency-Key`` so that a resend returns the first delivery (200) instead of a second."""

    http_method_names = ["get", "post", "head", "options"]
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.select_related("farmer")
    view_roles = INTAKE
    edit_roles = INTAKE
    filterset_fields = ["farmer", "flagged"]
    search_fields = ["farmer__head_name", "farmer__member_no"]
    ordering_fields = ["received_at", "amount_due"]

    @extend_schema(request=DeliveryCreateSerializer, responses={201: DeliverySerializer, 200: DeliverySerializer},
                   parameters=[OpenApiParameter("X-Idempotency-Key", str, OpenApiParameter.HEADER, required=False)])
    def create(self, request, *args, **kwargs):
        data = DeliveryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        coop = self.caller_cooperative(request.data.get("cooperative"))
        try:
            delivery = record_delivery(
                farmer=v["farmer"], cooperative=coop, laid_from=v["laid_from"], laid_to=v.get("laid_to"),
                received_at=v.get("received_at"), eggs_brought=v.get("eggs_brought"), accepted=v["accepted"],
                rejected=v.get("rejected") or {}, note=v.get("note", ""), inspector=request.user,
                idempotency_key=request.headers.get("X-Idempotency-Key") or None)
        except DeliveryError as exc:
            return Response({"error": {"code": "rejected", "message": exc.message,
                                       **({"fields": {exc.field: [exc.message]}} if exc.field else {})}},
                            status=status.HTTP_400_BAD_REQUEST)
        if delivery.cooperative_id != coop.pk:
            return domain_error_response(_("这个幂等键已被使用。"), code="conflict", status=409)
        return Response(DeliverySerializer(delivery).data,
                        status=status.HTTP_200_OK if delivery.replayed else status.HTTP_201_CREATED)


class ContributionSerializer(serializers.ModelSerializer):
    farmer = serializers.IntegerField(source="delivery.farmer_id", read_only=True)

    class Meta:
        model = BatchContribution
        fields = ["delivery", "farmer", "eggs"]


class BatchSerializer(serializers.ModelSerializer):
    contributions = ContributionSerializer(many=True, read_only=True)

    class Meta:
        model = Batch
        fields = ["id", "cooperative", "code", "weight_class", "grade", "pack_size", "boxes", "eggs", "packed_at",
                  "laid_from", "laid_to", "best_before", "status", "status_reason", "contributions"]
        read_only_fields = fields


class PackSerializer(serializers.Serializer):
    weight_class = serializers.ChoiceField(choices=WEIGHT_CLASSES)
    grade = serializers.ChoiceField(choices=[g for g, _l in GRADES], default="A")
    pack_size = serializers.IntegerField(min_value=1)
    boxes = serializers.IntegerField(min_value=1)
    shelf_days = serializers.IntegerField(min_value=1, max_value=28, default=28)


class BatchViewSet(CooperativeScopedViewSet):
    """Packed batches and where their eggs came from. Create packs a batch (FIFO, never overpacks)."""

    http_method_names = ["get", "post", "head", "options"]
    serializer_class = BatchSerializer
    queryset = Batch.objects.prefetch_related(
        Prefetch("contributions", queryset=BatchContribution.objects.select_related("delivery")))
    view_roles = MANAGERS
    edit_roles = MANAGERS
    filterset_fields = ["status", "weight_class", "grade"]
    search_fields = ["code"]

    @extend_schema(request=PackSerializer, responses={201: BatchSerializer})
    def create(self, request, *args, **kwargs):
        data = PackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        coop = self.caller_cooperative(request.data.get("cooperative"))
        try:
            batch = pack_batch(cooperative=coop, user=request.user, **data.validated_data)
        except PackingError as exc:
            return domain_error_response(exc.message, code="busy" if exc.busy else "rejected",
                                         status=409 if exc.busy else 400)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


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


class SettlementSerializer(serializers.ModelSerializer):
    farmer_name = serializers.CharField(source="farmer.head_name", read_only=True)
    lines = LedgerEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Settlement
        fields = ["id", "cooperative", "farmer", "farmer_name", "period_start", "period_end", "status", "gross",
                  "fines", "rewards", "adjustments", "net", "approved_by", "approved_at", "paid_by", "paid_at",
                  "payment_reference", "lines"]
        read_only_fields = fields


class SettlementViewSet(viewsets.ReadOnlyModelViewSet):
    """Payslips. ``approve`` and ``pay`` are the only changes; each happens once (compare-and-set)."""

    serializer_class = SettlementSerializer
    permission_classes = [IsCooperativeStaff]
    view_roles = MANAGERS
    edit_roles = MANAGERS
    queryset = Settlement.objects.all()
    filterset_fields = ["status", "farmer", "period_start", "period_end"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Settlement.objects.none()
        return tenancy.scope(Settlement.objects.select_related("farmer").prefetch_related("lines"),
                             self.request.user, roles=MANAGERS)

    @extend_schema(request=None, responses={200: SettlementSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        try:
            s = approve_settlement(self.get_object(), user=request.user)
        except SettlementError as exc:
            return domain_error_response(exc, code="conflict", status=409)
        return Response(SettlementSerializer(s).data)

    @extend_schema(request=inline_serializer("PayRequest", {"payment_reference": serializers.CharField()}),
                   responses={200: SettlementSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        ref = request.data.get("payment_reference", "") if hasattr(request.data, "get") else ""
        try:
            s = pay_settlement(self.get_object(), reference=ref, user=request.user)
        except SettlementError as exc:
            return domain_error_response(exc, code="conflict" if ref else "invalid", status=409 if ref else 400)
        return Response(SettlementSerializer(s).data)
