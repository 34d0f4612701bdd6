"""API sign-in: token for a staff member (/api/auth/token/)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from coop.services import accounts


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
        user = accounts.sign_in(request, username, password)  # under the staff lockout (429 when locked)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
