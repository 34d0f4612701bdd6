"""API sign-in: token for a staff member (/api/auth/token/)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.services.accounts import StaffSignInError


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
            raise StaffSignInError(_("请提供用户名和密码。"), code="invalid")
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            raise StaffSignInError(_("用户名或密码不正确。"))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
