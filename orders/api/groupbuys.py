"""API of group buys (/api/group-buys/)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers, viewsets

from orders.models import GroupBuy
from orders.services.groupbuys import chain, with_chains


class ChainEntrySerializer(serializers.Serializer):
    no = serializers.IntegerField()
    name = serializers.CharField()
    boxes = serializers.IntegerField()


class GroupBuySerializer(serializers.ModelSerializer):
    pickup_point = serializers.CharField(source="pickup_point.name")
    product_name = serializers.CharField(source="product.name")
    chain = serializers.SerializerMethodField()
    target = serializers.IntegerField(read_only=True, help_text="进度条的目标盒数（未设目标时等于总量上限）")
    taken = serializers.SerializerMethodField(help_text="已接盒数：与页面“已接 N 盒”同一个口径（接龙里的有效订单）")

    class Meta:
        model = GroupBuy
        fields = ["id", "code", "title", "product", "product_name", "price", "stock_cap", "per_person_limit",
                  "starts_at", "deadline", "pickup_point", "leader_name", "status", "target", "taken", "chain"]

    @extend_schema_field(serializers.IntegerField())
    def get_taken(self, obj):
        # From the chain already read (with_chains' prefetch): the same orders GroupBuy.boxes_taken() counts.
        return sum(o.boxes or 0 for o in chain(obj))

    @extend_schema_field(ChainEntrySerializer(many=True))
    def get_chain(self, obj):

        return [{"no": o.chain_no, "name": o.chain_label, "boxes": o.boxes or 0} for o in chain(obj)]


class GroupBuyViewSet(viewsets.ReadOnlyModelViewSet):
    """Group buys (接龙) with their public chain (names masked as 张**)."""

    queryset = with_chains(GroupBuy.objects.select_related("pickup_point", "product"))
    serializer_class = GroupBuySerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    # Codes are letters and digits (new_code). Said in the route, the schema documents it too; the router's
    # default ([^/.]+) is left undocumented, so a client's code with a "." fell through to the HTML 404.
    lookup_value_regex = "[0-9A-Za-z]+"
    filterset_fields = ["cooperative", "status"]
