"""The client's address, the one way every limit and log reads it."""
from django.conf import settings


def client_ip(request):

    header = settings.CLIENT_IP_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]
