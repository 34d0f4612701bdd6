from django.conf import settings


def site(request):
    # The shop's banner "演示环境，不会真实收款" whenever buyers pay through the sandbox.
    # ONLINE_PAYMENT: without a provider buyers pay by transfer and a manager records it.
    return {"SITE_URL": settings.SITE_URL, "PAYMENT_DEMO": settings.PAYMENT_PROVIDER == "sandbox",
            "ONLINE_PAYMENT": bool(settings.PAYMENT_PROVIDER)}


TEXT_ONLY_COOKIE = "gs_text_only"


def text_only(request):
    """True when the page should carry no pictures: the browser asks to save data (``Save-Data: on``,
    Chrome's and Android's data saver, the Client Hint standard) or the buyer chose 省流量 (a cookie)."""
    if request.headers.get("Save-Data", "").strip().lower() == "on":
        return True
    return request.COOKIES.get(TEXT_ONLY_COOKIE) == "1"


def save_data(request):
    return {"TEXT_ONLY": text_only(request),
            "TEXT_ONLY_CHOSEN": request.COOKIES.get(TEXT_ONLY_COOKIE) == "1"}
