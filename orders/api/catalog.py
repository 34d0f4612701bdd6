"""API of the catalogue (/api/products/)."""

from rest_framework import permissions, serializers, viewsets

from coop.api.base import PageFiguresMixin
from orders.models import Product
from orders.services import stock


class ProductSerializer(serializers.ModelSerializer):
    boxes_left = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "cooperative", "name", "weight_class", "pack_size", "price", "description",
                  "per_order_limit", "boxes_left"]

    def get_boxes_left(self, obj) -> int:
        left = getattr(obj, "left", None)  # set for a whole page by ProductViewSet
        return left if left is not None else stock.product_availability(obj)


class ProductViewSet(PageFiguresMixin, viewsets.ReadOnlyModelViewSet):
    """Products on sale, with boxes left computed from packed batches and open orders."""

    queryset = Product.objects.filter(active=True)
    serializer_class = ProductSerializer
    permission_classes = [permissions.AllowAny]
    filterset_fields = ["cooperative", "weight_class", "pack_size"]

    def page_figures(self, rows):
        stock.with_availability(rows)
