"""The household's own pages. Every query is filtered by ``request.farmer``: another household's
id in the URL is simply not found (404), never "forbidden" (which would confirm it exists)."""

import datetime
import functools
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db.models import Q, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coop.forms import SignInForm
from coop.lib import ratelimit, wechat
from coop.lib.client import client_ip
from coop.lib.money import MoneySum
from coop.lib.redirects import safe_next
from coop.models import REJECT_DEFECTS, WEIGHT_CLASSES, Delivery, LedgerEntry, Notification, Settlement
from coop.services import farmers as pin_service
from coop.services.audit import log_action
from coop.services.farmers import card_context, household_of
from coop.services.payslips import payslip_reading


def farmer_required(view):
    """Only a signed-in household; sets ``request.farmer``. Anyone else goes to the PIN sign-in.

    Every farmer view filters by ``request.farmer``, so another household's id in the URL is a 404.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        farmer = household_of(request.user)
        if farmer is None:
            return HttpResponseRedirect(f"{LOGIN_PATH}?{urlencode({'next': request.get_full_path()})}")
        request.farmer = farmer
        return view(request, *args, **kwargs)

    return wrapped


SIGNED_IN_DAYS = 60


def _next(request):
    return safe_next(request, "/farmer/", under="/farmer")  # a household only returns to its own pages


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if pin_service.household_of(request.user) is not None and request.method == "GET":
        return HttpResponseRedirect(_next(request))
    error, locked, unavailable = "", False, False
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            try:
                farmer = pin_service.authenticate_pin(form.cleaned_data["phone"], form.cleaned_data["pin"],
                                                      ip=client_ip(request))
            except pin_service.SignInError as exc:
                error, locked = exc.message, exc.locked_until is not None
            except ratelimit.LimiterUnavailable as exc:  # the cache is down: "稍后再试", never a 500
                error, unavailable = exc.message, True
            else:
                login(request, farmer.user, backend="django.contrib.auth.backends.ModelBackend")
                request.session.set_expiry(SIGNED_IN_DAYS * 24 * 3600)
                log_action(farmer, "farmer.signed_in", actor_label=farmer.head_name)
                return HttpResponseRedirect(_next(request))
    else:
        form = SignInForm(initial={"phone": request.GET.get("phone", "")})
    status = 200 if not (error or form.errors) else (503 if unavailable else 429 if locked else 400)
    return render(request, "coop/farmer/sign_in.html",
                  {"form": form, "error": error, "locked": locked, "next": _next(request)}, status=status)


@require_POST
def sign_out(request):
    logout(request)
    return HttpResponseRedirect("/farmer/login/")


def _month_start(today):
    return today.replace(day=1)


@farmer_required
def home(request):
    farmer = request.farmer
    today = timezone.localdate()
    entries = LedgerEntry.objects.filter(farmer=farmer)
    waiting = entries.filter(settlement__isnull=True).aggregate(s=MoneySum("amount"))["s"] or Decimal("0")
    # counted(): a delivery held for review is not owed yet, a cancelled one was replaced by its correction.
    month = Delivery.objects.counted().filter(farmer=farmer, received_at__date__gte=_month_start(today))
    month_totals = month.aggregate(
        brought=Sum("eggs_brought"), due=MoneySum("amount_due"),
        acc=Sum("accepted_xl") + Sum("accepted_l") + Sum("accepted_m") + Sum("accepted_s"))
    last_paid = (Settlement.objects.filter(farmer=farmer, status=Settlement.PAID)
                 .order_by("-paid_at").first())
    recent_fines = entries.filter(kind=LedgerEntry.FINE).order_by("-occurred_on", "-id")[:3]
    unread = Notification.objects.filter(farmer=farmer, created_at__gte=timezone.now() - datetime.timedelta(days=7))
    return render(request, "coop/farmer/home.html", {"nav": "home",
        "farmer": farmer, "waiting": waiting, "owed": -waiting, "month": month_totals, "today": today,
        "last_delivery": Delivery.objects.filter(farmer=farmer, cancelled_at__isnull=True).order_by("-received_at")
        .first(),
        "last_paid": last_paid, "recent_fines": recent_fines, "recent_notes": unread.count(),
        "suspended": farmer.is_suspended(today),
    })


def _delivery_rows(deliveries):
    labels = dict(REJECT_DEFECTS)
    for d in deliveries:
        d.reject_list = [(labels[code], n) for code, n in d.rejects_by_defect().items() if n]
        yield d


@farmer_required
def deliveries(request):
    # A cancelled delivery is replaced by its correction (which names it): list the correction only.
    qs = list(Delivery.objects.filter(farmer=request.farmer, cancelled_at__isnull=True)
              .order_by("-received_at", "-id")[:100])
    # Paid means: its ledger credit is on a payslip that was paid (green); otherwise still waiting (amber).
    paid = set(LedgerEntry.objects.filter(farmer=request.farmer, source_type="coop.delivery",
                                          source_id__in=[d.pk for d in qs], settlement__status=Settlement.PAID)
               .values_list("source_id", flat=True))
    for d in qs:
        d.paid = d.pk in paid
    return render(request, "coop/farmer/deliveries.html", {"deliveries": list(_delivery_rows(qs)), "nav": "eggs"})


@farmer_required
def delivery_detail(request, pk):
    d = get_object_or_404(Delivery, pk=pk, farmer=request.farmer)
    d = next(_delivery_rows([d]))
    grades = [(label, d.accepted_of(code), getattr(d, f"price_{code.lower()}")) for code, label in WEIGHT_CLASSES
              if d.accepted_of(code)]
    credit = LedgerEntry.objects.filter(farmer=request.farmer, source_type="coop.delivery", source_id=d.pk).first()
    return render(request, "coop/farmer/delivery_detail.html",
                  {"d": d, "grades": grades, "credit": credit, "nav": "eggs"})


@farmer_required
def money(request):
    farmer = request.farmer
    entries = LedgerEntry.objects.filter(farmer=farmer).select_related("settlement").order_by("-occurred_on", "-id")
    totals = entries.aggregate(balance=MoneySum("amount"),
                               waiting=MoneySum("amount", filter=Q(settlement__isnull=True)))
    settlements = Settlement.objects.filter(farmer=farmer).order_by("-period_end")[:24]
    return render(request, "coop/farmer/money.html", {"nav": "money",
        "entries": entries[:100], "waiting": totals["waiting"] or Decimal("0"),
        "owed": -(totals["waiting"] or Decimal("0")),
        "settlements": settlements,
    })


@farmer_required
def payslip(request, pk):
    s = get_object_or_404(Settlement, pk=pk, farmer=request.farmer)
    return render(request, "coop/farmer/payslip.html",
                  {"s": s, "r": payslip_reading(s), "farmer": request.farmer, "nav": "money"})


@farmer_required
def rewards(request):
    entries = LedgerEntry.objects.filter(farmer=request.farmer, kind=LedgerEntry.REWARD).order_by("-occurred_on")
    total = entries.aggregate(s=MoneySum("amount"))["s"] or Decimal("0")
    return render(request, "coop/farmer/rewards.html", {"entries": entries[:50], "total": total, "nav": "money"})


@farmer_required
def notifications(request):
    notes = Notification.objects.filter(farmer=request.farmer).order_by("-created_at", "-id")[:50]
    response = render(request, "coop/farmer/notifications.html", {
        "notes": notes, "nav": "notes", "wechat": wechat.configured(), "bound": bool(request.farmer.wechat_openid),
        "in_wechat": "MicroMessenger" in request.headers.get("User-Agent", "")})
    if wechat.configured():
        # The "绑定微信" form's answer redirects to WeChat's authorisation page, and browsers hold a form's
        # redirects to the policy's form-action: this one page allows WeChat's address there too.
        response._csp_update = {"form-action": [settings.WECHAT_OPEN_BASE]}
    return response


NOTES_PATH = "/farmer/notifications/"
WECHAT_CALLBACK_PATH = "/farmer/wechat/callback/"


@require_POST
@farmer_required
def wechat_bind(request):
    """"绑定微信": off to WeChat's web authorisation with a state bound to this session and household."""
    if not wechat.configured():
        messages.error(request, _("本社还没有开通微信通知，消息会用短信发给您。"))
        return HttpResponseRedirect(NOTES_PATH)
    state = pin_service.begin_wechat_binding(request.session, request.farmer)
    # The address registered as 网页授权域名 in the official account: SITE_URL, not whatever Host was sent.
    return HttpResponseRedirect(wechat.authorize_url(settings.SITE_URL + WECHAT_CALLBACK_PATH, state))


@require_http_methods(["GET"])
@farmer_required
def wechat_callback(request):
    """WeChat's return — a GET, as the protocol has it. It writes only with the state this household's own
    POST to ``wechat_bind`` put in this session, once, so a link cannot bind anyone's WeChat."""
    try:
        pin_service.finish_wechat_binding(request.session, request.farmer, state=request.GET.get("state", ""),
                                          code=request.GET.get("code", ""))
    except pin_service.BindingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("绑定好了。以后的消息会发到您的微信。"))
    return HttpResponseRedirect(NOTES_PATH)


@require_POST
@farmer_required
def wechat_unbind(request):
    pin_service.unbind_wechat(request.farmer)
    messages.success(request, _("已解除微信绑定。以后的消息会用短信发给您。"))
    return HttpResponseRedirect(NOTES_PATH)


@farmer_required
def my_card(request):
    """The household's own member card (without the PIN, which is printed only when it is set)."""
    return render(request, "coop/farmer/card.html", {"cards": [card_context(request.farmer, request=request)],
                                                     "own": True, "SITE_URL": settings.SITE_URL})


LOGIN_PATH = "/farmer/login/"


