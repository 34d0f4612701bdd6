"""Payment notifications from the payment platform (/api/payments/notify/<provider>/)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.services import payments


def _busy():

    return _("下单的人太多了，请稍后再试。")


class PaymentNotifyView(APIView):
    """Asynchronous payment notification (WeChat Pay APIv3 shape). Signed with Wechatpay-* headers;
    answers 200 ``{"code": "SUCCESS"}`` once handled (replays included) and 4xx ``{"code": "FAIL"}`` otherwise."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: inline_serializer("NotifyAnswer", {
        "code": serializers.CharField(), "message": serializers.CharField()})})
    def post(self, request, provider):
        headers = {k: v for k, v in request.headers.items()}
        code, answer = payments.handle_notification(provider, headers, request.body)
        # Not the API's error shape, on purpose: the payment platform's protocol dictates this body
        # ({"code": "SUCCESS"} / {"code": "FAIL", "message": …}), so it is built by the payments service
        # and documented as ProviderAnswer (coop/lib/drf.py PROTOCOL_PATHS), not by the exception handler.
        return Response(answer, status=code)
