"""API of the collective's organisation: cooperatives, villages, farmers."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import OrderingFilter, SearchFilter

from coop.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet
from coop.lib.validators import normalize_mobile, validate_mobile
from coop.models import Cooperative, Farmer, Village
from coop.services.farmers import create_farmer, deactivate_farmer, search_farmers, update_farmer


class CooperativeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cooperative
        fields = ["id", "name", "short_name", "township", "county", "prefecture", "province",
                  "producer_code", "gtin", "product_name", "default_pack_sizes", "phone", "publish_farmer_names"]
        read_only_fields = ["producer_code"]


class VillageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Village
        fields = ["id", "cooperative", "name", "township", "altitude_m"]
        read_only_fields = ["cooperative"]
        # Liangshan's villages lie between ~1,000 and ~4,500 m; a wild number would overflow the column.
        extra_kwargs = {"altitude_m": {"min_value": 0, "max_value": 9000}}


class FarmerSerializer(serializers.ModelSerializer):
    payout_account = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=40)
    payout_account_masked = serializers.CharField(source="masked_account", read_only=True)

    class Meta:
        model = Farmer
        fields = ["id", "cooperative", "village", "member_no", "head_name", "phone", "poverty_status", "hens",
                  "payout_method", "payout_account", "payout_account_masked", "stamp_code", "active",
                  "suspended_until", "joined_on"]
        read_only_fields = ["cooperative", "suspended_until"]
        # Uniqueness per cooperative is checked in validate(): the cooperative is not a request field.
        validators = []

    def validate_phone(self, value):
        try:
            validate_mobile(value)
        except Exception:
            raise serializers.ValidationError(_("“%(value)s”不是有效的手机号码（11位，以1开头）。") % {"value": value})
        return normalize_mobile(value)

    def validate(self, attrs):
        coop = self.context["cooperative"] if "cooperative" in self.context else self.instance.cooperative
        village = attrs.get("village") or (self.instance.village if self.instance else None)
        if village is not None and village.cooperative_id != coop.id:
            raise serializers.ValidationError({"village": [_("这个村不属于你的合作社。")]})
        member_no = attrs.get("member_no")
        if member_no:
            clash = Farmer.objects.filter(cooperative=coop, member_no=member_no)
            if self.instance:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"member_no": [_("社员编号已存在。")]})
        stamp = attrs.get("stamp_code")
        if stamp:
            clash = Farmer.objects.filter(cooperative=coop, stamp_code=stamp)
            if self.instance:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"stamp_code": [_("喷码已被其他农户使用。")]})
        return attrs



class CooperativeViewSet(ScopedReadOnlyViewSet):
    """The cooperatives the caller works for."""

    serializer_class = CooperativeSerializer
    queryset = Cooperative.objects.all()
    cooperative_path = "pk"


class VillageViewSet(ScopedModelViewSet):
    """Villages of the caller's cooperatives (names unique per cooperative). A village that still has
    households cannot be deleted (409)."""

    serializer_class = VillageSerializer
    queryset = Village.objects.all()
    filterset_fields = ["cooperative"]
    search_fields = ["name"]

    def perform_create(self, serializer):
        self._save(serializer, cooperative=self.caller_cooperative(self.request.data.get("cooperative")))

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer, **extra):
        # Names are unique per cooperative (a constraint the serializer cannot see, the cooperative
        # being set here): say so in the name field instead of failing on the constraint.
        coop_id = extra["cooperative"].pk if "cooperative" in extra else serializer.instance.cooperative_id
        name = serializer.validated_data.get("name")
        same = Village.objects.filter(cooperative_id=coop_id, name=name)
        if serializer.instance is not None:
            same = same.exclude(pk=serializer.instance.pk)
        if name is not None and same.exists():
            raise serializers.ValidationError({"name": [_("这个合作社已有同名的村。")]})
        serializer.save(**extra)


class FarmerSearch(SearchFilter):
    """``?search=`` finds households as every page does (member number, phone tail, name, pinyin)."""

    def filter_queryset(self, request, queryset, view):
        term = request.query_params.get(self.search_param, "")
        return search_farmers(queryset, term) if term.strip() else queryset


class FarmerViewSet(ScopedModelViewSet):
    """Member households. ``payout_account`` is write-only; reads show it masked."""

    serializer_class = FarmerSerializer
    queryset = Farmer.objects.select_related("village")
    filterset_fields = ["village", "poverty_status", "active"]
    filter_backends = [DjangoFilterBackend, FarmerSearch, OrderingFilter]
    search_fields = ["head_name", "member_no", "phone"]  # documented in the schema; FarmerSearch decides
    ordering_fields = ["member_no", "head_name"]

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        if self.action == "create":
            ctx["cooperative"] = self.caller_cooperative(self.request.data.get("cooperative"))
        return ctx

    def perform_create(self, serializer):
        farmer = Farmer(cooperative=serializer.context["cooperative"], **serializer.validated_data)
        serializer.instance = create_farmer(farmer, user=self.request.user)

    def perform_update(self, serializer):
        # The fields the request sent are the fields it changes (as the API always logged them).
        update_farmer(serializer.instance, serializer.validated_data, user=self.request.user)

    def perform_destroy(self, instance):
        deactivate_farmer(instance, user=self.request.user)






