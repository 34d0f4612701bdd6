"""API of label sheets (/api/label-sheets/)."""

from rest_framework import serializers

from coop.api.base import ScopedReadOnlyViewSet
from quality.models import LabelSheet


class LabelSheetSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = LabelSheet
        fields = ["id", "batch", "sheet_format", "serialised", "copies", "status", "done", "percent", "file_url",
                  "error", "created_at", "finished_at"]
        read_only_fields = fields

    def get_file_url(self, obj) -> str | None:
        return f"/trace/sheets/{obj.pk}.pdf" if obj.status == LabelSheet.DONE else None


class LabelSheetViewSet(ScopedReadOnlyViewSet):
    """Progress of background label sheets."""

    serializer_class = LabelSheetSerializer
    queryset = LabelSheet.objects.all()
    cooperative_path = "batch__cooperative"
