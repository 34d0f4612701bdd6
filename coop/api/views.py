from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from coop import tenancy
from coop.api.serializers import CooperativeSerializer, FarmerSerializer, VillageSerializer
from coop.api_support import CooperativeScopedViewSet, IsCooperativeStaff
from coop.models import Cooperative, Farmer, Village
from coop.services.audit import log_action


class TokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token …``)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_scope = "public_write"

    @extend_schema(
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                   "password": serializers.CharField()}),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        password = request.data.get("password") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            return Response({"error": {"code": "invalid", "message": _("请提供用户名和密码。")}},
                            status=status.HTTP_400_BAD_REQUEST)
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            return Response({"error": {"code": "authentication_failed", "message": _("用户名或密码不正确。")}},
                            status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class CooperativeViewSet(viewsets.ReadOnlyModelViewSet):
    """The cooperatives the caller works for."""

    serializer_class = CooperativeSerializer
    permission_classes = [IsCooperativeStaff]
    queryset = Cooperative.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Cooperative.objects.none()
        return Cooperative.objects.filter(pk__in=tenancy.cooperative_ids(self.request.user))


class VillageViewSet(CooperativeScopedViewSet):
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


class FarmerViewSet(CooperativeScopedViewSet):
    """Member households. ``payout_account`` is write-only; reads show it masked."""

    serializer_class = FarmerSerializer
    queryset = Farmer.objects.select_related("village")
    filterset_fields = ["village", "poverty_status", "active"]
    search_fields = ["head_name", "member_no", "phone"]
    ordering_fields = ["member_no", "head_name"]

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        if self.action == "create":
            ctx["cooperative"] = self.caller_cooperative(self.request.data.get("cooperative"))
        return ctx

    def perform_create(self, serializer):
        farmer = serializer.save(cooperative=serializer.context["cooperative"])
        log_action(farmer, "farmer.created", user=self.request.user)

    def perform_update(self, serializer):
        farmer = serializer.save()
        changed = sorted(k for k in serializer.validated_data if k != "payout_account")
        log_action(farmer, "farmer.changed", user=self.request.user, data={"fields": changed})

    def perform_destroy(self, instance):
        # Households with history are never deleted: deactivate instead.
        instance.active = False
        instance.save(update_fields=["active"])
        log_action(instance, "farmer.deactivated", user=self.request.user)
