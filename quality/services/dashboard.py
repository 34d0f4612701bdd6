"""The manager's dashboard (/admin/dashboard/): the week at a glance, with links into the lists.

It summarises all three apps, so it lives at the top of the dependency chain (quality imports
coop and orders; neither imports this). Every number is one aggregate query over the manager's own
cooperatives; charts are SVG drawn here on the server (no JavaScript library on a weak signal).
Mounted from coop/urls.py *before* the admin, whose catch-all would otherwise answer 404."""

import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from coop.lib import tenancy
from coop.models import REJECT_CODES, WEIGHT_CLASS_CODES, Batch, BatchContribution, Cooperative, Delivery, Settlement
from coop.models.intake import COUNTED, HELD
from coop.services.packing import window_start
from orders.models import Order, OrderLine
from orders.services import stock
from orders.services.programmes import counted_amounts, counted_orders
from quality.models import Appeal, BadEggReport, Scan
from quality.services import appeals as appeal_service
from quality.services import reports as report_service

CHART_DAYS = 14


TOP_HOUSEHOLDS = 10


def week_start(today):
    return today - datetime.timedelta(days=today.weekday())  # Monday: how the collective plans its week


def _day_bounds(first_day, last_day):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min), tz)
    end = timezone.make_aware(datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min), tz)
    return start, end


_REJECTED = sum((Sum(f"rejected_{code}") for code in REJECT_CODES[1:]), Sum(f"rejected_{REJECT_CODES[0]}"))


_ACCEPTED = sum((Sum(f"accepted_{wc.lower()}") for wc in WEIGHT_CLASS_CODES[1:]),
                Sum(f"accepted_{WEIGHT_CLASS_CODES[0].lower()}"))


def _rate(rejected, brought):
    return (Decimal(rejected) * 100 / brought).quantize(Decimal("0.1")) if brought else Decimal("0.0")


def _grouped(qs, *keys):
    rows = []
    for row in qs.values(*keys).annotate(brought=Sum("eggs_brought"), rejected=_REJECTED, accepted=_ACCEPTED,
                                         amount=Sum("amount_due"), deliveries=Count("id")):
        row["rate"] = _rate(row["rejected"] or 0, row["brought"] or 0)
        rows.append(row)
    return rows


def _week_deliveries(coop_ids, today):
    start, end = _day_bounds(week_start(today), today)
    # counted(): deliveries held for review or cancelled by a correction are in no figure. The one
    # definition: its lookups (COUNTED) are also what the card's admin link filters by.
    return Delivery.objects.counted().filter(cooperative__in=coop_ids, received_at__gte=start, received_at__lt=end)


def _week_totals():
    return {"brought": Sum("eggs_brought"), "rejected": _REJECTED, "accepted": _ACCEPTED, "amount": Sum("amount_due"),
            "deliveries": Count("id"), "households": Count("farmer", distinct=True)}


def _totals(row):
    totals = {k: row.get(k) or 0 for k in _week_totals()}
    totals["rate"] = _rate(totals["rejected"], totals["brought"])
    return totals


def week_totals_by_cooperative(coop_ids, today):
    """``{cooperative_id: totals}`` — the week card's totals (``deliveries_summary(...)["totals"]`` without
    "held") of each cooperative, in one query however many there are (the reconciliation checks a
    province's 3,000 one by one against their rows)."""
    found = {row["cooperative_id"]: _totals(row) for row in
             _week_deliveries(coop_ids, today).values("cooperative_id").annotate(**_week_totals())}
    return {cid: found.get(cid) or _totals({}) for cid in coop_ids}


def deliveries_summary(coop_ids, today):
    week = _week_deliveries(coop_ids, today)
    totals = _totals(week.aggregate(**_week_totals()))
    totals["held"] = Delivery.objects.filter(cooperative__in=coop_ids, **HELD).count()  # waiting for a manager
    villages = sorted(_grouped(week, "farmer__village_id", "farmer__village__name"), key=lambda r: -r["brought"])
    households = sorted(_grouped(week, "farmer_id", "farmer__member_no", "farmer__head_name",
                                 "farmer__village__name"), key=lambda r: (-r["brought"], r["farmer__member_no"]))
    worst = sorted((h for h in households if h["rejected"]), key=lambda r: (-r["rate"], -r["rejected"]))[:5]
    return {"week_start": week_start(today), "totals": totals, "villages": villages,
            "households": households[:TOP_HOUSEHOLDS], "worst": worst, "household_count": len(households)}


def per_day(qs, field, first_day, today, value=None):
    """``[(day, n), …]`` for every day from ``first_day`` to ``today`` (zeros included)."""
    start, end = _day_bounds(first_day, today)
    agg = value or Count("id")
    found = dict(qs.filter(**{f"{field}__gte": start, f"{field}__lt": end})
                 .annotate(day=TruncDate(field)).values("day").annotate(n=agg).values_list("day", "n"))
    days = [first_day + datetime.timedelta(days=i) for i in range((today - first_day).days + 1)]
    return [(d, found.get(d) or 0) for d in days]


def bar_chart(points, *, width=340, height=120, label_every=2):
    """Geometry of a vertical bar chart as plain numbers, drawn by the template as SVG <rect>s."""
    top = max((n for _d, n in points), default=0) or 1
    pad_bottom, pad_top = 18, 14
    inner = height - pad_bottom - pad_top
    margin = 14  # room for the first and last date labels, which are centred on their bars
    step = (width - 2 * margin) / max(len(points), 1)
    bars = []
    for i, (day, n) in enumerate(points):
        h = round(inner * n / top, 1)
        bars.append({
            "x": round(margin + i * step + step * 0.15, 1), "w": round(step * 0.7, 1),
            "y": round(pad_top + inner - h, 1), "h": h, "n": n, "day": day,
            "label": f"{day:%m-%d}" if i % label_every == 0 else "",
            "tx": round(margin + i * step + step / 2, 1), "ty": height - 4, "vy": round(pad_top + inner - h - 3, 1)})
    return {"bars": bars, "width": width, "height": height, "max": top, "base": pad_top + inner}


def hbar_chart(rows, key, label_key, *, width=340, bar_height=22, rate_key=None):
    """Horizontal bars (one per village): length = eggs, the red part = rejected eggs."""
    top = max((r[key] or 0 for r in rows), default=0) or 1
    label_w = 80
    usable = width - label_w - 60
    out = []
    for i, r in enumerate(rows):
        total = r[key] or 0
        w = round(usable * total / top, 1)
        bad = round(w * (r.get("rejected") or 0) / total, 1) if total else 0
        out.append({"y": i * (bar_height + 6), "w": w, "bad": bad, "bad_x": round(label_w + w - bad, 1),
                    "label": r[label_key], "n": total, "rate": r.get(rate_key) if rate_key else None,
                    "ty": i * (bar_height + 6) + bar_height * 0.7, "nx": round(label_w + w + 4, 1)})
    return {"rows": out, "width": width, "height": max(len(rows), 1) * (bar_height + 6), "label_w": label_w,
            "bar_h": bar_height}


def eggs_to_pack(coop_ids, today):
    """``{weight_class: eggs}`` still unpacked within the packing window, over all ``coop_ids``.

    The rule of ``coop.services.packing.deliveries_in_stock`` (accepted − already packed, for
    deliveries whose earliest laying date is in the window), in two queries for any number of
    cooperatives — a prefecture office sees 300 of them here. Packing never takes more eggs of a
    class from a delivery than it accepted, so "accepted − packed" summed over the window is the
    sum of each delivery's remainder.
    """
    window = _pack_window(coop_ids, today)
    accepted = window.aggregate(**{wc: Sum(f"accepted_{wc.lower()}") for wc in WEIGHT_CLASS_CODES})
    packed = dict(BatchContribution.objects.filter(delivery__in=window).values("batch__weight_class")
                  .annotate(n=Sum("eggs")).values_list("batch__weight_class", "n"))
    return {wc: (accepted[wc] or 0) - (packed.get(wc) or 0) for wc in WEIGHT_CLASS_CODES}


def _pack_window(coop_ids, today):
    return Delivery.objects.counted().filter(cooperative__in=coop_ids, laid_from__gte=window_start(today),
                                             laid_from__lte=today)


def eggs_to_pack_by_cooperative(coop_ids, today):
    """``{cooperative_id: {weight_class: eggs}}`` — ``eggs_to_pack([cid], today)`` of each cooperative, in two
    queries for all of them (grouped by cooperative)."""
    window = _pack_window(coop_ids, today)
    accepted = {row["cooperative_id"]: row for row in window.values("cooperative_id").annotate(
        **{wc: Sum(f"accepted_{wc.lower()}") for wc in WEIGHT_CLASS_CODES})}
    packed = {(cid, wc): n for cid, wc, n in BatchContribution.objects.filter(delivery__in=window).values(
        "delivery__cooperative_id", "batch__weight_class").annotate(n=Sum("eggs")).values_list(
        "delivery__cooperative_id", "batch__weight_class", "n")}
    return {cid: {wc: (accepted.get(cid, {}).get(wc) or 0) - (packed.get((cid, wc)) or 0) for wc in WEIGHT_CLASS_CODES}
            for cid in coop_ids}


def boxes_for_sale(coop_ids, today):
    """``[(weight_class, pack_size, boxes)]`` sellable now, as ``orders.services.stock.available_boxes``
    counts them (packed in sellable batches − allocated − held by unpaid/paid orders), per stock pool
    (cooperative, class, pack size), added up by class and pack size; three queries in all."""
    batches = Batch.objects.filter(cooperative__in=coop_ids, status=Batch.PACKED, best_before__gte=today)
    keys = ("cooperative_id", "weight_class", "pack_size")
    packed = {tuple(r[k] for k in keys): r["n"] for r in batches.values(*keys).annotate(n=Sum("boxes"))}
    allocated = {(r["batch__cooperative_id"], r["batch__weight_class"], r["batch__pack_size"]): r["n"] for r in
                 stock.live_allocations(batch__in=batches).values(
                     "batch__cooperative_id", "batch__weight_class", "batch__pack_size").annotate(n=Sum("boxes"))}
    held = {(r["order__cooperative_id"], r["weight_class"], r["pack_size"]): r["n"] for r in
            OrderLine.objects.filter(order__cooperative__in=coop_ids, order__status__in=Order.HOLDING)
            .values("order__cooperative_id", "weight_class", "pack_size").annotate(n=Sum("boxes"))}
    totals = {}
    for pool, n in packed.items():
        free = max(n - allocated.get(pool, 0) - held.get(pool, 0), 0)
        totals[pool[1:]] = totals.get(pool[1:], 0) + free
    order = {wc: i for i, wc in enumerate(WEIGHT_CLASS_CODES)}
    return sorted(((wc, size, n) for (wc, size), n in totals.items()), key=lambda r: (order.get(r[0], 9), r[1]))


def stock_summary(coop_ids, today):
    eggs = eggs_to_pack(coop_ids, today)
    boxes = boxes_for_sale(coop_ids, today)
    return {"eggs": eggs, "eggs_total": sum(eggs.values()), "boxes": boxes, "boxes_total": sum(n for *_k, n in boxes)}


def orders_summary(coop_ids, today):
    by_status = dict(Order.objects.filter(cooperative__in=coop_ids, status__in=Order.OPEN)
                     .values("status").annotate(n=Count("id")).values_list("status", "n"))
    labels = dict(Order.STATUSES)
    month_start = today.replace(day=1)
    counted = counted_orders(start=month_start, end=today).filter(cooperative__in=coop_ids)
    counted_all = counted_orders().filter(cooperative__in=coop_ids)
    return {
        "open": [(s, labels[s], by_status.get(s, 0)) for s in Order.OPEN],
        "open_total": sum(by_status.values()),
        "programme_month": sum(counted_amounts(counted).values(), Decimal("0.00")),
        "programme_total": sum(counted_amounts(counted_all).values(), Decimal("0.00")),
        "programme_orders": counted_all.count(),
    }


def quality_summary(coop_ids):
    reports = dict(BadEggReport.objects.filter(cooperative__in=coop_ids, **report_service.WAITING).values("status")
                   .annotate(n=Count("id")).values_list("status", "n"))
    appeals = Appeal.objects.filter(penalty__cooperative__in=coop_ids, **appeal_service.TO_HEAR).count()
    return {"reports_received": reports.get(BadEggReport.RECEIVED, 0),
            "reports_investigating": reports.get(BadEggReport.INVESTIGATING, 0),
            "reports_waiting": sum(reports.values()), "appeals_waiting": appeals}


def settlement_summary(coop_ids):
    latest = Settlement.objects.filter(cooperative__in=coop_ids).order_by("-period_end").values_list(
        "period_start", "period_end").first()
    if latest is None:
        return {"period": None, "rows": []}
    qs = Settlement.objects.filter(cooperative__in=coop_ids, period_start=latest[0], period_end=latest[1])
    return _settlement_card(latest, qs.values("status").annotate(**_settlement_sums()))


def _settlement_sums():
    # "实付合计" is money paid (or to pay) out: Settlement.paid_out, never lowered by a household's negative
    # net, which is shown on its own as what households owe (Settlement.carried_over).
    return {"n": Count("id"), "paid_out": Settlement.paid_out_sum(), "carried": Settlement.carried_over_sum()}


def _settlement_card(period, by_status):
    agg = {row["status"]: row for row in by_status}
    rows = [(code, label, agg.get(code, {}).get("n", 0), agg.get(code, {}).get("paid_out") or Decimal("0.00"))
            for code, label in Settlement.STATUSES]
    carried = sum((row["carried"] or Decimal("0.00") for row in agg.values()), Decimal("0.00"))
    return {"period": period, "rows": rows, "carried_over": carried}


def settlement_summaries(coop_ids):
    """``{cooperative_id: settlement_summary([cid])}`` for many cooperatives in one query: each one's latest
    period (the latest end; of two periods ending the same day, the later start) and its payslips by status."""
    latest_end = Settlement.objects.filter(cooperative_id=OuterRef("cooperative_id")).order_by("-period_end")
    latest = Subquery(latest_end.values("period_end")[:1])
    rows = (Settlement.objects.filter(cooperative__in=coop_ids, period_end=latest)
            .values("cooperative_id", "period_start", "period_end", "status").annotate(**_settlement_sums()))
    periods, by_status = {}, {}
    for row in rows:
        cid, period = row["cooperative_id"], (row["period_start"], row["period_end"])
        if cid not in periods or period > periods[cid]:
            periods[cid], by_status[cid] = period, []
        if period == periods[cid]:
            by_status[cid].append(row)
    return {cid: _settlement_card(periods[cid], by_status[cid]) if cid in periods else {"period": None, "rows": []}
            for cid in coop_ids}


def _admin_url(name, query=""):
    try:
        return reverse(f"admin:{name}") + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def _query_value(value):
    """A lookup's value as the admin list reads it back from a query string (``__in``: comma-separated; a boolean
    or ``__isnull``: 1/0; a date or time: ISO 8601)."""
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def admin_list(model, lookups):
    """The admin list of ``model`` filtered by exactly ``lookups`` — the same field lookups a count was made with,
    so a card's number and the rows it opens cannot disagree (the admin applies a query string's field lookups to
    its queryset as they are; its own tenant rule still scopes the rows)."""
    # A plain field is written "field__exact", the parameter of the admin's own filter for it, so the list's
    # filter panel shows the choice as made (the rows are the same).
    query = urlencode({(key if "__" in key else f"{key}__exact"): _query_value(value)
                       for key, value in lookups.items()})
    return _admin_url(f"{model._meta.app_label}_{model._meta.model_name}_changelist", query)


def dashboard_context(user, today=None, coop_id=None):
    today = today or timezone.localdate()
    ids = tenancy.cooperative_ids(user)
    if coop_id is not None:
        if coop_id not in ids:
            raise Http404
        ids = [coop_id]
    first = today - datetime.timedelta(days=CHART_DAYS - 1)
    deliveries = deliveries_summary(ids, today)
    eggs_per_day = per_day(Delivery.objects.counted().filter(cooperative__in=ids), "received_at", first, today,
                           value=Sum("eggs_brought"))
    scans_per_day = per_day(Scan.objects.filter(trace__batch__cooperative__in=ids), "scanned_at", first, today)
    week_bounds = _day_bounds(deliveries["week_start"], today)
    return {
        "today": today, "cooperatives": Cooperative.objects.filter(pk__in=tenancy.cooperative_ids(user)),
        "coop_id": coop_id, "d": deliveries,
        "village_chart": hbar_chart(deliveries["villages"], "brought", "farmer__village__name", rate_key="rate"),
        "eggs_chart": bar_chart(eggs_per_day), "scans_chart": bar_chart(scans_per_day),
        "scans_total": sum(n for _d, n in scans_per_day),
        "stock": stock_summary(ids, today), "orders": orders_summary(ids, today), "q": quality_summary(ids),
        "settlements": settlement_summary(ids),
        # Each card opens exactly the rows it counts: the list is filtered by the lookups the count used.
        "links": {
            "deliveries": admin_list(Delivery, {**COUNTED, "received_at__gte": week_bounds[0],
                                                "received_at__lt": week_bounds[1]}),
            "flagged": admin_list(Delivery, HELD),
            "reports": admin_list(BadEggReport, report_service.WAITING),
            "appeals": admin_list(Appeal, appeal_service.TO_HEAR),
            "orders": admin_list(Order, {"status__in": Order.OPEN}),
            "settlements": _admin_url("coop_settlement_changelist"),
            "batches": _admin_url("coop_batch_changelist", "status__exact=packed"),
            "farmers": _admin_url("coop_farmer_changelist"),
        },
    }
