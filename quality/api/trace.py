"""API of traced batches (/api/trace/batches/)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.api.base import ScopedReadOnlyViewSet
from coop.lib.drf import body_text
from coop.lib.validators import InvalidNumber, parse_int
from coop.models import Batch
from quality.api.labels import LabelSheetSerializer
from quality.services.labels import DEFAULT_FORMAT, FORMATS, LabelRequestError, request_label_sheet
from quality.services.recall import recall_batch
from quality.services.trace import label_url, short_url


class TraceBatchSerializer(serializers.ModelSerializer):
    trace_code = serializers.SerializerMethodField()
    scan_url = serializers.SerializerMethodField()
    label_url = serializers.SerializerMethodField()
    labels_pdf_url = serializers.SerializerMethodField()
    box_labels_pdf_url = serializers.SerializerMethodField()
    certificate_pdf_url = serializers.SerializerMethodField()
    epcis_url = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = ["id", "cooperative", "code", "status", "status_reason", "best_before", "boxes", "pack_size",
                  "trace_code", "scan_url", "label_url", "labels_pdf_url", "box_labels_pdf_url",
                  "certificate_pdf_url", "epcis_url"]
        read_only_fields = fields

    def _trace(self, obj):
        # Read only: the trace code is made when the batch is created (post_save) and packed; a row
        # without one (never after migration 0003) shows nulls instead of being written to on a GET.
        return getattr(obj, "trace", None)

    def _abs(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_trace_code(self, obj) -> str | None:
        trace = self._trace(obj)
        return trace.code if trace else None

    def get_scan_url(self, obj) -> str | None:
        trace = self._trace(obj)
        return short_url(trace.code) if trace else None

    def get_label_url(self, obj) -> str | None:
        trace = self._trace(obj)
        return label_url(obj, trace) if trace else None

    def get_labels_pdf_url(self, obj) -> str:
        return self._abs(f"/trace/batches/{obj.pk}/labels.pdf?format={DEFAULT_FORMAT}")

    def get_box_labels_pdf_url(self, obj) -> str:
        return self._abs(f"/trace/batches/{obj.pk}/labels.pdf?format={DEFAULT_FORMAT}&boxes=1")

    def get_certificate_pdf_url(self, obj) -> str | None:
        trace = self._trace(obj)
        return self._abs(f"/t/{trace.code}/certificate.pdf") if trace else None

    def get_epcis_url(self, obj) -> str | None:
        trace = self._trace(obj)
        return self._abs(f"/t/{trace.code}/epcis.json") if trace else None


class TraceBatchViewSet(ScopedReadOnlyViewSet):
    """Batches with their trace code and label links. Other cooperatives' batches answer 404."""

    serializer_class = TraceBatchSerializer
    queryset = Batch.objects.select_related("cooperative", "trace").order_by("-packed_at", "-id")
    filterset_fields = ["status"]
    search_fields = ["code", "trace__code"]

    @extend_schema(request=inline_serializer("RecallRequest", {"reason": serializers.CharField()}),
                   responses=TraceBatchSerializer)
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        batch = self.get_object()
        batch = recall_batch(batch, reason=body_text(request.data, "reason"), user=request.user)
        return Response(self.get_serializer(batch).data)

    @extend_schema(request=inline_serializer("LabelSheetRequest", {
        "sheet_format": serializers.ChoiceField(choices=list(FORMATS), required=False),
        "copies": serializers.IntegerField(required=False), "serialised": serializers.BooleanField(required=False)}),
        responses={202: LabelSheetSerializer})
    @action(detail=True, methods=["post"], url_path="label-sheets")
    def label_sheets(self, request, pk=None):
        batch = self.get_object()
        try:
            copies = parse_int(request.data.get("copies")) or batch.boxes  # the service checks the range
        except InvalidNumber:
            raise LabelRequestError(_("张数应为整数。")) from None
        sheet = request_label_sheet(batch, sheet_format=body_text(request.data, "sheet_format") or DEFAULT_FORMAT,
                                    copies=copies, serialised=bool(request.data.get("serialised", True)),
                                    user=request.user)
        return Response(LabelSheetSerializer(sheet).data, status=202)
