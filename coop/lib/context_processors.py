from django.conf import settings


def site(request):
    # The shop's banner "演示环境，不会真实收款" whenever buyers pay through the sandbox.
    # ONLINE_PAYMENT: without a provider buyers pay by transfer and a manager records it.
    return {"SITE_URL": settings.SITE_URL, "PAYMENT_DEMO": settings.PAYMENT_PROVIDER == "sandbox",
            "ONLINE_PAYMENT": bool(settings.PAYMENT_PROVIDER)}
