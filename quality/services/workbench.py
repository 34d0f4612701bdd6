"""The staff's workbench (/admin/workbench/): what waits today, in the order of the egg's day, one tap to each job.

收蛋 → 包装 → 标签 → 订单 → 质量 → 结算. Every number is counted with the field lookups the job's own list is
filtered with (``COUNTED``/``HELD`` of deliveries, ``orders.TO_PACK``…, ``reports.WAITING``…, defined beside the
service that owns the rows), and each card links to that list with the same lookups as its query string
(``dashboard.admin_list``): a card that says 3 opens 3 rows. It reads all three apps, so it lives in quality, at
the top of the dependency chain, like the dashboard.

Each section is shown to the roles whose job it is, and counted over the cooperatives where the user holds one
of those roles (an inspector of A who is a manager of B sees A's intake and B's everything). The number of
queries is fixed by the sections shown, never by the number of rows.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.models import WEIGHT_CLASS_CODES, Batch, Delivery, LedgerEntry, Settlement, Staff
from coop.models.intake import HELD
from coop.services import settlements as settlement_service
from orders.models import InvoiceRequest, Order
from orders.services import invoices as invoice_service
from orders.services import orders as order_service
from quality.models import Appeal, BadEggReport, Penalty
from quality.services import appeals as appeal_service
from quality.services import labels as label_service
from quality.services import penalties as penalty_service
from quality.services import reports as report_service
from quality.services.dashboard import _day_bounds, admin_list, eggs_to_pack

MANAGER, INSPECTOR, COMMITTEE = Staff.MANAGER, Staff.INSPECTOR, Staff.COMMITTEE

# How many waiting rows a card lists by name (the rest are behind its count's link).
SHOWN = 5


@dataclass
class Item:
    """One count on a card: what it is, how many, where its rows are, and (optionally) money."""

    key: str
    label: str
    count: int
    url: str
    amount: Decimal | None = None
    urgent: bool = False


@dataclass
class Section:
    key: str
    title: str
    items: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def waiting(self):
        return sum(item.count for item in self.items if item.urgent)


def ids_for(user, roles):
    return tenancy.cooperative_ids(user, roles)


def _intake(ids, today):
    start, end = _day_bounds(today, today)
    today_lookups = {"received_at__gte": start, "received_at__lt": end, "cancelled_at__isnull": True}
    counts = Delivery.objects.filter(cooperative__in=ids, **today_lookups).aggregate(n=Count("id"),
                                                                                     eggs=Sum("eggs_brought"))
    held = Delivery.objects.filter(cooperative__in=ids, **HELD)
    held_rows = list(held.select_related("farmer").order_by("-received_at")[:SHOWN])
    return Section("intake", _("收蛋"), [
        Item("today", _("今天交蛋"), counts["n"] or 0, admin_list(Delivery, today_lookups)),
        Item("held", _("待核查交蛋"), held.count(), admin_list(Delivery, HELD), urgent=True),
    ], {"eggs_today": counts["eggs"] or 0, "held": held_rows, "intake_url": reverse("books-intake")})


def _packing(ids, today):
    eggs = eggs_to_pack(ids, today)
    # One cooperative: the buttons name it; several: the packing page asks (it picks the first by default).
    page = reverse("books-pack") + (f"?coop={ids[0]}" if len(ids) == 1 else "")
    sep = "&" if len(ids) == 1 else "?"
    grades = [(wc, n, f"{page}{sep}weight_class={wc}") for wc, n in eggs.items() if n > 0]
    return Section("packing", _("包装"), [Item("eggs", _("待包装鸡蛋（枚）"), sum(eggs.values()), page, urgent=True)],
                   {"grades": grades})


def _labels(ids):
    qs = Batch.objects.filter(cooperative__in=ids, **label_service.WITHOUT_LABELS)
    rows = list(qs.select_related("trace").order_by("packed_at", "id")[:SHOWN])
    for batch in rows:
        trace = getattr(batch, "trace", None)
        batch.print_url = reverse("admin:quality_tracecode_sheet", args=[trace.pk]) if trace else ""
    return Section("labels", _("标签"), [
        Item("unlabelled", _("未打印标签的批次"), qs.count(), admin_list(Batch, label_service.WITHOUT_LABELS),
             urgent=True),
    ], {"batches": rows})


def _orders(ids):
    jobs = [("to_pack", _("待打包"), order_service.TO_PACK), ("to_ship", _("待发货"), order_service.TO_SHIP),
            ("to_hand_over", _("待自提交货"), order_service.TO_HAND_OVER)]
    items = [Item(key, label, Order.objects.filter(cooperative__in=ids, **lookups).count(), admin_list(Order, lookups),
                  urgent=True) for key, label, lookups in jobs]
    # 发票 to issue: counted with the lookups of the managers' list it links to (orders/services/invoices.py).
    items.append(Item("to_invoice", _("待开发票"), InvoiceRequest.objects.filter(cooperative__in=ids,
                                                                              **invoice_service.TO_ISSUE).count(),
                      reverse("shop:manage-invoices")))
    return Section("orders", _("订单"), items, {"queue_url": reverse("shop:manage"),
                                              "packing_url": reverse("shop:manage-packing"),
                                              "pickup_url": reverse("shop:manage-pickup")})


def _quality(user, now):
    items, extra = [], {}
    report_ids = ids_for(user, (MANAGER, INSPECTOR))
    if report_ids:
        qs = BadEggReport.objects.filter(cooperative__in=report_ids, **report_service.WAITING)
        items.append(Item("reports", _("待处理坏蛋报告"), qs.count(), admin_list(BadEggReport, report_service.WAITING),
                          urgent=True))
        extra["reports"] = list(qs.select_related("batch").order_by("created_at", "id")[:SHOWN])
        extra["can_confirm"] = set(ids_for(user, (MANAGER,)))
    hearing_ids = ids_for(user, (MANAGER, COMMITTEE))
    if hearing_ids:
        window = penalty_service.in_appeal_window(now)
        items.append(Item("in_window", _("申诉期内的处罚"), Penalty.objects.filter(
            cooperative__in=hearing_ids, **window).count(), admin_list(Penalty, window)))
        appeals = Appeal.objects.filter(penalty__cooperative__in=hearing_ids, **appeal_service.TO_HEAR)
        items.append(Item("appeals", _("待审申诉"), appeals.count(), admin_list(Appeal, appeal_service.TO_HEAR),
                          urgent=True))
        extra["appeals"] = list(appeals.select_related("penalty__farmer").order_by("filed_at", "id")[:SHOWN])
    return Section("quality", _("质量"), items, extra)


def last_month(today):
    return settlement_service.month_bounds(today.replace(day=1) - datetime.timedelta(days=1))


def _settlements(ids, today):
    start, end = last_month(today)
    # The month to run: households with ledger lines up to its end that no settlement has taken yet (what
    # settle_period would take).
    unsettled = (LedgerEntry.objects.filter(cooperative__in=ids, settlement__isnull=True, occurred_on__lte=end)
                 .aggregate(n=Count("farmer", distinct=True))["n"] or 0)
    items = [Item("to_run", _("上月未结算农户"), unsettled, "", urgent=True)]
    for key, label, lookups in (("to_approve", _("待审批结算单"), settlement_service.TO_APPROVE),
                                ("to_pay", _("待付款结算单"), settlement_service.TO_PAY)):
        agg = Settlement.objects.filter(cooperative__in=ids, **lookups).aggregate(
            n=Count("id"), paid_out=Settlement.paid_out_sum())
        items.append(Item(key, label, agg["n"] or 0, admin_list(Settlement, lookups),
                          amount=agg["paid_out"] or Decimal("0.00"), urgent=True))
    return Section("settlements", _("结算"), items, {
        "month": f"{start:%Y-%m}", "month_start": start, "coop": ids[0] if len(ids) == 1 else None,
        "settle_url": reverse("books-settle"), "list_url": reverse("books-settlements")})


def workbench(user, now=None):
    """The sections ``user`` has jobs in, in the order of the egg's day, each with its counts and links."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)  # a link's time, the same for count and list
    today = timezone.localdate(now)
    sections = []
    intake_ids = ids_for(user, (MANAGER, INSPECTOR))
    manager_ids = ids_for(user, (MANAGER,))
    if intake_ids:
        sections.append(_intake(intake_ids, today))
    if manager_ids:
        sections += [_packing(manager_ids, today), _labels(manager_ids), _orders(manager_ids)]
    quality = _quality(user, now)
    if quality.items:
        sections.append(quality)
    if manager_ids:
        sections.append(_settlements(manager_ids, today))
    return {"sections": sections, "today": today, "weight_classes": WEIGHT_CLASS_CODES}
