"""Pairing programmes: which programme an order is for, which orders count, pledge progress.

The rule that keeps the numbers honest: an attributed order *counts* only while it is paid and
not refunded. That is read from the order's status and its refunds every time, never kept in a
counter, so a refund removes the order from every report, pledge and new statement at once.
"""

import datetime
from decimal import Decimal

from celery import shared_task
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.lib.words import in_site_language
from coop.models import Notification
from coop.services.audit import log_action
from coop.services.notifications import notify
from orders.models import Order, Refund
from orders.models.programmes import (
    AcceptanceRating,
    BuyerAffiliation,
    InstitutionalTerms,
    Pledge,
    Programme,
    ProgrammeAttribution,
    ProgrammeCoordinator,
    ProgrammeError,
)

SESSION_KEY = "pairing_programme"
# Statuses in which the buyer's money is with the collective. Refund pending is left out on
# purpose: the buyer has asked for the money back, so it must not be shown as assistance.
COUNTED_STATUSES = (Order.PAID, Order.PACKED, Order.SHIPPED, Order.READY_FOR_PICKUP, Order.COMPLETED)


# --- Which programme an order belongs to ----------------------------------------------------------

def programme_by_code(code):
    code = (code or "").strip().upper()
    return Programme.objects.filter(code=code).select_related("cooperative").first()


def organisation_of(buyer):
    aff = BuyerAffiliation.objects.filter(buyer=buyer).select_related("organisation").first()
    return aff.organisation if aff else None


def resolve_programme(*, buyer, cooperative, code=None, day=None):
    """The programme a new order of ``buyer`` is for: the link's code first, then the buyer's
    organisation's default programme. Only an active programme of the order's cooperative
    within its period qualifies. Returns ``(programme, source)`` or ``(None, None)``."""
    day = day or timezone.localdate()
    if code:
        programme = programme_by_code(code)
        if programme and programme.cooperative_id == cooperative.pk and programme.is_open_on(day):
            return programme, ProgrammeAttribution.LINK
    org = organisation_of(buyer)
    if org and org.default_programme_id:
        programme = org.default_programme
        if programme.cooperative_id == cooperative.pk and programme.is_open_on(day):
            return programme, ProgrammeAttribution.DEFAULT
    return None, None


def attribute_order(order, *, programme, source=ProgrammeAttribution.LINK, user=None):
    """Mark ``order`` as 以购代捐 for ``programme``. Idempotent: a second call returns the first row."""
    if programme.cooperative_id != order.cooperative_id:
        raise ProgrammeError(_("这个项目不属于订单的合作社。"), "wrong_cooperative")
    existing = ProgrammeAttribution.objects.filter(order=order).first()
    if existing is not None:
        return existing, False
    org = organisation_of(order.buyer)
    with transaction.atomic():
        attribution = ProgrammeAttribution.objects.create(order=order, programme=programme, organisation=org,
                                                          source=source)
        log_action(order, "order.attributed", user=user, actor_label=order.buyer.display_name,
                   data={"programme": programme.code, "organisation": org.pk if org else None, "source": source})
    return attribution, True


def attribute_new_order(order, *, programme_code=None):
    """Called by the shop right after placing an order (link code from the session, or the
    organisation's default). Does nothing for an order that is not for any programme."""
    programme, source = resolve_programme(buyer=order.buyer, cooperative=order.cooperative, code=programme_code,
                                          day=timezone.localdate(order.placed_at))
    if programme is None:
        return None
    return attribute_order(order, programme=programme, source=source)[0]


def buyer_programme_orders(buyer):
    """The buyer's own 以购代捐 orders (attributed to a programme, whether for an organisation or as a
    walk-in who came by a programme's link), newest first — what ``/shop/statements/`` shows a person."""
    return (Order.objects.filter(buyer=buyer, attribution__isnull=False)
            .select_related("attribution__programme", "attribution__organisation").order_by("-placed_at"))


def shows_statements(buyer):
    """Whether the buyer's orders page links to ``/shop/statements/``: an organisation's member, or a person
    with at least one 以购代捐 order (two small queries at most)."""
    return (Order.objects.filter(buyer=buyer, attribution__isnull=False).exists()
            or BuyerAffiliation.objects.filter(buyer=buyer).exists())


def programme_note(order):
    """What the order page says of an attributed order: its programme and whether it counts now (the
    ``counted_orders`` rule: paid and not refunded), or ``None`` for an order that is for no programme."""
    attribution = getattr(order, "attribution", None)  # the reverse one-to-one raises AttributeError if absent
    if attribution is None:
        return None
    if order.status in COUNTED_STATUSES and order.paid_at is not None:
        state = _("已计入")
    elif order.status == Order.PENDING_PAYMENT:
        state = _("付款后计入")
    else:
        state = _("未计入（订单已取消或退款）")
    return {"programme": attribution.programme, "state": state}


def checkout_programme(*, buyer, cooperative, code=None):
    """The programme an order placed now would count for — the rule ``attribute_new_order`` applies
    after placing (``resolve_programme``), so checkout never promises what the order will not get."""
    return resolve_programme(buyer=buyer, cooperative=cooperative, code=code)[0]


# --- Which orders count, and for how much ---------------------------------------------------------

def counted_orders(programme=None, *, organisation=None, start=None, end=None):
    """Attributed orders that are paid and not refunded, optionally within paid dates [start, end]."""
    qs = Order.objects.filter(attribution__isnull=False, status__in=COUNTED_STATUSES, paid_at__isnull=False)
    if programme is not None:
        qs = qs.filter(attribution__programme=programme)
    if organisation is not None:
        qs = qs.filter(attribution__organisation=organisation)
    if start is not None:
        qs = qs.filter(paid_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(paid_at__lt=_day_start(end + datetime.timedelta(days=1)))
    return qs


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def refunded_yuan(order_ids):
    """Succeeded partial refunds of still-counted orders, in yuan, per order id."""
    rows = (Refund.objects.filter(order_id__in=order_ids, status=Refund.SUCCEEDED)
            .values("order_id").annotate(fen=Sum("amount_fen")))
    return {r["order_id"]: Decimal(r["fen"]) / 100 for r in rows}


def counted_amounts(orders):
    """``{order_id: amount}`` — the order total less any refund that already succeeded."""
    orders = list(orders)
    refunds = refunded_yuan([o.pk for o in orders])
    return {o.pk: max(o.total - refunds.get(o.pk, Decimal("0")), Decimal("0.00")) for o in orders}


def counted_total(programme=None, **filters):
    return sum(counted_amounts(counted_orders(programme, **filters)).values(), Decimal("0.00"))


def counted_totals(programme_ids):
    """``{programme_id: counted_total(programme)}`` for a whole list in two queries, however long the
    list (``counted_total`` per row is two queries a row: the N+1 of every programme list)."""
    programme_ids = list(programme_ids)
    rows = list(counted_orders().filter(attribution__programme__in=programme_ids)
                .values_list("pk", "attribution__programme_id", "total"))
    amounts = _counted_rows(rows)
    totals = dict.fromkeys(programme_ids, Decimal("0.00"))
    for pk, programme_id, _total in rows:
        totals[programme_id] += amounts[pk]
    return totals


def _counted_rows(rows):
    """{order_id: amount} of (order_id, …, total) rows, less succeeded refunds — ``counted_amounts``' rule."""
    refunds = refunded_yuan([row[0] for row in rows])
    return {row[0]: max(row[-1] - refunds.get(row[0], Decimal("0")), Decimal("0.00")) for row in rows}


# --- Pledges ----------------------------------------------------------------------------------------

def pledge_progress(pledge, today=None, *, done=None):
    """What a pledge has reached: paid, unrefunded orders of its organisation under its programme,
    paid within its period. ``expected`` is the straight-line share of the amount by today.
    ``done`` is the reached amount when the caller already has it (``pledges_progress``)."""
    today = today or timezone.localdate()
    if done is None:
        done = counted_total(pledge.programme, organisation=pledge.organisation, start=pledge.period_start,
                             end=pledge.period_end)
    days = (pledge.period_end - pledge.period_start).days + 1
    elapsed = min(max((today - pledge.period_start).days + 1, 0), days)
    expected = (pledge.amount * elapsed / days).quantize(Decimal("0.01"))
    percent = int(done * 100 / pledge.amount) if pledge.amount else 0
    return {
        "amount": pledge.amount, "done": done, "remaining": max(pledge.amount - done, Decimal("0.00")),
        "percent": percent, "expected": expected, "behind": done < expected and done < pledge.amount,
        "days_left": max((pledge.period_end - today).days, 0),
    }


def pledges_progress(pledges, today=None):
    """``{pledge_id: pledge_progress(pledge)}`` for a list of pledges in two queries: the counted orders
    of all their programmes and organisations over the span of their periods (and their refunds), each
    then given to the pledges whose programme, organisation and period it falls in."""
    pledges = list(pledges)
    if not pledges:
        return {}
    rows = list(counted_orders(start=min(p.period_start for p in pledges), end=max(p.period_end for p in pledges))
                .filter(attribution__programme__in={p.programme_id for p in pledges},
                        attribution__organisation__in={p.organisation_id for p in pledges})
                .values_list("pk", "attribution__programme_id", "attribution__organisation_id", "paid_at", "total"))
    amounts = _counted_rows(rows)
    progress = {}
    for pledge in pledges:
        # The same bounds as counted_orders(start=, end=): from the first day's start to the next day's.
        since, until = _day_start(pledge.period_start), _day_start(pledge.period_end + datetime.timedelta(days=1))
        done = sum((amounts[pk] for pk, programme_id, org_id, paid_at, _t in rows
                    if programme_id == pledge.programme_id and org_id == pledge.organisation_id
                    and since <= paid_at < until), Decimal("0.00"))
        progress[pledge.pk] = pledge_progress(pledge, today, done=done)
    return progress


# Reminders go out when a pledge is behind and its deadline is this close.
REMIND_WITHIN_DAYS = 30


# --- What managers and organisations record --------------------------------------------------------------

def register_pledge(pledge, *, user):
    """Save a reserved share (预留份额; ``pledge`` unsaved, checked by the caller's form) registered by
    ``user`` and write ``pledge.registered``."""
    with transaction.atomic():
        pledge.created_by = user
        pledge.save()
        log_action(pledge, "pledge.registered", user=user,
                   data={"amount": str(pledge.amount), "organisation": pledge.organisation_id})
    return pledge


# Orders an organisation may rate (履约验收): delivered or ready.
RATABLE = (Order.SHIPPED, Order.READY_FOR_PICKUP, Order.COMPLETED)


def set_order_terms(order, *, schedule, purchase_order_ref="", deliver_to="", user):
    """An institution's purchase order number and delivery schedule for one of its orders (while it runs)."""
    if schedule not in dict(InstitutionalTerms.SCHEDULES):
        raise ProgrammeError(_("请选择配送安排。"), field="schedule")
    if order.status in (Order.COMPLETED, Order.CANCELLED, Order.REFUNDED):
        raise ProgrammeError(_("订单已结束，不能再修改采购信息。"))
    with transaction.atomic():
        terms, _created = InstitutionalTerms.objects.update_or_create(order=order, defaults=dict(
            purchase_order_ref=purchase_order_ref.strip()[:40], schedule=schedule,
            deliver_to=deliver_to.strip()[:100]))
        log_action(order, "order.institutional_terms", user=user,
                   data={"po": terms.purchase_order_ref, "schedule": schedule, "deliver_to": terms.deliver_to})
    return terms


def rate_order(order, *, stars, comment="", user):
    """Rate a delivered order once (1–5 stars and a comment) and write ``order.acceptance_rated``."""
    if order.status not in RATABLE:
        raise ProgrammeError(_("订单送达后才能验收评价。"))
    if not 1 <= stars <= 5:
        raise ProgrammeError(_("请选择 1–5 星。"), field="stars")
    with transaction.atomic():
        if AcceptanceRating.objects.filter(order=order).exists():
            raise ProgrammeError(_("这个订单已经评价过了。"), status=409)
        rating = AcceptanceRating.objects.create(order=order, stars=stars, comment=comment[:300], rated_by=user)
        log_action(order, "order.acceptance_rated", user=user, data={"stars": stars, "rating": rating.pk})
    return rating


def remind_pledges(today=None):
    """Remind organisations whose pledge is behind as its deadline nears. At most one message per
    pledge per ISO week (the notification key), so a retried or doubled beat sends nothing twice."""

    today = today or timezone.localdate()
    due = (Pledge.objects.filter(period_start__lte=today, period_end__gte=today,
                                 period_end__lte=today + datetime.timedelta(days=REMIND_WITHIN_DAYS))
           .select_related("organisation", "programme__cooperative"))
    sent = 0
    for pledge in due:
        phone = pledge.organisation.contact_phone
        if not phone:
            continue
        progress = pledge_progress(pledge, today)
        if not progress["behind"]:
            continue
        year, week, _wd = today.isocalendar()
        with in_site_language():
            body = _("【绿壳蛋·以购代捐】%(org)s：%(prog)s 预留份额 ¥%(amount)s 已完成 ¥%(done)s（%(pct)s%%），"
                     "还差 ¥%(left)s，%(end)s 截止。") % {
                "org": pledge.organisation.name, "prog": pledge.programme.name, "amount": pledge.amount,
                "done": progress["done"], "pct": progress["percent"], "left": progress["remaining"],
                "end": f"{pledge.period_end:%Y年%m月%d日}"}
            key = f"pledge:{pledge.pk}:remind:{year}-{week:02d}"
            if Notification.objects.filter(dedupe_key=key).exists():
                continue
            notify(event="pledge.reminder", key=key, body=body, cooperative=pledge.programme.cooperative, phone=phone,
                   sms_params={"org": pledge.organisation.name, "done": progress["done"],
                               "left": progress["remaining"], "end": f"{pledge.period_end:%Y年%m月%d日}"})
        sent += 1
    return sent


# --- Who may see a programme --------------------------------------------------------------------

def visible_programmes(user):
    """Managers (any role) see their cooperatives' programmes; coordinators only their own."""

    if not getattr(user, "is_authenticated", False):
        return Programme.objects.none()
    if user.is_superuser:
        return Programme.objects.all()
    coop_ids = tenancy.cooperative_ids(user)
    mine = ProgrammeCoordinator.objects.filter(user=user).values("programme_id")
    return Programme.objects.filter(Q(cooperative_id__in=coop_ids) | Q(pk__in=mine))


def can_manage(user, programme):
    """Issuing statements and editing pledges: managers of the programme's cooperative only."""

    return bool(user.is_authenticated and (
        user.is_superuser or programme.cooperative_id in tenancy.cooperative_ids(user, (tenancy.Staff.MANAGER,))))


@shared_task(name="orders.tasks_programmes.remind_pledges")
def remind_pledges_task():
    """Safe to run twice: reminders are keyed per pledge and week."""
    return remind_pledges()
