"""Settling a period: every unsettled ledger line of a household goes onto one payslip, paid once.

``settle_period`` is set-based: a fixed number of SQL statements whatever the number of households
(no per-farmer loop), so a prefecture's month (30,000 households, 900,000 lines) settles in seconds
(bench/settlement.py). Within one transaction, under a per-cooperative lock:

1. ``INSERT … SELECT`` one draft settlement per household with unsettled lines up to the period's
   end (``ON CONFLICT DO NOTHING``: a household already settled for this period keeps its row);
2. ``UPDATE … FROM`` attaches those lines to their household's *draft* settlement;
3. ``UPDATE … FROM`` recomputes each draft's totals from the lines now attached to it.

Totals are computed from the attached lines rather than in step 1, so a line posted by someone
else between steps 1 and 2 (read committed) is either attached *and* counted or left for the next
settlement — never paid without being shown or shown without being paid. Running it twice settles
nothing twice: attached lines are no longer unsettled, and approved or paid settlements are never
touched again (later lines wait for the next period).

Approval and payment are compare-and-set transitions (draft → approved → paid), so of two people
pressing "pay" together exactly one pays; the payout is a ledger entry with a dedupe key.
"""

import datetime

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.locking import lock_keys
from coop.lib.words import in_site_language
from coop.models import Delivery, Farmer, LedgerEntry, Settlement, SettlementRun, Village
from coop.services import ledger
from coop.services.audit import log_action
from coop.services.notifications import notify

# Settlements waiting for the manager (field lookups: the workbench counts and totals them and links to the admin
# list, whose approve and pay actions it runs on the same lookups).
TO_APPROVE = {"status": Settlement.DRAFT}
TO_PAY = {"status": Settlement.APPROVED}


class SettlementError(DomainError):
    """An illegal settlement transition or bad request. The message is shown to the user.

    A lost transition (the row moved on meanwhile) is raised with ``code="conflict", status=409``."""


def month_bounds(day):
    first = day.replace(day=1)
    nxt = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first, nxt - datetime.timedelta(days=1)


def _tables():
    return {"s": Settlement._meta.db_table, "l": LedgerEntry._meta.db_table, "f": Farmer._meta.db_table}


def _scope_sql(alias, cooperative_ids, village_id):
    """SQL conditions (and params) limiting ledger rows ``alias`` to some cooperatives / a village."""
    sql, params = [], []
    if cooperative_ids is not None:
        ids = list(cooperative_ids) or [0]
        sql.append(f"{alias}.cooperative_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if village_id is not None:
        sql.append(f"{alias}.farmer_id IN (SELECT id FROM {_tables()['f']} WHERE village_id = %s)")
        params.append(village_id)
    return "".join(f" AND {s}" for s in sql), params


def _not_held_sql(alias):
    """SQL condition leaving out ledger lines of a delivery held for review (h-f, issue 14 #8).

    Held deliveries post no credit since then; this keeps out the credits such deliveries got
    before, until a manager confirms or corrects them."""
    d = Delivery._meta.db_table
    return (f" AND NOT EXISTS (SELECT 1 FROM {d} d WHERE {alias}.source_type = '{Delivery._meta.label_lower}'"
            f" AND d.id = {alias}.source_id AND d.flagged AND d.cancelled_at IS NULL)")


def settle_period(*, period_start, period_end, cooperative_ids=None, village_id=None, user=None, now=None):
    """Settle every unsettled line up to ``period_end`` into draft settlements for the period.

    ``cooperative_ids=None`` means every cooperative (the platform operator's monthly run and the
    benchmark). Returns ``{"settlements_created": n, "lines_settled": m}``. Constant number of queries.
    """
    if period_start > period_end:
        raise SettlementError(_("结算期起不能晚于结算期止。"))
    t = _tables()
    now = now or timezone.now()
    scope, scope_params = _scope_sql("l", cooperative_ids, village_id)
    scope += _not_held_sql("l")
    with transaction.atomic():
        if cooperative_ids is not None:
            lock_keys(*[f"settle:{cid}" for cid in cooperative_ids])
        else:
            lock_keys("settle:all")
        with connection.cursor() as cur:
            cur.execute(
                f"""INSERT INTO {t['s']} (cooperative_id, farmer_id, period_start, period_end, status, gross, fines,
                        rewards, adjustments, net, created_at, payment_reference)
                    SELECT l.cooperative_id, l.farmer_id, %s, %s, %s, 0, 0, 0, 0, 0, %s, ''
                    FROM {t['l']} l
                    WHERE l.settlement_id IS NULL AND l.occurred_on <= %s{scope}
                    GROUP BY l.cooperative_id, l.farmer_id
                    ON CONFLICT (farmer_id, period_start, period_end) DO NOTHING""",
                [period_start, period_end, Settlement.DRAFT, now, period_end, *scope_params])
            created = max(cur.rowcount, 0)
            cur.execute(
                f"""UPDATE {t['l']} AS l SET settlement_id = s.id
                    FROM {t['s']} s
                    WHERE s.farmer_id = l.farmer_id AND s.period_start = %s AND s.period_end = %s
                      AND s.status = %s AND l.settlement_id IS NULL AND l.occurred_on <= %s{scope}""",
                [period_start, period_end, Settlement.DRAFT, period_end, *scope_params])
            lines = max(cur.rowcount, 0)
            s_scope, s_params = _scope_sql("s2", cooperative_ids, village_id)
            cur.execute(
                f"""UPDATE {t['s']} AS s SET gross = a.gross, fines = a.fines, rewards = a.rewards,
                        adjustments = a.adjustments, net = a.net
                    FROM (SELECT l.settlement_id AS sid,
                                 SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END) AS gross,
                                 SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END) AS fines,
                                 SUM(CASE WHEN l.kind = %s THEN l.amount ELSE 0 END) AS rewards,
                                 SUM(CASE WHEN l.kind IN (%s, %s) THEN l.amount ELSE 0 END) AS adjustments,
                                 SUM(l.amount) AS net
                          FROM {t['l']} l JOIN {t['s']} s2 ON s2.id = l.settlement_id
                          WHERE s2.period_start = %s AND s2.period_end = %s AND s2.status = %s{s_scope}
                          GROUP BY l.settlement_id) a
                    WHERE s.id = a.sid""",
                [LedgerEntry.DELIVERY, LedgerEntry.FINE, LedgerEntry.REWARD, LedgerEntry.ADJUSTMENT,
                 LedgerEntry.PAYOUT, period_start, period_end, Settlement.DRAFT, *s_params])
    return {"settlements_created": created, "lines_settled": lines}


# --- transitions -----------------------------------------------------------------------------

def _transition(settlement, old, new, *, user, reason="", **fields):
    labels = dict(Settlement.STATUSES)
    changed = Settlement.objects.filter(pk=settlement.pk, status=old).update(status=new, **fields)
    if not changed:
        current = Settlement.objects.filter(pk=settlement.pk).values_list("status", flat=True).first()
        raise SettlementError(_("结算单 %(no)s 现在是“%(status)s”，不能改为“%(new)s”。")
                              % {"no": settlement.pk, "status": labels.get(current, current), "new": labels[new]},
                              code="conflict", status=409)
    for name, value in fields.items():
        setattr(settlement, name, value)
    settlement.status = new
    log_action(settlement, f"settlement.{new}", user=user, reason=reason,
               data={"from": old, "to": new, "net": str(settlement.net)})
    return settlement


def approve_settlement(settlement, *, user=None):
    with transaction.atomic():
        return _transition(settlement, Settlement.DRAFT, Settlement.APPROVED, user=user,
                           approved_by=user if getattr(user, "is_authenticated", False) else None,
                           approved_at=timezone.now())


def _attach(entry, settlement):
    LedgerEntry.objects.filter(pk=entry.pk, settlement__isnull=True).update(settlement=settlement)


def pay_settlement(settlement, *, reference, user=None):
    """Mark an approved settlement paid (once) and write the payout into the household's ledger.

    A negative net (fines larger than income) is not paid: it is carried into the next period as
    an adjustment, so the household's balance stays the sum of its entries.
    """
    reference = (reference or "").strip()
    if not reference:
        raise SettlementError(_("请填写付款凭证号（转账单号）。"), code="invalid")
    with transaction.atomic():
        settlement = _transition(settlement, Settlement.APPROVED, Settlement.PAID, user=user,
                                 reason=reference, paid_at=timezone.now(), payment_reference=reference[:64],
                                 paid_by=user if getattr(user, "is_authenticated", False) else None)
        farmer = settlement.farmer
        period = f"{settlement.period_start:%Y-%m-%d}–{settlement.period_end:%Y-%m-%d}"
        if settlement.money_moved:
            with in_site_language():
                entry, _created = ledger.post_entry(
                    farmer=farmer, kind=LedgerEntry.PAYOUT, amount=-settlement.net, source=settlement,
                    reason=_("结算付款 %(period)s，凭证 %(ref)s") % {"period": period, "ref": reference},
                    dedupe_key=f"settlement:{settlement.pk}:payout", user=user)
            _attach(entry, settlement)
        elif settlement.carried_over:
            owed = settlement.carried_over
            with in_site_language():
                closing, _c = ledger.post_entry(
                    farmer=farmer, kind=LedgerEntry.ADJUSTMENT, amount=owed, source=settlement,
                    reason=_("本期应扣 ¥%(owed)s，从下次工资里扣") % {"owed": owed},
                    dedupe_key=f"settlement:{settlement.pk}:carry-out", user=user)
            _attach(closing, settlement)
            with in_site_language():
                ledger.post_entry(
                    farmer=farmer, kind=LedgerEntry.ADJUSTMENT, amount=-owed, source=settlement,
                    reason=_("上期（%(period)s）应扣 ¥%(owed)s，从本次工资里扣") % {"period": period, "owed": owed},
                    dedupe_key=f"settlement:{settlement.pk}:carry-in", user=user,
                    occurred_on=settlement.period_end + datetime.timedelta(days=1))
        with in_site_language():
            if settlement.carried_over:
                body = _("【结算】%(name)s：%(period)s 罚款多于收入，这次没有钱付给您。本期应扣 ¥%(owed)s，"
                         "从下次工资里扣。") % {"name": farmer.head_name, "period": period,
                                          "owed": settlement.carried_over}
                params = {"name": farmer.head_name, "period": period, "owed": settlement.carried_over}
            else:
                body = _("【结算到账】%(name)s：%(period)s 结算实付 ¥%(net)s，凭证号 %(ref)s。") % {
                    "name": farmer.head_name, "period": period, "net": settlement.paid_out, "ref": reference}
                params = {"name": farmer.head_name, "period": period, "amount": settlement.paid_out, "ref": reference}
            notify(event="settlement.paid", key=f"settlement:{settlement.pk}:paid", farmer=farmer, body=body,
                   sms_params=params)
    return settlement


# --- "settle everyone for this month" ---------------------------------------------------------

def start_settlement_run(*, cooperative, period_start, period_end, user=None):
    """Create (or return the unfinished) run for this cooperative and period and queue its task."""
    with transaction.atomic():
        lock_keys(f"settle-run:{cooperative.pk}")
        active = SettlementRun.objects.filter(cooperative=cooperative, period_start=period_start,
                                              period_end=period_end,
                                              status__in=[SettlementRun.QUEUED, SettlementRun.RUNNING]).first()
        if active is not None:
            return active
        run = SettlementRun.objects.create(
            cooperative=cooperative, period_start=period_start, period_end=period_end,
            steps_total=Village.objects.filter(cooperative=cooperative).count(),
            started_by=user if getattr(user, "is_authenticated", False) else None)
        log_action(run, "settlement_run.started", user=user,
                   data={"period": [str(period_start), str(period_end)]})
        transaction.on_commit(lambda: run_settlement.delay(run.pk))
    return run


def execute_run(run_id):
    """Body of the task: settle village by village so the manager sees progress. Safe to re-run."""
    claimed = SettlementRun.objects.filter(
        pk=run_id, status__in=[SettlementRun.QUEUED, SettlementRun.RUNNING]).update(status=SettlementRun.RUNNING)
    if not claimed:
        return None  # already finished: a duplicate delivery of the task does nothing
    run = SettlementRun.objects.select_related("cooperative").get(pk=run_id)
    village_ids = list(Village.objects.filter(cooperative=run.cooperative).order_by("pk").values_list("pk", flat=True))
    created = lines = 0
    SettlementRun.objects.filter(pk=run.pk).update(steps_total=len(village_ids), steps_done=0)
    try:
        for done, village_id in enumerate(village_ids, start=1):
            result = settle_period(period_start=run.period_start, period_end=run.period_end,
                                   cooperative_ids=[run.cooperative_id], village_id=village_id,
                                   user=run.started_by)
            created += result["settlements_created"]
            lines += result["lines_settled"]
            SettlementRun.objects.filter(pk=run.pk).update(steps_done=done, settlements_created=created,
                                                           lines_settled=lines)
    except Exception as exc:
        SettlementRun.objects.filter(pk=run.pk).update(status=SettlementRun.FAILED, error=str(exc)[:300],
                                                       finished_at=timezone.now())
        raise
    SettlementRun.objects.filter(pk=run.pk).update(status=SettlementRun.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    log_action(run, "settlement_run.done", user=run.started_by,
               data={"settlements_created": created, "lines_settled": lines})
    return run


@shared_task(name="coop.tasks.run_settlement", bind=True, acks_late=True, max_retries=3, default_retry_delay=60)
def run_settlement(self, run_id):
    """Settle a cooperative's month village by village, updating the run's progress row.

    Every step is idempotent (see above), so a retry or a duplicate delivery of this task never settles
    a line twice.
    """
    run = execute_run(run_id)
    return run.pk if run else None
