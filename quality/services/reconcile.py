"""The reconciliation the product runs itself (issue 14, "every figure true").

``run_reconciliation()`` recomputes published figures from the raw rows and compares them with what
is stored or shown: the payslips against their ledger lines, each delivery's credit against the
delivery, batches against their contributions and sales, the fund against its movements, and the
dashboard's totals against a count of the rows. Every check computes its *expected* side here, in
Python over plain column values, on purpose without the service that publishes the figure (that
service is called for the *found* side only): a bug in a reporting query cannot then hide itself.

It lives in quality because it reads all three apps (quality sits at the top of the dependency chain,
like the dashboard). Each run is stored, append-only, as a ``ReconciliationRun``; the admin home shows
the latest. Checks read everything once per run; for the collective's size (hundreds of households,
thousands of rows a month) that is seconds, run at night.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from celery import shared_task
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.lib.money import to_money
from coop.models import (
    PACKING_WINDOW_DAYS,
    WEIGHT_CLASS_CODES,
    Batch,
    BatchContribution,
    Cooperative,
    Delivery,
    Donation,
    Farmer,
    FundEntry,
    LedgerEntry,
    Settlement,
)
from coop.models.intake import REJECT_CODES
from coop.services import fund, ledger
from orders.models import Allocation, Order, Programme, ProgrammeAttribution, Refund
from orders.services import impact
from quality.models import BadEggReport, BoxCode, ComplianceCertificate, ReconciliationRun, TraceCode
from quality.services import dashboard, epcis, scanpage

ZERO = Decimal("0.00")
# Orders whose boxes may have gone back on the shelf (orders.services.stock says when exactly).
GIVEN_UP = (Order.CANCELLED, Order.REFUND_PENDING, Order.REFUNDED)
DELIVERY_SOURCE = Delivery._meta.label_lower
SETTLEMENT_SOURCE = Settlement._meta.label_lower


def _link(name, pk):
    try:
        return reverse(f"admin:{name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _mismatch(kind, cooperative_id, obj, expected, found, link=""):
    return {"kind": kind, "cooperative": cooperative_id, "object": str(obj), "expected": str(expected),
            "found": str(found), "link": link}


# --- (1) the ledger ------------------------------------------------------------------------------

def check_settlements():
    """Each payslip's gross / fines / rewards / adjustments / net = the sums of the lines it settled.

    The lines a payslip settled are those attached to it, except what paying it attached afterwards
    (its own payout or carried-over balance, whose source is the settlement): that line must be −net
    once paid and must not exist before."""
    sums = defaultdict(lambda: defaultdict(lambda: ZERO))
    own = defaultdict(lambda: ZERO)
    rows = LedgerEntry.objects.filter(settlement__isnull=False).values_list(
        "settlement_id", "kind", "amount", "source_type", "source_id")
    for sid, kind, amount, source_type, source_id in rows.iterator():
        if source_type == SETTLEMENT_SOURCE and source_id == sid:
            own[sid] += amount
            continue
        bucket = LedgerEntry.ADJUSTMENT if kind == LedgerEntry.PAYOUT else kind
        sums[sid][bucket] += amount
        sums[sid]["net"] += amount
    fields = (("gross", LedgerEntry.DELIVERY), ("fines", LedgerEntry.FINE), ("rewards", LedgerEntry.REWARD),
              ("adjustments", LedgerEntry.ADJUSTMENT), ("net", "net"))
    found = []
    for s in Settlement.objects.values("pk", "cooperative_id", "status", *[f for f, _k in fields]).iterator():
        label = _("结算单 %(no)s") % {"no": s["pk"]}
        link = _link("coop_settlement", s["pk"])
        for field, key in fields:
            expected = to_money(sums[s["pk"]][key])
            if s[field] != expected:
                found.append(_mismatch(f"settlement.{field}", s["cooperative_id"], label, expected, s[field], link))
        expected_own = -s["net"] if s["status"] == Settlement.PAID else ZERO
        if to_money(own[s["pk"]]) != expected_own:
            found.append(_mismatch("settlement.payout", s["cooperative_id"], label, expected_own,
                                   to_money(own[s["pk"]]), link))
    return found


def check_balances():
    """Each household's published balance (farmer pages, payslips) = the sum of its ledger lines, and no
    payslip settled a line dated after its period."""
    balances = defaultdict(lambda: ZERO)
    late = defaultdict(int)
    ends = dict(Settlement.objects.values_list("pk", "period_end"))
    for farmer_id, amount, occurred_on, sid, source_type, source_id in LedgerEntry.objects.values_list(
            "farmer_id", "amount", "occurred_on", "settlement_id", "source_type", "source_id").iterator():
        balances[farmer_id] += amount
        own = source_type == SETTLEMENT_SOURCE and source_id == sid  # its payout, written when paid
        if sid is not None and not own and occurred_on > ends[sid]:
            late[sid] += 1
    found = []
    # The published balances of every household in one grouped query (one query per household was a
    # province's 300,000); a household without lines is published as 0.00.
    published_balances = ledger.balances()
    for farmer in Farmer.objects.only("pk", "cooperative_id", "member_no", "head_name").iterator():
        published = published_balances.get(farmer.pk, ZERO)
        if published != to_money(balances[farmer.pk]):
            found.append(_mismatch("ledger.balance", farmer.cooperative_id, _("农户 %(no)s %(name)s")
                                   % {"no": farmer.member_no, "name": farmer.head_name},
                                   to_money(balances[farmer.pk]), published, _link("coop_farmer", farmer.pk)))
    late_settlements = {row["pk"]: row for row in Settlement.objects.filter(pk__in=list(late)).values(
        "pk", "cooperative_id", "period_end")}
    for sid, n in late.items():
        s = late_settlements[sid]
        found.append(_mismatch("settlement.period", s["cooperative_id"], _("结算单 %(no)s") % {"no": sid},
                               _("%(end)s 之前的分录") % {"end": s["period_end"]}, _("%(n)d 笔更晚的分录") % {"n": n},
                               _link("coop_settlement", sid)))
    return found


def check_delivery_credits():
    """Every delivery is credited once, with exactly what it is owed; held and cancelled ones are not.

    A delivery's credit is its ``delivery``-kind lines plus the reversal posted when it was cancelled;
    adjustments (``delivery:N:adjust:…``) are corrections on top and not part of the credit."""
    credit = defaultdict(lambda: ZERO)
    credit_lines = defaultdict(int)
    settled_credit = set()
    rows = LedgerEntry.objects.filter(source_type=DELIVERY_SOURCE).values_list(
        "source_id", "kind", "amount", "dedupe_key", "settlement_id")
    for did, kind, amount, key, settlement_id in rows.iterator():
        if key and ":adjust:" in key:
            continue
        credit[did] += amount
        if kind == LedgerEntry.DELIVERY:
            credit_lines[did] += 1
            if settlement_id is not None:
                settled_credit.add(did)
    prices = [f"price_{wc.lower()}" for wc in WEIGHT_CLASS_CODES]
    accepted = [f"accepted_{wc.lower()}" for wc in WEIGHT_CLASS_CODES]
    found = []
    for d in Delivery.objects.values("pk", "cooperative_id", "amount_due", "flagged", "cancelled_at",
                                     *prices, *accepted).iterator():
        label = _("交蛋记录 %(no)s") % {"no": d["pk"]}
        link = _link("coop_delivery", d["pk"])
        owed = to_money(sum((Decimal(d[a]) * d[p] for a, p in zip(accepted, prices, strict=True)), ZERO))
        if d["amount_due"] != owed:
            found.append(_mismatch("delivery.amount_due", d["cooperative_id"], label, owed, d["amount_due"], link))
        if credit_lines[d["pk"]] > 1:
            found.append(_mismatch("delivery.credited_twice", d["cooperative_id"], label, 1,
                                   credit_lines[d["pk"]], link))
        got = to_money(credit[d["pk"]])
        if d["cancelled_at"] is not None:
            if got != ZERO:
                found.append(_mismatch("delivery.cancelled_credited", d["cooperative_id"], label, ZERO, got, link))
        elif d["flagged"]:
            # Held for review: a credit posted before holds existed may stand, but no payslip may pay it.
            if d["pk"] in settled_credit:
                found.append(_mismatch("delivery.held_settled", d["cooperative_id"], label, ZERO, got, link))
        elif got != max(d["amount_due"], ZERO):
            found.append(_mismatch("delivery.credit", d["cooperative_id"], label, max(d["amount_due"], ZERO), got,
                                   link))
    return found


# --- (2) batches and stock -------------------------------------------------------------------------

def check_batches():
    """Eggs in a batch = its contributions; no delivery gives more eggs of a class than it accepted;
    no batch sells more boxes than were packed."""
    per_batch = defaultdict(int)
    per_delivery = defaultdict(int)
    for batch_id, delivery_id, wc, eggs in BatchContribution.objects.values_list(
            "batch_id", "delivery_id", "batch__weight_class", "eggs").iterator():
        per_batch[batch_id] += eggs
        per_delivery[(delivery_id, wc)] += eggs
    # Boxes gone from stock: allocations of every order not given up. An order given up after its eggs
    # left still holds its boxes, so this undercounts such rare orders: a lower bound that must fit.
    sold = defaultdict(int)
    for batch_id, boxes in Allocation.objects.exclude(line__order__status__in=GIVEN_UP).values_list(
            "batch_id", "boxes").iterator():
        sold[batch_id] += boxes
    found = []
    for b in Batch.objects.values("pk", "cooperative_id", "code", "eggs", "boxes", "pack_size").iterator():
        label = _("批次 %(code)s") % {"code": b["code"]}
        link = _link("coop_batch", b["pk"])
        if per_batch[b["pk"]] != b["eggs"]:
            found.append(_mismatch("batch.eggs", b["cooperative_id"], label, per_batch[b["pk"]], b["eggs"], link))
        if b["eggs"] != b["boxes"] * b["pack_size"]:
            found.append(_mismatch("batch.boxes", b["cooperative_id"], label, b["boxes"] * b["pack_size"], b["eggs"],
                                   link))
        if sold[b["pk"]] > b["boxes"]:
            found.append(_mismatch("batch.oversold", b["cooperative_id"], label, b["boxes"], sold[b["pk"]], link))
    if per_delivery:
        fields = ["pk", "cooperative_id", *[f"accepted_{wc.lower()}" for wc in WEIGHT_CLASS_CODES]]
        ids = {did for did, _wc in per_delivery}
        for d in Delivery.objects.filter(pk__in=ids).values(*fields).iterator():
            for wc in WEIGHT_CLASS_CODES:
                packed = per_delivery.get((d["pk"], wc), 0)
                if packed > d[f"accepted_{wc.lower()}"]:
                    found.append(_mismatch("delivery.overpacked", d["cooperative_id"],
                                           _("交蛋记录 %(no)s（%(wc)s）") % {"no": d["pk"], "wc": wc},
                                           d[f"accepted_{wc.lower()}"], packed, _link("coop_delivery", d["pk"])))
    return found


def check_certificates():
    """Each certificate (承诺达标合格证) states the eggs and boxes its batch holds, and no box code
    names a box beyond the batch's last one (a label for a box that does not exist)."""
    batches = {b["pk"]: b for b in Batch.objects.values("pk", "cooperative_id", "code", "eggs", "boxes", "pack_size")}
    found = []
    for pk, batch_id, number, quantity in ComplianceCertificate.objects.values_list(
            "pk", "batch_id", "number", "quantity").iterator():
        b = batches[batch_id]
        # The wording the certificate prints (quality/services/trace.py), rebuilt from the batch.
        expected = f"{b['eggs']} 枚（{b['boxes']} 盒 × {b['pack_size']} 枚）"
        if quantity != expected:
            found.append(_mismatch("certificate.quantity", b["cooperative_id"], _("合格证 %(no)s") % {"no": number},
                                   expected, quantity, _link("quality_compliancecertificate", pk)))
    top = defaultdict(int)
    for batch_id, serial in BoxCode.objects.values_list("trace__batch_id", "serial").iterator():
        top[batch_id] = max(top[batch_id], serial)
    for batch_id, serial in top.items():
        b = batches[batch_id]
        if serial > b["boxes"]:
            found.append(_mismatch("batch.box_codes", b["cooperative_id"], _("批次 %(code)s") % {"code": b["code"]},
                                   b["boxes"], serial, _link("coop_batch", batch_id)))
    return found


def check_epcis():
    """Each batch's EPCIS document (the traceability export) carries the quantities of the rows: eggs in
    = its contributions, eggs out = the batch, each intake's brought / accepted / rejected = the delivery's,
    and no more eggs shipped than packed. The documents are built a thousand batches at a time (three queries each
    thousand), by the function that builds the one a buyer downloads."""
    contributions = defaultdict(int)
    for batch_id, eggs in BatchContribution.objects.values_list("batch_id", "eggs").iterator():
        contributions[batch_id] += eggs
    counts = {}
    accepted = [f"accepted_{wc.lower()}" for wc in WEIGHT_CLASS_CODES]
    for d in Delivery.objects.filter(contributions__isnull=False).distinct().values(
            "pk", "eggs_brought", *accepted).iterator():
        ok = sum(d[a] for a in accepted)
        counts[d["pk"]] = {"conformant": ok, "non_conformant": d["eggs_brought"] - ok, "active": d["eggs_brought"]}
    found = []
    for batch, document in epcis.batch_documents(Batch.objects.select_related("cooperative").order_by("pk").iterator()):
        events = document["epcisBody"]["eventList"]
        label = _("批次 %(code)s 的 EPCIS") % {"code": batch.code}
        link = _link("coop_batch", batch.pk)
        shown = {"in": 0, "out": 0, "shipped": 0}
        for event in events:
            if event["type"] == "TransformationEvent":
                shown["in"] += sum(q["quantity"] for q in event["inputQuantityList"])
                shown["out"] += sum(q["quantity"] for q in event["outputQuantityList"])
            elif event.get("bizStep") == "shipping":
                shown["shipped"] += sum(q["quantity"] for q in event["quantityList"])
            elif event.get("bizStep") in ("commissioning", "inspecting"):
                for q in event["quantityList"]:
                    delivery_id = int(q["epcClass"].rsplit(":", 1)[1])
                    expected = counts.get(delivery_id, {}).get(event["disposition"])
                    if q["quantity"] != expected:
                        found.append(_mismatch(f"epcis.{event['disposition']}", batch.cooperative_id,
                                               f"{label} · {_('交蛋记录 %(no)s') % {'no': delivery_id}}",
                                               expected, q["quantity"], link))
        for key, expected in (("in", contributions[batch.pk]), ("out", batch.eggs)):
            if shown[key] != expected:
                found.append(_mismatch(f"epcis.{key}", batch.cooperative_id, label, expected, shown[key], link))
        if shown["shipped"] > batch.eggs:
            found.append(_mismatch("epcis.shipped", batch.cooperative_id, label, batch.eggs, shown["shipped"], link))
    return found


# --- (3) the fund -------------------------------------------------------------------------------------

def check_fund():
    """Each donation reached the fund in full (its reserve in the hygiene pool, the rest in the general
    pool); each pool's published balance = the sum of its movements and is never below zero."""
    balances = defaultdict(lambda: ZERO)
    by_donation = defaultdict(lambda: ZERO)
    for cid, pool, kind, amount, donation_id in FundEntry.objects.values_list(
            "cooperative_id", "pool", "kind", "amount", "donation_id").iterator():
        balances[(cid, pool)] += amount
        if kind == FundEntry.DONATION and donation_id is not None:
            by_donation[(donation_id, pool)] += amount
    found = []
    for d in Donation.objects.values("pk", "cooperative_id", "donor", "amount", "hygiene_reserve").iterator():
        label = _("捐赠 %(no)s（%(donor)s）") % {"no": d["pk"], "donor": d["donor"]}
        for pool, expected in ((FundEntry.GENERAL, d["amount"] - d["hygiene_reserve"]),
                               (FundEntry.HYGIENE, d["hygiene_reserve"])):
            got = to_money(by_donation[(d["pk"], pool)])
            if got != expected:
                found.append(_mismatch(f"fund.donation.{pool}", d["cooperative_id"], label, expected, got,
                                       _link("coop_donation", d["pk"])))
    published_balances = fund.all_balances()  # every cooperative's pools in one grouped query
    for coop in Cooperative.objects.all():
        for pool, pool_label in FundEntry.POOLS:
            expected = to_money(balances[(coop.pk, pool)])
            label = f"{coop} · {pool_label}"
            published = published_balances.get((coop.pk, pool), ZERO)
            if published != expected:
                found.append(_mismatch("fund.balance", coop.pk, label, expected, published))
            if expected < 0:
                found.append(_mismatch("fund.negative", coop.pk, label, ZERO, expected))
    return found


# --- programmes -----------------------------------------------------------------------------------------

# Orders a programme counts: paid, not cancelled or refunded in full (the programme report's own rule).
PROGRAMME_COUNTED = (Order.PAID, Order.PACKED, Order.SHIPPED, Order.READY_FOR_PICKUP, Order.COMPLETED)


def check_programmes():
    """Each pairing programme's published income (以购代捐收入) = its paid, unrefunded orders less the
    refunds that succeeded, from the order and refund rows."""
    refunded = defaultdict(int)
    for order_id, fen in Refund.objects.filter(status=Refund.SUCCEEDED).values_list("order_id", "amount_fen"):
        refunded[order_id] += fen
    income = defaultdict(lambda: ZERO)
    for programme_id, order_id, total in ProgrammeAttribution.objects.filter(
            order__status__in=PROGRAMME_COUNTED, order__paid_at__isnull=False).values_list(
            "programme_id", "order_id", "order__total").iterator():
        income[programme_id] += max(total - Decimal(refunded[order_id]) / 100, ZERO)
    found = []
    for programme in Programme.objects.all():
        expected = to_money(income[programme.pk])
        published = impact.programme_report(programme)["totals"]["income"]
        if to_money(published) != expected:
            found.append(_mismatch("programme.income", programme.cooperative_id, programme.name, expected,
                                   to_money(published), f"/programmes/{programme.pk}/"))
    return found


def check_programme_households():
    """Each programme's "money that reached households" = for its paid, unrefunded orders, every box packed
    for them (allocation) × each contributing delivery's share of the batch × what the household was
    credited per egg of that class (its ledger credit spread by the day's prices), summed exactly and
    rounded once — the definition of ``orders.services.impact``, recomputed here from the raw rows."""
    credited = defaultdict(Fraction)
    for source_id, amount in LedgerEntry.objects.filter(
            kind__in=(LedgerEntry.DELIVERY, LedgerEntry.ADJUSTMENT), source_type=DELIVERY_SOURCE).values_list(
            "source_id", "amount").iterator():
        credited[source_id] += Fraction(amount)
    prices = {row[0]: row[1:] for row in Delivery.objects.values_list(
        "pk", "amount_due", "price_xl", "price_l", "price_m", "price_s").iterator()}
    batches = {pk: (eggs, wc) for pk, eggs, wc in Batch.objects.values_list("pk", "eggs", "weight_class")}
    contributions = defaultdict(list)
    for batch_id, delivery_id, eggs in BatchContribution.objects.values_list("batch_id", "delivery_id", "eggs"):
        contributions[batch_id].append((delivery_id, eggs))
    column = {"XL": 1, "L": 2, "M": 3, "S": 4}

    def per_egg(delivery_id, wc):
        due, *day_prices = prices[delivery_id]
        return credited[delivery_id] * Fraction(day_prices[column[wc] - 1]) / Fraction(due) if due else Fraction(0)

    reached = defaultdict(Fraction)
    for programme_id, boxes, pack_size, batch_id in Allocation.objects.filter(
            line__order__attribution__isnull=False, line__order__status__in=PROGRAMME_COUNTED,
            line__order__paid_at__isnull=False).values_list(
            "line__order__attribution__programme_id", "boxes", "line__pack_size", "batch_id").iterator():
        batch_eggs, wc = batches[batch_id]
        for delivery_id, c_eggs in contributions[batch_id]:
            reached[programme_id] += Fraction(boxes * pack_size * c_eggs, batch_eggs) * per_egg(delivery_id, wc)
    found = []
    for programme in Programme.objects.all():
        expected = to_money(reached[programme.pk])
        published = to_money(impact.programme_report(programme)["totals"]["reached"])
        if published != expected:
            found.append(_mismatch("programme.reached_households", programme.cooperative_id, programme.name,
                                   expected, published, f"/programmes/{programme.pk}/"))
    return found


def check_scan_pages():
    """What each batch's scan page says about where its eggs came from — households, villages, eggs
    brought and rejected at intake, confirmed bad-egg reports — against the contribution, delivery and
    report rows (``scanpage.page_contexts``, the page's own context built a thousand batches at a time, is the
    published side)."""
    rows = defaultdict(dict)  # batch → {delivery: (farmer, village, brought, rejected)}
    reject_fields = [f"delivery__rejected_{code}" for code in REJECT_CODES]
    for batch_id, delivery_id, farmer_id, village_id, brought, *rejects in BatchContribution.objects.values_list(
            "batch_id", "delivery_id", "delivery__farmer_id", "delivery__farmer__village_id",
            "delivery__eggs_brought", *reject_fields).iterator():
        rows[batch_id][delivery_id] = (farmer_id, village_id, brought, sum(rejects))
    reports = defaultdict(lambda: [0, 0])
    for batch_id, eggs in BadEggReport.objects.filter(status=BadEggReport.CONFIRMED).values_list("batch_id", "eggs"):
        reports[batch_id][0] += 1
        reports[batch_id][1] += eggs or 0
    found = []
    for trace, page in scanpage.page_contexts(TraceCode.objects.order_by("pk").iterator()):
        batch = page["batch"]
        mine = rows[batch.pk].values()
        expected = {"households": len({r[0] for r in mine}), "villages": len({r[1] for r in mine}),
                    "brought": sum(r[2] for r in mine), "rejected": sum(r[3] for r in mine),
                    "reports": reports[batch.pk][0], "report_eggs": reports[batch.pk][1]}
        shown = {"households": page["household_count"], "villages": len(page["villages"]),
                 "brought": page["intake_brought"], "rejected": page["intake_rejected"],
                 "reports": (page["bad_egg_reports"] or {}).get("reports", 0),
                 "report_eggs": (page["bad_egg_reports"] or {}).get("eggs", 0)}
        for key, value in expected.items():
            if shown[key] != value:
                found.append(_mismatch(f"scan_page.{key}", batch.cooperative_id, f"{batch.code} · /t/{trace.code}",
                                       value, shown[key], f"/t/{trace.code}"))
    return found


# --- (4) the dashboard ----------------------------------------------------------------------------------

def check_dashboard(today=None):
    """The dashboard's week totals, eggs waiting to be packed and payslip totals, per cooperative, against
    a count of the rows (the dashboard's own functions are called for the published side)."""
    today = today or timezone.localdate()
    start = dashboard.week_start(today)
    found = []
    deliveries = defaultdict(list)
    for d in Delivery.objects.filter(flagged=False, cancelled_at__isnull=True).values(
            "pk", "cooperative_id", "farmer_id", "received_at", "eggs_brought", "amount_due", "laid_from",
            *[f"accepted_{wc.lower()}" for wc in WEIGHT_CLASS_CODES]).iterator():
        deliveries[d["cooperative_id"]].append(d)
    packed = defaultdict(int)
    for delivery_id, wc, eggs in BatchContribution.objects.values_list(
            "delivery_id", "batch__weight_class", "eggs").iterator():
        packed[(delivery_id, wc)] += eggs
    window_from = today - datetime.timedelta(days=PACKING_WINDOW_DAYS)
    coops = list(Cooperative.objects.all())
    ids = [coop.pk for coop in coops]
    # The published side of every cooperative at once: the dashboard's own per-cooperative groupings (one
    # query each per cooperative was 10 × a province's 3,000).
    week_totals = dashboard.week_totals_by_cooperative(ids, today)
    to_pack_shown = dashboard.eggs_to_pack_by_cooperative(ids, today)
    settlement_cards = dashboard.settlement_summaries(ids)
    settlement_rows = defaultdict(list)
    for cid, start_day, end_day, status, net in Settlement.objects.values_list(
            "cooperative_id", "period_start", "period_end", "status", "net").iterator():
        settlement_rows[(cid, start_day, end_day)].append((status, net))
    for coop in coops:
        rows = deliveries[coop.pk]
        week = [d for d in rows if start <= timezone.localdate(d["received_at"]) <= today]
        accepted = sum(sum(d[f"accepted_{wc.lower()}"] for wc in WEIGHT_CLASS_CODES) for d in week)
        expected = {"deliveries": len(week), "households": len({d["farmer_id"] for d in week}),
                    "brought": sum(d["eggs_brought"] for d in week), "accepted": accepted,
                    "rejected": sum(d["eggs_brought"] for d in week) - accepted,
                    "amount": to_money(sum((d["amount_due"] for d in week), ZERO))}
        published = week_totals[coop.pk]
        for key, value in expected.items():
            shown = to_money(published[key]) if key == "amount" else published[key]
            if shown != value:
                found.append(_mismatch(f"dashboard.week.{key}", coop.pk, f"{coop} · {_('本周概况')}", value, shown,
                                       "/admin/dashboard/"))
        to_pack = {wc: 0 for wc in WEIGHT_CLASS_CODES}
        for d in rows:
            if window_from <= d["laid_from"] <= today:
                for wc in WEIGHT_CLASS_CODES:
                    to_pack[wc] += d[f"accepted_{wc.lower()}"] - packed.get((d["pk"], wc), 0)
        shown = to_pack_shown[coop.pk]
        for wc in WEIGHT_CLASS_CODES:
            if shown[wc] != to_pack[wc]:
                found.append(_mismatch("dashboard.eggs_to_pack", coop.pk, f"{coop} · {_('待包装')} {wc}",
                                       to_pack[wc], shown[wc], "/admin/dashboard/"))
        found.extend(_check_dashboard_settlements(coop, settlement_cards[coop.pk], settlement_rows))
    return found


def _check_dashboard_settlements(coop, shown, settlement_rows):
    """``shown``: the dashboard's settlement card of ``coop``; ``settlement_rows``: (status, net) of every
    payslip by (cooperative, period start, period end)."""
    if shown["period"] is None:
        return []
    rows = settlement_rows[(coop.pk, *shown["period"])]
    paid_out = defaultdict(lambda: ZERO)
    carried = ZERO
    for status, net in rows:
        paid_out[status] += max(net, ZERO)
        carried += max(-net, ZERO)
    found = []
    label = f"{coop} · {_('结算')} {shown['period'][0]:%Y-%m-%d}–{shown['period'][1]:%Y-%m-%d}"
    for code, _label, _n, total in shown["rows"]:
        if total != to_money(paid_out[code]):
            found.append(_mismatch("dashboard.settlements.paid_out", coop.pk, f"{label} {_label}",
                                   to_money(paid_out[code]), total, "/admin/dashboard/"))
    if shown["carried_over"] != to_money(carried):
        found.append(_mismatch("dashboard.settlements.carried_over", coop.pk, label, to_money(carried),
                               shown["carried_over"], "/admin/dashboard/"))
    return found


# --- the run -------------------------------------------------------------------------------------------

CHECKS = [
    ("settlements", check_settlements),
    ("balances", check_balances),
    ("delivery_credits", check_delivery_credits),
    ("batches", check_batches),
    ("certificates", check_certificates),
    ("epcis", check_epcis),
    ("fund", check_fund),
    ("programmes", check_programmes),
    ("programme_households", check_programme_households),
    ("scan_pages", check_scan_pages),
    ("dashboard", check_dashboard),
]


def _snapshot():
    """All checks read one snapshot of the books (PostgreSQL REPEATABLE READ, read only).

    The checks read a table, then another: under READ COMMITTED a delivery recorded with its credit
    between the two reads would be seen without its credit and reported as a mismatch that does not
    exist. Inside a caller's transaction (tests) the caller's snapshot stands; SQLite's transactions
    already read one snapshot."""
    if connection.vendor == "postgresql" and SNAPSHOT:
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


SNAPSHOT = True  # test switch: False shows the false mismatches a run without one snapshot reports


def run_reconciliation(*, trigger=ReconciliationRun.COMMAND, checks=None):
    """Run every check (or those named) and store what they found as one run."""
    started = timezone.now()
    names, mismatches = [], []
    outer = connection.in_atomic_block
    with transaction.atomic():
        if not outer:
            _snapshot()
        for name, check in CHECKS:
            if checks is not None and name not in checks:
                continue
            names.append(name)
            mismatches.extend(check())
    return ReconciliationRun.objects.create(started_at=started, finished_at=timezone.now(), trigger=trigger,
                                            checks=names, mismatch_count=len(mismatches), mismatches=mismatches)


def latest_run():
    return ReconciliationRun.objects.order_by("-finished_at", "-id").first()


def mismatches_seen_by(run, user):
    """The run's mismatches of the cooperatives ``user`` works for (a superuser sees all)."""
    if getattr(user, "is_superuser", False):
        return run.mismatches_for(None)
    return run.mismatches_for(tenancy.cooperative_ids(user))


@shared_task(name="quality.tasks.reconcile")
def reconcile_task():
    """The nightly run (beat schedule in coop/settings.py); returns the number of mismatches."""
    return run_reconciliation(trigger=ReconciliationRun.BEAT).mismatch_count
