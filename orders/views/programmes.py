"""Pages of the pairing programmes.

- ``/shop/p/<code>``: a programme's link or poster QR — remembers the programme, then into the shop.
- ``/programmes/…``: reports for managers (their cooperatives) and coordinators (their programme
  only, read-only), the statement PDFs, and the township's return-to-poverty monitoring report.
- ``/shop/statements/``: an organisation's buyer sees its pledges and certificates, rates deliveries.
- ``/v/<code>``: the public verification page printed as a QR on every certificate.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coop.forms import LockoutAuthenticationForm
from coop.lib import tenancy
from coop.lib.files import file_response
from coop.lib.media import private_file_response
from coop.lib.replica import reads_from_replica
from coop.lib.validators import InvalidNumber, is_ascii_digits, optional_id, parse_int
from coop.models import Cooperative, Village
from orders.models import Order, Product
from orders.models.programmes import (
    AcceptanceRating,
    BuyerOrganisation,
    InstitutionalTerms,
    Pledge,
    ProgrammeError,
    Statement,
    StatementNotFound,
)
from orders.services import impact, monitoring, statements
from orders.services import programmes as svc
from orders.services.posters import _photo, render_poster


def _shop_url():
    try:
        return reverse("shop:home")
    except Exception:  # noqa: BLE001 - the shop's URL name is the shop's; fall back to its public path
        return "/shop/"


@require_GET
def programme_link(request, code):
    """The link on a programme's poster. Unknown code → 404; a closed programme still opens the shop."""
    if is_ascii_digits(code):
        # /shop/p/<product id>/ is the shop's product page; a programme code always has a letter.
        return redirect(f"/shop/p/{code}/")
    programme = svc.programme_by_code(code)
    if programme is None:
        raise Http404(_("找不到这个帮扶项目。"))
    if programme.is_open_on(timezone.localdate()):
        request.session[svc.SESSION_KEY] = programme.code
        messages.info(request, _("您正在通过“%(name)s”以购代捐，付款后的订单计入该项目。") % {"name": programme.name})
    else:
        request.session.pop(svc.SESSION_KEY, None)
        messages.warning(request, _("“%(name)s”不在进行中，本次购买不计入帮扶项目。") % {"name": programme.name})
    return redirect(_shop_url())


@require_GET
def programme_poster(request, code):
    """The programme's poster for Moments and canteen walls: a QR code to ``/shop/p/<code>``."""

    programme = svc.programme_by_code(code)
    if programme is None:
        raise Http404(_("找不到这个帮扶项目。"))
    product = Product.objects.filter(cooperative=programme.cooperative, active=True).order_by("sort_order").first()
    villages = "、".join(programme.villages.values_list("name", flat=True))
    png = render_poster(title=programme.name, price_text=_("以购代捐 · 消费帮扶"),
                        caption=f"{programme.east_organisation} → {villages or programme.cooperative.name}",
                        url=settings.SITE_URL.rstrip("/") + reverse("shop:programme-link", args=[programme.code]),
                        photo=_photo(product))
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "max-age=300"
    return response


class CoordinatorLoginView(LoginView):
    form_class = LockoutAuthenticationForm  # the admin's lockout: staff sign in here too
    template_name = "orders/programmes/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("shop:programme-list")


def _programme_for(request, pk):
    programme = svc.visible_programmes(request.user).filter(pk=pk).select_related("cooperative").first()
    if programme is None:
        raise Http404(_("找不到这个帮扶项目。"))
    return programme


def _login_required(view):
    return login_required(view, login_url="shop:programme-login")


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@_login_required
@require_GET
@reads_from_replica
def programme_list(request):
    programmes = svc.visible_programmes(request.user).select_related("cooperative").prefetch_related("villages")
    is_staff = tenancy.is_staff_of_any(request.user) or request.user.is_superuser
    if not programmes and not is_staff:
        raise PermissionDenied
    incomes = svc.counted_totals([p.pk for p in programmes])
    rows = [{"programme": p, "income": incomes[p.pk]} for p in programmes]
    return render(request, "orders/programmes/list.html", {"rows": rows, "is_staff": is_staff})


@_login_required
@require_GET
def programme_agreement(request, pk):
    """The signed agreement, for whoever may read the programme's report (a private file: never /media/)."""
    return private_file_response(_programme_for(request, pk).agreement)


@_login_required
@require_GET
@reads_from_replica
def programme_report(request, pk):
    programme = _programme_for(request, pk)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    village_id = optional_id(request.GET.get("village"))
    village = programme.cooperative.villages.filter(pk=village_id).first() if village_id else None
    report = impact.programme_report(programme, start=start, end=end, village=village)
    pledge_rows = list(programme.pledges.select_related("organisation").order_by("period_end"))
    progress = svc.pledges_progress(pledge_rows)
    pledges = [{"pledge": p, **progress[p.pk]} for p in pledge_rows]
    ratings = (AcceptanceRating.objects.filter(order__attribution__programme=programme)
               .select_related("order", "order__attribution__organisation")[:20])
    manager = svc.can_manage(request.user, programme)
    return render(request, "orders/programmes/report.html", {
        "programme": programme, "report": report, "chart": mark_safe(impact.monthly_chart_svg(report["months"])),  # noqa: S308 - numbers only
        "pledges": pledges, "ratings": ratings, "statements": programme.statements.select_related("organisation"),
        "villages": programme.cooperative.villages.all(), "village": village, "start": start, "end": end,
        "can_manage": manager, "organisations": programme.organisations.all() if manager else [],
        "today": timezone.localdate(), "year_start": timezone.localdate().replace(month=1, day=1),
        "kinds": Statement.KINDS,
    })


@_login_required
@require_GET
@reads_from_replica
def programme_report_xlsx(request, pk):
    programme = _programme_for(request, pk)
    village_id = optional_id(request.GET.get("village"))
    village = programme.cooperative.villages.filter(pk=village_id).first() if village_id else None
    report = impact.programme_report(programme, start=_date(request.GET.get("start")),
                                     end=_date(request.GET.get("end")), village=village)
    response = file_response(impact.report_workbook(report), f"programme-{programme.code}.xlsx", download=True)
    return response


@_login_required
@require_POST
def issue_statement(request, pk):
    programme = _programme_for(request, pk)
    if not svc.can_manage(request.user, programme):
        raise PermissionDenied
    org = BuyerOrganisation.objects.filter(pk=request.POST.get("organisation") or 0,
                                           cooperative=programme.cooperative).first()
    start, end = _date(request.POST.get("start")), _date(request.POST.get("end"))
    kind = request.POST.get("kind") if request.POST.get("kind") in dict(Statement.KINDS) else Statement.CERTIFICATE
    if org is None or start is None or end is None:
        messages.error(request, _("请选择单位并填写开始和截止日期。"))
    else:
        try:
            st = statements.issue_statement(programme=programme, organisation=org, start=start, end=end, kind=kind,
                                            user=request.user)
        except ProgrammeError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已出具，验证码 %(code)s。") % {"code": st.code})
    return redirect("shop:programme-report", pk=programme.pk)


def _may_see_statement(user, statement):
    if svc.visible_programmes(user).filter(pk=statement.programme_id).exists():
        return True
    org = svc.organisation_of(getattr(user, "buyer", None)) if hasattr(user, "buyer") else None
    return org is not None and org.pk == statement.organisation_id


@_login_required
@require_GET
def statement_pdf(request, code):
    statement = Statement.objects.filter(code=code).select_related("programme__cooperative", "organisation").first()
    if statement is None or not _may_see_statement(request.user, statement):
        raise Http404(_("找不到这份证明。"))
    response = file_response(statements.render_pdf(statement), f"statement-{statement.code}.pdf")
    return response


@require_GET
def verify(request, code):
    """Public: anyone with the printed QR sees the frozen figures. A wrong code answers the site's 404 page
    saying so (rendered here, so DEBUG's technical page never reaches whoever scanned a forged paper)."""
    try:
        statement = statements.statement_to_verify(code)
    except StatementNotFound as exc:
        return render(request, "404.html", {"message": exc.message}, status=exc.status)
    return render(request, "orders/statements/verify.html", {"statement": statement, "f": statement.figures})


@_login_required
@require_GET
@reads_from_replica
def monitoring_report(request):
    """防返贫监测 for the staff of a cooperative (managers, inspectors, committee: the village cadres)."""
    ids = tenancy.cooperative_ids(request.user)
    if not ids:
        raise PermissionDenied
    coop_id = optional_id(request.GET.get("coop")) or ids[0]
    if coop_id not in ids:
        raise Http404
    cooperative = Cooperative.objects.get(pk=coop_id)
    default_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    month = monitoring.parse_month(request.GET.get("month"), default_month)
    village_id = optional_id(request.GET.get("village"))
    village = Village.objects.filter(cooperative=cooperative, pk=village_id).first() if village_id else None
    report = monitoring.township_report(cooperative, month, village=village)
    return render(request, "orders/programmes/monitoring.html", {
        "report": report, "villages": cooperative.villages.all(), "village": village,
        "cooperatives": Cooperative.objects.filter(pk__in=ids) if len(ids) > 1 else [],
        "month_value": f"{month:%Y-%m}",
    })


# --- The organisation's buyer -----------------------------------------------------------------------

@login_required(login_url="shop:login")
@require_GET
def my_programmes(request):
    buyer = getattr(request.user, "buyer", None) if hasattr(request.user, "buyer") else None
    org = svc.organisation_of(buyer) if buyer else None
    if org is None:
        # A person who bought through a programme's link: their own orders count (for no organisation).
        orders = list(svc.buyer_programme_orders(buyer)[:30]) if buyer else []
        counted = set(svc.counted_orders().filter(pk__in=[o.pk for o in orders]).values_list("pk", flat=True))
        return render(request, "orders/programmes/my.html", {"org": None, "orders": orders, "counted": counted})
    pledge_rows = list(Pledge.objects.filter(organisation=org).select_related("programme"))
    progress = svc.pledges_progress(pledge_rows)
    pledges = [{"pledge": p, **progress[p.pk]} for p in pledge_rows]
    orders = (Order.objects.filter(attribution__organisation=org)
              .select_related("attribution__programme", "acceptance", "institutional_terms")
              .order_by("-placed_at")[:30])
    return render(request, "orders/programmes/my.html", {
        "org": org, "pledges": pledges, "orders": orders, "statements": org.statements.select_related("programme"),
        "counted": set(svc.counted_orders(organisation=org).values_list("pk", flat=True)),
        "stars": range(5, 0, -1), "schedules": InstitutionalTerms.SCHEDULES,
        "editable": (Order.PENDING_PAYMENT, Order.PAID, Order.PACKED, Order.SHIPPED, Order.READY_FOR_PICKUP),
    })


@login_required(login_url="shop:login")
@require_POST
def order_terms(request, number):
    """An institution's purchase order number and delivery schedule for one of its orders."""
    buyer = getattr(request.user, "buyer", None) if hasattr(request.user, "buyer") else None
    order = get_object_or_404(Order, number=number, buyer=buyer) if buyer else None
    if order is None or svc.organisation_of(buyer) is None:
        raise Http404
    try:
        svc.set_order_terms(order, schedule=request.POST.get("schedule", InstitutionalTerms.ONCE),
                            purchase_order_ref=request.POST.get("purchase_order_ref", ""),
                            deliver_to=request.POST.get("deliver_to", ""), user=request.user)
    except ProgrammeError as exc:
        messages.error(request, exc.message)
        return redirect("shop:programme-mine")
    messages.success(request, _("采购信息已保存。"))
    return redirect("shop:programme-mine")


@login_required(login_url="shop:login")
@require_POST
def rate_order(request, number):
    """履约验收评价: an organisation's buyer rates a delivered order once (stars + comment)."""
    buyer = getattr(request.user, "buyer", None) if hasattr(request.user, "buyer") else None
    order = get_object_or_404(Order, number=number, buyer=buyer) if buyer else None
    if order is None:
        raise Http404
    try:
        stars = parse_int(request.POST.get("stars"), minimum=0, maximum=5) or 0
    except InvalidNumber:
        stars = 0
    try:
        svc.rate_order(order, stars=stars, comment=request.POST.get("comment", ""), user=request.user)
    except ProgrammeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("谢谢，验收评价已提交。"))
    return redirect("shop:programme-mine")
