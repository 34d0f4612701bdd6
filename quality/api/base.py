"""What the quality API's endpoints share: request shapes used by more than one endpoint."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

# The body of every "with a reason" action (dismiss a report, waive or reverse a penalty).
ReasonRequest = inline_serializer("ReasonRequest", {"reason": serializers.CharField()})
