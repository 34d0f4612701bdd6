from django.utils.translation import gettext as _
from rest_framework import serializers

from coop.models import Cooperative, Farmer, Village
from coop.validators import normalize_mobile, validate_mobile


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
