"""Impact reports: what a programme's buyers brought, and what of it reached which households.

"Money that reached households" is defined from the books, not estimated: for every counted
order, each box packed for it came from a batch (``Allocation``); a batch is made of deliveries
(``BatchContribution``); each delivery was credited to its household's ledger (``LedgerEntry`` of
kind delivery). An order's share of a batch is its eggs over the batch's eggs, so a household's
share of an allocation is

    allocated eggs × Σ over the batch's contributions (contribution eggs / batch eggs × credit per egg)

where "credit per egg" is the delivery's ledger credit spread over its eggs of that weight class
by the prices frozen on the delivery. Arithmetic is exact (``Fraction``); rounding to the fen
happens once per household and month, and every total is the sum of the rounded lines, so the
tables add up. Orders not yet packed have no batch yet: they count as income but reach no
household until packed (shown as "not yet packed").
"""

import io
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from coop.lib.files import sheet_row
from coop.lib.money import apportion, to_money
from coop.models import Batch, BatchContribution, Delivery, Farmer, LedgerEntry, Village
from orders.models import Allocation, OrderLine
from orders.services.programmes import counted_amounts, counted_orders

UNPACKED = 0  # village id used for income whose eggs are not yet allocated to a batch


# Rounding and apportioning are coop.lib.money's, the one helper for every table that splits money.
to_fen = to_money


def month_of(dt):
    return f"{timezone.localtime(dt):%Y-%m}"


def delivery_credit_per_egg(delivery_ids):
    """``{(delivery_id, weight_class): Fraction yuan per egg}`` from the ledger credits."""
    credited = defaultdict(Fraction)
    # A correction (``intake.adjust_delivery``: an adjustment posted on the delivery) is part of what the
    # delivery paid, so it is part of what its eggs carry to the household.
    for source_id, amount in (LedgerEntry.objects.filter(kind__in=(LedgerEntry.DELIVERY, LedgerEntry.ADJUSTMENT),
                                                         source_type="coop.delivery", source_id__in=delivery_ids)
                              .values_list("source_id", "amount")):
        credited[source_id] += Fraction(amount)
    rates = {}
    for d in Delivery.objects.filter(pk__in=delivery_ids).only("pk", "amount_due", "price_xl", "price_l",
                                                                  "price_m", "price_s"):
        due = Fraction(d.amount_due)
        for wc in ("XL", "L", "M", "S"):
            price = Fraction(getattr(d, f"price_{wc.lower()}"))
            # The ledger is the truth: if the credit differs from amount_due (a correction), the
            # eggs carry the credit actually posted, in the proportions of the day's prices.
            rates[(d.pk, wc)] = credited[d.pk] * price / due if due else Fraction(0)
    return rates


def household_shares(order_ids):
    """Exact shares of counted orders, one row per (order, batch, delivery):
    ``{"order_id", "batch_id", "farmer_id", "village_id", "eggs": Fraction, "money": Fraction}``."""
    allocs = list(Allocation.objects.filter(line__order_id__in=order_ids)
                  .values_list("line__order_id", "batch_id", "boxes", "line__pack_size"))
    batch_ids = {a[1] for a in allocs}
    batches = {b.pk: b for b in Batch.objects.filter(pk__in=batch_ids).only("pk", "eggs", "weight_class", "code")}
    contribs = defaultdict(list)
    for batch_id, delivery_id, eggs, farmer_id, village_id in (
            BatchContribution.objects.filter(batch_id__in=batch_ids)
            .values_list("batch_id", "delivery_id", "eggs", "delivery__farmer_id", "delivery__farmer__village_id")):
        contribs[batch_id].append((delivery_id, eggs, farmer_id, village_id))
    rates = delivery_credit_per_egg({c[0] for rows in contribs.values() for c in rows})
    rows = []
    for order_id, batch_id, boxes, pack_size in allocs:
        batch = batches[batch_id]
        eggs = boxes * pack_size
        for delivery_id, c_eggs, farmer_id, village_id in contribs[batch_id]:
            share = Fraction(eggs * c_eggs, batch.eggs)
            rows.append({"order_id": order_id, "batch_id": batch_id, "farmer_id": farmer_id,
                         "village_id": village_id, "eggs": share,
                         "money": share * rates.get((delivery_id, batch.weight_class), Fraction(0))})
    return rows


def _order_eggs(order_ids):
    eggs = defaultdict(int)
    for order_id, boxes, pack_size in OrderLine.objects.filter(order_id__in=order_ids).values_list(
            "order_id", "boxes", "pack_size"):
        eggs[order_id] += boxes * pack_size
    return eggs


def programme_report(programme, *, start=None, end=None, village=None, organisation=None):
    """Month-by-month figures of a programme (optionally of one village or one organisation)."""
    orders = list(counted_orders(programme, organisation=organisation, start=start, end=end)
                  .only("pk", "total", "paid_at", "number"))
    amounts = counted_amounts(orders)
    paid_month = {o.pk: month_of(o.paid_at) for o in orders}
    order_eggs = _order_eggs(amounts.keys())
    shares = household_shares(list(amounts))
    village_id = village.pk if village is not None else None

    # Income of an order goes to villages in proportion to its allocated eggs; the unallocated
    # rest (not yet packed) is kept apart so it is never silently given to a village.
    alloc_eggs = defaultdict(Fraction)
    for s in shares:
        alloc_eggs[s["order_id"]] += s["eggs"]
    income = defaultdict(Fraction)  # (month, village_id) → yuan
    eggs = defaultdict(Fraction)  # (month, village_id) → eggs
    for order_id, amount in amounts.items():
        month, total_eggs = paid_month[order_id], order_eggs[order_id]
        unallocated = total_eggs - alloc_eggs[order_id]
        if total_eggs and unallocated:
            income[(month, UNPACKED)] += Fraction(amount) * unallocated / total_eggs
            eggs[(month, UNPACKED)] += unallocated
    money = defaultdict(Fraction)  # (month, farmer_id) → yuan
    farmer_village = {}
    for s in shares:
        month, total_eggs = paid_month[s["order_id"]], order_eggs[s["order_id"]]
        income[(month, s["village_id"])] += Fraction(amounts[s["order_id"]]) * s["eggs"] / total_eggs
        eggs[(month, s["village_id"])] += s["eggs"]
        money[(month, s["farmer_id"])] += s["money"]
        farmer_village[s["farmer_id"]] = s["village_id"]

    def keep(vid):
        return village_id is None or vid == village_id

    months = sorted({m for m, _v in income} | {m for m, _f in money})
    money_fen = apportion_by_household({k: v for k, v in money.items() if keep(farmer_village[k[1]])})
    # Income by village (and, for one village, by month) is apportioned with the largest-remainder rule
    # from the exact shares, so the village table adds up to the income total to the fen (rounding each
    # cell on its own made three villages' ¥26.6033… into ¥79.81 of ¥79.80).
    village_exact = defaultdict(Fraction)
    for (_m, vid), v in income.items():
        village_exact[vid] += v
    village_income = apportion(village_exact, to_money(sum(village_exact.values(), Fraction(0))))
    if village_id is not None:
        village_month_income = apportion({mm: v for (mm, vid), v in income.items() if vid == village_id},
                                         village_income.get(village_id, Decimal("0.00")))
    month_rows = []
    for m in months:
        reached = [v for (mm, _f), v in money_fen.items() if mm == m]
        month_rows.append({
            "month": m,
            # Whole programme: the exact order amounts (they must equal the paid orders to the fen);
            # one village: its proportional share, rounded per village and month.
            "income": (sum((a for o, a in amounts.items() if paid_month[o] == m), Decimal("0.00"))
                       if village_id is None else village_month_income.get(m, Decimal("0.00"))),
            "eggs": int(round(sum((v for (mm, vid), v in eggs.items() if mm == m and keep(vid)), Fraction(0)))),
            "orders": sum(1 for o, mm in paid_month.items() if mm == m) if village_id is None else None,
            "households": sum(1 for (mm, _f), v in money_fen.items() if mm == m and v > 0),
            "reached": sum(reached, Decimal("0.00")),
        })

    villages = {v.pk: v for v in Village.objects.filter(pk__in={vid for _m, vid in income if vid})}
    village_rows = []
    for vid in sorted({vid for _m, vid in income if keep(vid)}, key=lambda x: (x == UNPACKED, x)):
        reached = sum((v for (mm, f), v in money_fen.items() if farmer_village[f] == vid), Decimal("0.00"))
        village_rows.append({
            "village_id": vid, "name": villages[vid].name if vid else _("尚未打包（批次待定）"),
            "income": village_income[vid],
            "eggs": int(round(sum((v for (mm, x), v in eggs.items() if x == vid), Fraction(0)))),
            "households": len({f for (mm, f), v in money_fen.items() if farmer_village[f] == vid and v > 0}),
            "reached": reached,
        })

    per_farmer = defaultdict(Decimal)
    per_farmer_eggs = defaultdict(Fraction)
    for (_m, f), v in money_fen.items():
        per_farmer[f] += v
    for s in shares:
        if keep(s["village_id"]):
            per_farmer_eggs[s["farmer_id"]] += s["eggs"]
    farmers = Farmer.objects.filter(pk__in=per_farmer).select_related("village")
    household_rows = sorted(({
        "farmer_id": f.pk, "member_no": f.member_no, "name": mask_name(f.head_name), "village": f.village.name,
        "poverty_status": f.get_poverty_status_display(), "eggs": int(round(per_farmer_eggs[f.pk])),
        "reached": per_farmer[f.pk]} for f in farmers), key=lambda r: r["member_no"])

    totals = {
        "income": sum((r["income"] for r in month_rows), Decimal("0.00")),
        "eggs": sum(r["eggs"] for r in month_rows),
        "orders": len(amounts) if village_id is None else None,
        "households": sum(1 for r in household_rows if r["reached"] > 0),
        "reached": sum((r["reached"] for r in household_rows), Decimal("0.00")),
        "unpacked_income": sum((r["income"] for r in village_rows if r["village_id"] == UNPACKED), Decimal("0.00")),
    }
    return {"programme": programme, "village": village, "start": start, "end": end, "months": month_rows,
            "villages": village_rows, "households": household_rows, "totals": totals}


def apportion_by_household(money):
    """``{(month, farmer_id): Fraction}`` → Decimals to the fen with no rounding drift: the grand total is
    the exact total rounded once; each household's total is within a fen of its exact share; its months
    add up to its total. (Rounding each cell on its own drifts: 660 cells of a year drifted ¥0.20.)"""
    per_farmer = defaultdict(Fraction)
    for (_m, f), v in money.items():
        per_farmer[f] += v
    farmer_fen = apportion(per_farmer, to_fen(sum(per_farmer.values(), Fraction(0))))
    out = {}
    for f, fen in farmer_fen.items():
        out.update(apportion({k: v for k, v in money.items() if k[1] == f}, fen))
    return out


def mask_name(name):
    """Households are named to coordinators by surname only (吉克**): enough to talk about, not to expose."""
    if not name:
        return ""
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


# --- Chart and Excel --------------------------------------------------------------------------------

def monthly_chart_svg(month_rows, *, width=340, height=200):
    """A bar chart drawn on the server (no JavaScript): income and money reaching households per month.
    Returns SVG markup built only from numbers and month labels (no user text), safe to mark safe."""
    pad_l, pad_b, pad_t = 44, 28, 12
    inner_w, inner_h = width - pad_l - 8, height - pad_b - pad_t
    top = max([r["income"] for r in month_rows] + [r["reached"] for r in month_rows] + [Decimal("1")])
    step = nice_step(top)
    top = ((top / step).to_integral_value(rounding="ROUND_CEILING")) * step
    n = max(len(month_rows), 1)
    slot = inner_w / n
    bar = max(min(slot / 2.6, 22), 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" '
             f'role="img" aria-label="{_("每月收入与到户金额")}">']
    for i in range(5):
        value = top * i / 4
        y = pad_t + inner_h - float(value / top) * inner_h
        parts.append(f'<line x1="{pad_l}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{pad_l - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f'{_short_money(value)}</text>')
    for i, r in enumerate(month_rows):
        x0 = pad_l + slot * i + (slot - 2 * bar) / 2
        for j, (key, cls) in enumerate((("income", "bar-income"), ("reached", "bar-reached"))):
            h = float(r[key] / top) * inner_h
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{pad_t + inner_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" class="{cls}"><title>{r["month"]} ¥{r[key]}</title></rect>')
        parts.append(f'<text x="{pad_l + slot * i + slot / 2:.1f}" y="{height - 10}" class="axis" '
                     f'text-anchor="middle">{r["month"][2:]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def nice_step(top):
    raw = Decimal(top) / 4
    magnitude = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for mult in (1, 2, 5, 10):
        if raw <= magnitude * mult:
            return magnitude * mult
    return magnitude * 10


def _short_money(value):
    value = Decimal(value)
    if value >= 10000:
        return f"{value / 10000:.1f}万"
    return f"{value:.0f}"


def report_workbook(report):
    """The report as an .xlsx (bytes): months, villages, households, with numbers as numbers."""

    wb = Workbook()
    ws = wb.active
    ws.title = _("按月")
    programme = report["programme"]
    ws.append(sheet_row([programme.name, f"{programme.east_organisation} — {programme.cooperative.name}"]))
    ws["A1"].font = Font(bold=True)
    ws.append([])
    ws.append([_("月份"), _("订单数"), _("收入（元）"), _("鸡蛋（枚）"), _("受益农户"), _("到户金额（元）")])
    for r in report["months"]:
        ws.append([r["month"], r["orders"], r["income"], r["eggs"], r["households"], r["reached"]])
    t = report["totals"]
    ws.append([_("合计"), t["orders"], t["income"], t["eggs"], t["households"], t["reached"]])

    ws = wb.create_sheet(_("按村"))
    ws.append([_("村"), _("收入（元）"), _("鸡蛋（枚）"), _("受益农户"), _("到户金额（元）")])
    for r in report["villages"]:
        ws.append(sheet_row([r["name"], r["income"], r["eggs"], r["households"], r["reached"]]))

    ws = wb.create_sheet(_("按户"))
    ws.append([_("社员编号"), _("户主"), _("村"), _("帮扶状态"), _("鸡蛋（枚）"), _("到户金额（元）")])
    for r in report["households"]:
        ws.append(sheet_row([r["member_no"], r["name"], r["village"], r["poverty_status"], r["eggs"],
                             r["reached"]]))
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
