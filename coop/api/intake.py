"""API of intake: deliveries (/api/deliveries/)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from coop.api.base import ScopedCreateReadViewSet
from coop.lib import tenancy
from coop.models import (
    REJECT_CODES,
    WEIGHT_CLASS_CODES,
    Delivery,
)
from coop.services.intake import DeliveryError, record_delivery

INTAKE = (tenancy.Staff.MANAGER, tenancy.Staff.INSPECTOR)


class DeliverySerializer(serializers.ModelSerializer):
    accepted = serializers.IntegerField(read_only=True)
    rejected = serializers.IntegerField(read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "cooperative", "farmer", "received_at", "laid_from", "laid_to", "eggs_brought", "accepted",
                  "rejected", *[f"accepted_{c.lower()}" for c in WEIGHT_CLASS_CODES],
                  *[f"rejected_{c}" for c in REJECT_CODES], *[f"price_{c.lower()}" for c in WEIGHT_CLASS_CODES],
                  "amount_due", "inspector", "flagged", "flag_reason", "note", "created_at", "cancelled_at",
                  "amended_from"]
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


class DeliveryViewSet(ScopedCreateReadViewSet):
    """Deliveries with their intake grading. Create records one through the intake service;
    send ``X-Idempotency-Key`` so that a resend returns the first delivery (200) instead of a second."""

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
        delivery = record_delivery(
            farmer=v["farmer"], cooperative=coop, laid_from=v["laid_from"], laid_to=v.get("laid_to"),
            received_at=v.get("received_at"), eggs_brought=v.get("eggs_brought"), accepted=v["accepted"],
            rejected=v.get("rejected") or {}, note=v.get("note", ""), inspector=request.user,
            idempotency_key=request.headers.get("X-Idempotency-Key") or None)
        if delivery.cooperative_id != coop.pk:
            raise DeliveryError(_("这个幂等键已被使用。"), code="conflict", status=409)
        return Response(DeliverySerializer(delivery).data,
                        status=status.HTTP_200_OK if delivery.replayed else status.HTTP_201_CREATED)
