"""API of packing: batches (/api/batches/)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from coop.api.base import ScopedCreateReadViewSet
from coop.lib import tenancy
from coop.models import (
    GRADES,
    WEIGHT_CLASSES,
    Batch,
    BatchContribution,
)
from coop.services.packing import pack_batch

MANAGERS = (tenancy.Staff.MANAGER,)


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


class BatchViewSet(ScopedCreateReadViewSet):
    """Packed batches and where their eggs came from. Create packs a batch (FIFO, never overpacks)."""

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
        batch = pack_batch(cooperative=coop, user=request.user, **data.validated_data)
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)
