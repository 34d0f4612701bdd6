"""The inspector's intake page at the collection point: a plain form that works on a weak phone.

It is server-rendered and posts to its own URL, so it works without JavaScript; static/js/intake.js
only adds a running total. (The farmer-pages work makes it work offline on top of this.)
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.forms import IntakeForm
from coop.lib import tenancy
from coop.models import REJECT_DEFECTS, WEIGHT_CLASSES, Delivery, Farmer, Staff
from coop.services.farmers import search_farmers
from coop.services.intake import DeliveryError, confirm_delivery, prices_on, record_delivery
from coop.views.base import staff_cooperative

INTAKE_ROLES = (Staff.INSPECTOR, Staff.MANAGER)


def intake_cooperative(request):
    """The cooperative the signed-in inspector works for (``?coop=`` picks one of several)."""
    return staff_cooperative(request, INTAKE_ROLES, _("只有验收员或管理员可以收蛋。"))


@login_required(login_url="/admin/login/")
def intake(request):
    coop = intake_cooperative(request)
    form = IntakeForm(request.POST or None, cooperative=coop)
    if request.method == "POST" and form.is_valid():
        try:
            delivery = record_delivery(cooperative=coop, inspector=request.user,
                                       idempotency_key=form.cleaned_data["idempotency_key"] or None,
                                       **form.delivery())
        except DeliveryError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("books-receipt", pk=delivery.pk)
    today_prices = prices_on(coop, timezone.localdate())
    # The list suggests by number and name; its label carries the pinyin so typing "ajmr" offers 阿吉木日
    # even offline (the browser filters a datalist on its labels too).
    farmers = Farmer.objects.filter(cooperative=coop, active=True).only("member_no", "head_name", "name_pinyin",
                                                                         "name_initials")
    recent = (Delivery.objects.filter(cooperative=coop, inspector=request.user).select_related("farmer")
              .order_by("-received_at")[:5])
    status = 400 if request.method == "POST" else 200
    return render(request, "coop/intake.html", {"form": form, "coop": coop, "farmers": farmers,
                                                "prices": sorted(today_prices.items()), "recent": recent},
                  status=status)


LOOKUP_LIMIT = 10


@login_required(login_url="/admin/login/")
def farmer_lookup(request):
    """``/intake/farmers/?coop=<id>&q=ajmr``: the households the intake page offers as the inspector types
    (JSON, read only). The same search as the form, the admin and the API."""
    coop = intake_cooperative(request)
    farmers = search_farmers(Farmer.objects.filter(cooperative=coop, active=True).select_related("village"),
                             request.GET.get("q", "")[:80])
    return JsonResponse({"results": [
        {"id": f.pk, "member_no": f.member_no, "head_name": f.head_name, "village": f.village.name,
         "initials": f.name_initials, "value": f"{f.member_no} {f.head_name}"}
        for f in farmers[:LOOKUP_LIMIT]]})


@login_required(login_url="/admin/login/")
def receipt(request, pk):
    """The printable slip for the household (also what the intake page shows after saving)."""
    ids = tenancy.cooperative_ids(request.user, tenancy.ALL_ROLES)
    delivery = get_object_or_404(Delivery.objects.select_related("farmer", "farmer__village", "cooperative",
                                                                 "inspector"), pk=pk, cooperative__in=ids)
    rejects = [(label, getattr(delivery, f"rejected_{code}")) for code, label in
               REJECT_DEFECTS
               if getattr(delivery, f"rejected_{code}")]
    lines = [(label, delivery.accepted_of(code), getattr(delivery, f"price_{code.lower()}"))
             for code, label in WEIGHT_CLASSES
             if delivery.accepted_of(code)]
    can_confirm = delivery.held and delivery.cooperative_id in tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    return render(request, "coop/receipt.html", {"d": delivery, "rejects": rejects, "lines": lines,
                                                 "can_confirm": can_confirm,
                                                 "amendment": Delivery.objects.filter(amended_from=delivery).first()})


@login_required(login_url="/admin/login/")
@require_POST
def confirm(request, pk):
    """A manager confirms a held delivery from its receipt (the admin has the same action)."""
    ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    delivery = get_object_or_404(Delivery.objects.select_related("farmer"), pk=pk, cooperative__in=ids)
    try:
        confirm_delivery(delivery, user=request.user, reason=request.POST.get("reason", ""))
    except DeliveryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认：交蛋记录 %(no)s 入库，¥%(amount)s 记入农户账上。")
                         % {"no": delivery.pk, "amount": delivery.amount_due})
    return redirect("books-receipt", pk=delivery.pk)
