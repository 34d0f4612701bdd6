from django.conf import settings


def site(request):
    # The shop's banner "演示环境，不会真实收款" whenever buyers pay through the sandbox.
    return {"SITE_URL": settings.SITE_URL, "PAYMENT_DEMO": settings.PAYMENT_PROVIDER == "sandbox"}
