"""The staff second factor's pages (/account/2fa/): enrol a phone, the code after the password, recovery codes;
and the middleware that keeps the admin waiting for the code where it is required.

The middleware lives here, beside the page it sends people to, because it is that page's doorman: it only
decides "verify first" for the admin and renders the refusal a money-moving view raised
(``SecondFactorRequired``). The rule itself (who must, what counts as verified) is in
``coop.services.twofactor``."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.lib import ratelimit, tenancy
from coop.lib.redirects import safe_next
from coop.services import twofactor
from coop.views.base import LOGIN


def _with_next(url, target):
    return f"{url}?{urlencode({'next': target})}" if target else url


def _staff_only(request):
    """The second factor is for the collective's staff and the operator, not for buyers or households."""
    user = request.user
    if not (user.is_superuser or tenancy.is_staff_of_any(user)):
        raise PermissionDenied(_("两步验证只用于合作社工作人员。"))


def _next(request):
    return safe_next(request, reverse("admin:index"))


def _enrol_context(request, **extra):
    user = request.user
    pending = twofactor.pending_device(user)
    return {
        "device": twofactor.confirmed_device(user), "pending": pending,
        "qr": twofactor.qr_data_uri(pending) if pending else "",
        "key": twofactor.manual_key(pending) if pending else "",
        "verified": twofactor.is_verified(user), "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user), "next": _next(request), **extra,
    }


@login_required(login_url=LOGIN)
def enrol(request):
    """GET only shows (the key is made by the POST of "开始设置", never by opening the page)."""
    _staff_only(request)
    if request.method != "GET":
        return redirect("twofactor-enrol")
    return render(request, "coop/twofactor/enrol.html", _enrol_context(request))


@login_required(login_url=LOGIN)
@require_POST
def start(request):
    _staff_only(request)
    try:
        twofactor.start_enrolment(request.user, verified=twofactor.is_verified(request.user))
    except twofactor.SecondFactorRequired as exc:
        return render(request, "coop/twofactor/enrol.html", _enrol_context(request, error=exc.message), status=403)
    return redirect(_with_next(reverse("twofactor-enrol"), request.POST.get("next", "")))


def _show_codes(request, codes, *, first):
    # Shown in this answer only, never kept in the session: nothing can show them again.
    return render(request, "coop/twofactor/codes.html", {"codes": codes, "first": first, "next": _next(request)})


@login_required(login_url=LOGIN)
@require_POST
def confirm(request):
    _staff_only(request)
    try:
        codes = twofactor.confirm_enrolment(request, request.POST.get("code", ""))
    except (twofactor.SecondFactorError, ratelimit.LimiterUnavailable) as exc:
        return render(request, "coop/twofactor/enrol.html", _enrol_context(request, error=exc.message),
                      status=exc.status)
    return _show_codes(request, codes, first=True)


@login_required(login_url=LOGIN)
@require_POST
def recovery_codes(request):
    _staff_only(request)
    try:
        codes = twofactor.new_recovery_codes(request)
    except twofactor.SecondFactorRequired as exc:
        return render(request, "coop/twofactor/enrol.html", _enrol_context(request, error=exc.message), status=403)
    return _show_codes(request, codes, first=False)


@login_required(login_url=LOGIN)
def verify(request):
    """The second step of signing in: the 6-digit code (or a recovery code), then on to ``next``."""
    _staff_only(request)
    if twofactor.confirmed_device(request.user) is None:
        return redirect(_with_next(reverse("twofactor-enrol"), _next(request)))
    if twofactor.is_verified(request.user) and request.method == "GET":
        return redirect(_next(request))
    error, status = "", 200
    if request.method == "POST":
        try:
            twofactor.verify(request, request.POST.get("code", ""))
        except (twofactor.SecondFactorError, ratelimit.LimiterUnavailable) as exc:
            error, status = exc.message, exc.status
        else:
            return redirect(_next(request))
    return render(request, "coop/twofactor/verify.html", {"error": error, "next": _next(request)}, status=status)


class SecondFactorMiddleware:
    """For the people who must pass the second factor, the admin (everything under it but signing in and out)
    waits until this session has; and a view that refused a money-moving action with ``SecondFactorRequired``
    answers a short page that says why, with the link (the API answers its JSON error instead)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        admin = reverse("admin:index")
        path = request.path
        if (path.startswith(admin) and path not in (reverse("admin:login"), reverse("admin:logout"))
                and not twofactor.is_verified(request.user) and twofactor.asked_of(request.user)):
            target = "twofactor-verify" if twofactor.confirmed_device(request.user) else "twofactor-enrol"
            return redirect(_with_next(reverse(target), request.get_full_path()))
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, twofactor.SecondFactorRequired):
            return render(request, "coop/twofactor/required.html", {
                "next": request.get_full_path() if request.method == "GET" else "",
                "enrolled": twofactor.confirmed_device(request.user) is not None}, status=403)
        return None
