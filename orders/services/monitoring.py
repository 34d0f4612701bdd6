"""防返贫监测: each household's monthly income from the collective, and who to visit.

Income is read from the household's ledger (deliveries, rewards, fines and adjustments of the
month; payouts are not income, they are the same money leaving the books). A household is
flagged when its income of the month fell by the cooperative's drop percentage against the
average of its own previous months, or lies below the cooperative's monthly minimum. Households
with no income at all in the comparison months are not "dropping" — they are listed as inactive.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from coop.lib.money import MoneySum
from coop.models import Farmer, LedgerEntry
from orders.models.programmes import MonitoringPolicy

INCOME_KINDS = (LedgerEntry.DELIVERY, LedgerEntry.REWARD, LedgerEntry.FINE, LedgerEntry.ADJUSTMENT)


def policy_for(cooperative):
    policy = MonitoringPolicy.objects.filter(cooperative=cooperative).first()
    return policy or MonitoringPolicy(cooperative=cooperative)


def add_months(day, n):
    month = day.month - 1 + n
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


def parse_month(value, default):
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return default


def monthly_income(cooperative, first_month, last_month):
    """``{farmer_id: {date(month start): Decimal}}`` over [first_month, last_month]."""
    rows = (LedgerEntry.objects.filter(cooperative=cooperative, kind__in=INCOME_KINDS,
                                       occurred_on__gte=first_month, occurred_on__lt=add_months(last_month, 1))
            .annotate(month=TruncMonth("occurred_on")).values("farmer_id", "month").annotate(total=MoneySum("amount")))
    out = defaultdict(dict)
    for r in rows:
        month = r["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        out[r["farmer_id"]][month] = r["total"]
    return out


def township_report(cooperative, month, *, village=None):
    """One row per active household: income this month, its recent average, and the flag."""
    policy = policy_for(cooperative)
    first = add_months(month, -policy.lookback_months)
    income = monthly_income(cooperative, first, month)
    prev_months = [add_months(month, -i) for i in range(policy.lookback_months, 0, -1)]
    farmers = Farmer.objects.filter(cooperative=cooperative, active=True).select_related("village")
    if village is not None:
        farmers = farmers.filter(village=village)
    rows = []
    zero = Decimal("0.00")
    for f in farmers.order_by("village__name", "member_no"):
        mine = income.get(f.pk, {})
        now = mine.get(month, zero)
        history = [mine.get(m, zero) for m in prev_months]
        average = (sum(history, zero) / len(history)).quantize(Decimal("0.01")) if history else zero
        reasons = []
        if average > 0 and now <= average * (100 - policy.drop_percent) / 100:
            reasons.append(_("比前 %(n)s 个月平均（¥%(avg)s）下降 %(pct)s%%") % {
                "n": policy.lookback_months, "avg": average,
                "pct": int((average - now) * 100 / average)})
        if policy.min_monthly_income and (average > 0 or now > 0) and now < policy.min_monthly_income:
            reasons.append(_("低于月收入下限 ¥%(min)s") % {"min": policy.min_monthly_income})
        rows.append({
            "farmer": f, "member_no": f.member_no, "name": f.head_name, "village": f.village.name,
            "poverty_status": f.get_poverty_status_display(), "monitored": f.poverty_status != Farmer.POVERTY_NONE,
            "history": list(zip(prev_months, history, strict=True)), "income": now, "average": average,
            "flagged": bool(reasons), "reasons": reasons, "inactive": average == 0 and now == 0,
        })
    rows.sort(key=lambda r: (not r["flagged"], not r["monitored"], r["village"], r["member_no"]))
    return {"cooperative": cooperative, "month": month, "policy": policy, "prev_months": prev_months,
            "rows": rows, "flagged": sum(1 for r in rows if r["flagged"])}
