"""API of orders (/api/orders/)."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coop.api.base import PageFiguresMixin
from coop.lib import tenancy
from coop.lib.locking import LockTimeout
from orders.api.payments import _busy
from orders.models import GroupBuy, Order, OrderError, PickupPoint, Product
from orders.services import payments
from orders.services.buyers import buyer_of
from orders.services.orders import Item, batch_codes_by_order, cancel_order, place_order, trace_batches


class OrderLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField()
    boxes = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    trace_codes = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["number", "cooperative", "status", "status_display", "total", "courier_fee", "fulfilment",
                  "pickup_point",
                  "group_buy", "chain_no", "recipient", "phone", "address", "note", "pickup_code", "placed_at",
                  "pay_by", "paid_at", "courier_company", "tracking_no", "lines", "trace_codes"]
        read_only_fields = fields

    def get_trace_codes(self, obj) -> list[str]:
        if obj.status in Order.HOLDING:
            return []
        codes = getattr(obj, "batch_codes", None)  # set for a whole page by OrderViewSet
        return codes if codes is not None else [b.code for b in trace_batches(obj)]


class OrderItemInput(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(active=True))
    boxes = serializers.IntegerField(min_value=1, max_value=1000)


class OrderCreateSerializer(serializers.Serializer):
    items = OrderItemInput(many=True, allow_empty=False)
    fulfilment = serializers.ChoiceField(choices=Order.FULFILMENT, default=Order.COURIER)
    pickup_point = serializers.PrimaryKeyRelatedField(queryset=PickupPoint.objects.filter(active=True),
                                                      required=False, allow_null=True)
    group_buy = serializers.SlugRelatedField(slug_field="code", queryset=GroupBuy.objects.all(), required=False,
                                             allow_null=True)
    recipient = serializers.CharField(required=False, allow_blank=True, max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    address = serializers.CharField(required=False, allow_blank=True, max_length=260)
    # The address's province (the statistics bureau's 2-digit code) prices the courier fee; without it the
    # cooperative's default fee applies, as for an address typed at checkout.
    province_code = serializers.CharField(required=False, allow_blank=True, max_length=2)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class OrderViewSet(PageFiguresMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Buyers create and see their own orders; managers see their cooperative's orders."""

    serializer_class = OrderSerializer
    lookup_field = "number"
    # Order numbers are digits (new_order_number). As for group-buy codes: a pattern in the route is one
    # the schema documents, where the router's undocumented default let a "." fall through to the HTML 404.
    lookup_value_regex = "[0-9A-Za-z]+"
    filterset_fields = ["status", "cooperative"]

    def page_figures(self, rows):
        codes = batch_codes_by_order([o.pk for o in rows])
        for o in rows:
            o.batch_codes = codes[o.pk]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        user = self.request.user
        coops = tenancy.cooperative_ids(user, (tenancy.Staff.MANAGER,))
        return (Order.objects.filter(Q(buyer__user=user) | Q(cooperative_id__in=coops))
                .prefetch_related("lines").order_by("-placed_at", "-id"))

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer, 200: OrderSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                description="A retry with the same key returns the same order.")])
    def create(self, request, *args, **kwargs):
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        buyer = buyer_of(request.user)
        key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
        try:
            order, created = place_order(
                buyer=buyer, items=[Item(i["product"], i["boxes"]) for i in v["items"]],
                fulfilment=v["fulfilment"], pickup_point=v.get("pickup_point"), group_buy=v.get("group_buy"),
                address={k: v.get(k, "") for k in ("recipient", "phone", "address", "province_code")},
                note=v.get("note", ""),
                idempotency_key=(key or "")[:64] or None, user=request.user)
        except LockTimeout:
            raise OrderError(_busy(), "busy", status=503, retry_after=1) from None
        return Response(OrderSerializer(order).data, status=201 if created else 200)

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        order = get_object_or_404(Order, number=number, buyer__user=request.user)
        cancel_order(order, user=request.user, actor_label=order.buyer.display_name)
        return Response(OrderSerializer(order).data)

    @extend_schema(request=None, responses={200: inline_serializer("PayStart", {
        "out_trade_no": serializers.CharField(), "amount_fen": serializers.IntegerField(),
        "pay_url": serializers.CharField()})})
    @action(detail=True, methods=["post"])
    def pay(self, request, number=None):
        order = get_object_or_404(Order, number=number, buyer__user=request.user)
        payment, data = payments.start_payment(order)
        return Response({"out_trade_no": payment.out_trade_no, "amount_fen": payment.amount_fen, **data})
