"""Penalties with due process: notified → appeal window → applied (or appealed → decided).

Only an applied fine reaches the household's money, through ``coop.services.ledger.post_entry``
with the dedupe key ``penalty:<id>:apply`` — and "applied" is a compare-and-set on the status, so a
retried task, a double click and the periodic sweep racing the committee can never post twice.
A penalty taken back after application posts a compensating ADJUSTMENT (``penalty:<id>:reverse``).
"""

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.lib.locking import lock_keys
from coop.lib.words import in_site_language
from coop.models import Farmer, LedgerEntry
from coop.services.audit import log_action
from coop.services.ledger import post_entry
from coop.services.notifications import notify
from quality.models import CharterError, Penalty
from quality.services import charter as rules

logger = logging.getLogger("greenshell.charter")


def in_appeal_window(now):
    """Penalties told to the household whose appeal window is still open at ``now`` (field lookups: the workbench
    counts them and links to the admin list with the same lookups)."""
    return {"status": Penalty.NOTIFIED, "appeal_deadline__gte": now}


def _when(dt):
    return date_format(timezone.localtime(dt), "Y-m-d H:i")


def transition(penalty, to, *, user=None, reason="", extra=None, guard=None):
    """The one transition function for penalties: checks the table, then compare-and-sets.

    ``guard`` adds conditions to the update (e.g. "the appeal window has closed"), so the check and
    the write are one statement. Returns False when someone else moved the penalty first.
    """
    if to not in Penalty.TRANSITIONS[penalty.status]:
        raise CharterError(_("处罚当前状态为“%(s)s”，不能改为“%(t)s”。") % {
            "s": penalty.get_status_display(), "t": dict(Penalty.STATUSES)[to]})
    fields = dict(status=to, status_reason=(reason or "")[:500], **(extra or {}))
    qs = Penalty.objects.filter(pk=penalty.pk, status=penalty.status)
    if guard is not None:
        qs = qs.filter(guard)
    if not qs.update(**fields):
        return False
    previous = penalty.status
    for name, value in fields.items():
        setattr(penalty, name, value)
    log_action(penalty, f"penalty.{to}", user=user, actor_label="" if user else _("系统"), reason=reason,
               data={"from": previous, **{k: str(v) for k, v in (extra or {}).items()}})
    return True


def penalty_day(penalty):
    """The penalty's one date in words ("2026年12月3日" in the site's language): Penalty.dated_on, the date
    every page shows it under."""
    return date_format(penalty.dated_on, "DATE_FORMAT")


def notify_penalty(penalty, *, user=None):
    """Tell the household, with the evidence, and open the appeal window the charter sets."""
    now = timezone.now()
    deadline = now + datetime.timedelta(days=penalty.charter.appeal_window_days)
    if not transition(penalty, Penalty.NOTIFIED, user=user, extra={"notified_at": now, "appeal_deadline": deadline}):
        raise CharterError(_("处罚刚被其他人处理过，请刷新后再看。"))
    report = penalty.report
    with in_site_language():
        notify(event="penalty.notified", key=f"penalty:{penalty.pk}:notified", farmer=penalty.farmer, body=_(
            "%(name)s：%(day)s 批次 %(batch)s 收到坏蛋报告（%(ref)s，%(defect)s），经核实由您户承担 %(eggs)s 枚。"
            "依据公约%(clause)s，这是您户第 %(n)s 次违约，拟处理：%(sanction)s。"
            "如有异议，请在 %(deadline)s 前申诉（找合作社管理员或在农户页面提交）。"
        ) % {"name": penalty.farmer.head_name, "day": penalty_day(penalty), "batch": report.batch.code,
             "ref": report.reference,
             "defect": report.get_defect_display(), "eggs": penalty.eggs, "clause": penalty.clause.number,
             "n": penalty.offence_number, "sanction": penalty.sanction_summary(), "deadline": _when(deadline)},
            sms_params={"name": penalty.farmer.head_name, "ref": report.reference,
                        "sanction": penalty.sanction_summary(), "deadline": _when(deadline)})
    return penalty


def _effects(penalty, *, user):
    """What an applied penalty does: the fine to the ledger, the suspension to the household."""
    if penalty.amount > 0:
        with in_site_language():
            post_entry(farmer=penalty.farmer, kind=LedgerEntry.FINE, amount=-penalty.amount,
                       reason=_("坏蛋报告 %(ref)s，公约%(clause)s（第 %(n)s 次违约，%(eggs)s 枚）") % {
                           "ref": penalty.report.reference, "clause": penalty.clause.number,
                           "n": penalty.offence_number, "eggs": penalty.eggs},
                       source=penalty, dedupe_key=f"penalty:{penalty.pk}:apply", user=user)
    if penalty.suspension_days:
        until = timezone.localdate() + datetime.timedelta(days=penalty.suspension_days - 1)
        Penalty.objects.filter(pk=penalty.pk).update(suspended_until=until)
        penalty.suspended_until = until
        farmer = Farmer.objects.select_for_update().get(pk=penalty.farmer_id)
        if farmer.suspended_until is None or farmer.suspended_until < until:
            farmer.suspended_until = until
            farmer.suspension_reason = (_("公约处罚 #%(id)s（坏蛋报告 %(ref)s）") % {
                "id": penalty.pk, "ref": penalty.report.reference})[:200]
            farmer.save(update_fields=["suspended_until", "suspension_reason"])
            log_action(farmer, "farmer.suspended", user=user, data={"until": str(until), "penalty": penalty.pk})
        penalty.farmer = farmer


def apply_penalty(penalty, *, user=None, reason="", after_decision=False):
    """Apply the penalty once. Returns True if this call applied it.

    Without a committee decision the penalty must be NOTIFIED and its appeal window closed —
    nothing applies early. After a decision (upheld/reduced) it moves from APPEALED.
    """
    now = timezone.now()

    with transaction.atomic():
        penalty.refresh_from_db()
        if after_decision:
            if penalty.status != Penalty.APPEALED:
                raise CharterError(_("只有申诉中的处罚才能按裁决执行。"))
            guard = None
        else:
            if penalty.status != Penalty.NOTIFIED:
                return False
            if penalty.appeal_deadline is None or penalty.appeal_deadline >= now:
                raise CharterError(_("申诉期到 %(d)s 才结束，现在不能执行。") % {"d": _when(penalty.appeal_deadline)})
            guard = Q(appeal_deadline__lt=now)
        if not transition(penalty, Penalty.APPLIED, user=user, reason=reason, extra={"applied_at": now},
                          guard=guard):
            return False
        _effects(penalty, user=user)
        with in_site_language():
            notify(event="penalty.applied", key=f"penalty:{penalty.pk}:applied", farmer=penalty.farmer, body=_(
                "%(name)s：%(day)s 的坏蛋报告 %(ref)s 的处理已执行：%(sanction)s。%(until)s") % {
                    "name": penalty.farmer.head_name, "day": penalty_day(penalty), "ref": penalty.report.reference,
                    "sanction": penalty.sanction_summary(),
                    "until": ((_("暂停收购至 %(d)s。") % {"d": penalty.suspended_until})
                              if penalty.suspended_until else "")},
                sms_params={"name": penalty.farmer.head_name, "ref": penalty.report.reference,
                            "result": _("已执行：%(s)s") % {"s": penalty.sanction_summary()}})
    return True


def apply_due_penalties(now=None):
    """The periodic sweep: apply every notified penalty whose appeal window has closed."""
    now = now or timezone.now()
    due = list(Penalty.objects.filter(status=Penalty.NOTIFIED, appeal_deadline__lt=now)
               .order_by("appeal_deadline").values_list("pk", flat=True)[:500])
    applied = 0
    for pk in due:
        penalty = Penalty.objects.select_related("farmer", "report", "clause", "charter").get(pk=pk)
        try:
            applied += bool(apply_penalty(penalty, reason=_("申诉期已过，自动执行")))
        except CharterError as exc:  # moved on meanwhile (appealed at the last second): skip it
            logger.info("penalty %s not applied: %s", pk, exc)
    return applied


def waive_penalty(penalty, *, user, reason):
    """Close an unapplied penalty without effect (committee waived it, or the manager withdrew it)."""
    with transaction.atomic():
        penalty.refresh_from_db()
        if not transition(penalty, Penalty.WAIVED, user=user, reason=reason, extra={"closed_at": timezone.now()}):
            raise CharterError(_("处罚刚被其他人处理过，请刷新后再看。"))
        with in_site_language():
            notify(event="penalty.waived", key=f"penalty:{penalty.pk}:waived", farmer=penalty.farmer, body=_(
                "%(name)s：坏蛋报告 %(ref)s 的处罚已免除。理由：%(reason)s") % {
                    "name": penalty.farmer.head_name, "ref": penalty.report.reference, "reason": reason},
                sms_params={"name": penalty.farmer.head_name, "ref": penalty.report.reference, "result": _("已免除")})
        renumber_open_penalties(penalty.farmer, user=user)
    return penalty


def reverse_penalty(penalty, *, user, reason):
    """Take back an applied penalty: a compensating ledger entry and the suspension lifted."""
    if not (reason or "").strip():
        raise CharterError(_("撤销处罚必须写明原因。"))
    with transaction.atomic():
        penalty.refresh_from_db()
        if not transition(penalty, Penalty.REVERSED, user=user, reason=reason, extra={"closed_at": timezone.now()}):
            raise CharterError(_("处罚刚被其他人处理过，请刷新后再看。"))
        fine = LedgerEntry.objects.filter(dedupe_key=f"penalty:{penalty.pk}:apply").first()
        if fine is not None:
            with in_site_language():
                post_entry(farmer=penalty.farmer, kind=LedgerEntry.ADJUSTMENT, amount=-fine.amount,
                           reason=_("撤销罚款：处罚 #%(id)s（%(reason)s）") % {"id": penalty.pk, "reason": reason},
                           source=penalty, dedupe_key=f"penalty:{penalty.pk}:reverse", user=user)
        if penalty.suspended_until:
            _lift_suspension(penalty, user=user)
        with in_site_language():
            notify(event="penalty.reversed", key=f"penalty:{penalty.pk}:reversed", farmer=penalty.farmer, body=_(
                "%(name)s：坏蛋报告 %(ref)s 的处罚已撤销，已扣罚款退回台账。理由：%(reason)s") % {
                    "name": penalty.farmer.head_name, "ref": penalty.report.reference, "reason": reason},
                sms_params={"name": penalty.farmer.head_name, "ref": penalty.report.reference,
                            "result": _("已撤销，罚款已退回")})
        renumber_open_penalties(penalty.farmer, user=user)
    return penalty


OPEN = (Penalty.PROPOSED, Penalty.NOTIFIED, Penalty.APPEALED)


def renumber_open_penalties(farmer, *, user=None):
    """Count the household's offences again after one was taken back (waived or reversed).

    A penalty's offence number, and so its escalation step, is fixed when its report is confirmed.
    A waived or reversed penalty is no offence, so every later penalty not yet applied gets its number
    again — and the clause, fine and sanction that number selects — and the household is told. Applied
    penalties keep theirs: their money has moved, and changing it is the committee's reversal to make.
    Returns the penalties that changed.
    """
    changed = []
    # The household's offence lock, as confirm_report takes it: a report confirmed meanwhile is counted
    # either before this renumbering or after it, never with a stale count.
    lock_keys(f"offence:{farmer.pk}")
    open_penalties = (Penalty.objects.select_for_update(of=("self",))
                      .filter(farmer=farmer, status__in=OPEN)
                      .select_related("report", "charter", "farmer").order_by("report__created_at", "pk"))
    for p in open_penalties:
        number = rules.offence_number(farmer, p.report.reported_on, p.charter, exclude_report=p.report,
                                      before=p.report.created_at)
        if number == p.offence_number:
            continue
        clause = rules.clause_for(p.charter, p.report.defect, number)
        amount = clause.fine_for(p.eggs)
        fields = dict(offence_number=number, clause=clause, clause_text=f"{clause.number} {clause.text}",
                      proposed_amount=amount, amount=amount, suspension_days=clause.suspension_days,
                      public_notice=clause.public_notice,
                      warning=clause.warning or not (amount or clause.suspension_days))
        # Compare-and-set on the status: a penalty applied meanwhile keeps the number it was applied with.
        if not Penalty.objects.filter(pk=p.pk, status=p.status).update(**fields):
            continue
        before = p.offence_number
        for name, value in fields.items():
            setattr(p, name, value)
        log_action(p, "penalty.renumbered", user=user, actor_label="" if user else _("系统"),
                   reason=_("之前的处罚已免除或撤销，不算违约"),
                   data={"offence": [before, number], "clause": clause.number, "amount": str(amount)})
        with in_site_language():
            notify(event="penalty.renumbered", key=f"penalty:{p.pk}:renumbered:{number}", farmer=farmer, body=_(
                "%(name)s：之前的一次处罚已免除，坏蛋报告 %(ref)s 改为第 %(n)s 次违约，处理改为：%(sanction)s。") % {
                    "name": farmer.head_name, "ref": p.report.reference, "n": number,
                    "sanction": p.sanction_summary()},
                sms_params={"name": farmer.head_name, "ref": p.report.reference,
                            "result": _("改为第%(n)s次违约：%(s)s") % {"n": number, "s": p.sanction_summary()}})
        changed.append(p)
    return changed


def _lift_suspension(penalty, *, user):
    farmer = Farmer.objects.select_for_update().get(pk=penalty.farmer_id)
    # Another applied penalty may still suspend the household: keep the latest of those.
    other = (Penalty.objects.filter(farmer=farmer, status=Penalty.APPLIED, suspended_until__gte=timezone.localdate())
             .exclude(pk=penalty.pk).aggregate(m=Max("suspended_until"))["m"])
    farmer.suspended_until = other
    if other is None:
        farmer.suspension_reason = ""
    farmer.save(update_fields=["suspended_until", "suspension_reason"])
    log_action(farmer, "farmer.suspension_lifted", user=user, data={"penalty": penalty.pk, "until": str(other)})


def penalties_visible_to(user):
    """A household sees its own penalties; staff see their cooperatives'; anyone else nothing."""

    if not getattr(user, "is_authenticated", False):
        return Penalty.objects.none()
    ids = tenancy.cooperative_ids(user)
    qs = Penalty.objects.filter(cooperative__in=ids)
    farmer = Farmer.objects.filter(user=user).first()
    if farmer is not None:
        qs = qs | Penalty.objects.filter(farmer=farmer)
    return qs.distinct()


@shared_task(name="quality.tasks.apply_due_penalties")
def apply_due_penalties_task():
    """Apply every notified penalty whose appeal window has closed; returns how many were applied."""
    return apply_due_penalties()


# --- what the household's phone shows ------------------------------------------------------------------

# A penalty that still waits for something: the household may appeal it, or the committee will hear it.
WAITING = (Penalty.NOTIFIED, Penalty.APPEALED)


def waiting_count(farmer):
    """The number on the 处罚 badge of the household's pages."""
    return Penalty.objects.filter(farmer=farmer, status__in=WAITING).count()


def share_explanation(penalty):
    """Why these eggs are this household's, in a sentence a farmer follows: "这批蛋共 60 枚，您家交了
    12 枚，占 20%。坏蛋共 10 枚，按各家交的蛋分，算您家 2 枚。" The same rule as ``charter.attribute``,
    read back from the batch: a stamp on the egg, the charter's share by eggs, or the manager's finding."""
    report = penalty.report
    in_batch = rules.batch_eggs_by_household(report.batch)
    total = sum(in_batch.values())
    mine = next((n for f, n in in_batch.items() if f.pk == penalty.farmer_id), 0)
    if report.stamp_code and (penalty.farmer.stamp_code or "").lower() == report.stamp_code.lower():
        return _("坏蛋上印着您家的编号 %(code)s，所以这 %(eggs)s 枚算您家。") % {
            "code": report.stamp_code, "eggs": penalty.eggs}
    if total and mine == total:
        return _("这批蛋都是您家交的（%(total)s 枚），所以坏蛋 %(eggs)s 枚都算您家。") % {
            "total": total, "eggs": penalty.eggs}
    if total and mine:
        share = rules.largest_remainder(report.eggs, in_batch)
        if next((n for f, n in share.items() if f.pk == penalty.farmer_id), None) == penalty.eggs:
            return _("这批蛋共 %(total)s 枚，您家交了 %(mine)s 枚，占 %(pct)s%%。坏蛋共 %(bad)s 枚，"
                     "按各家交的蛋分，算您家 %(eggs)s 枚。") % {
                "total": total, "mine": mine, "pct": round(100 * mine / total), "bad": report.eggs,
                "eggs": penalty.eggs}
    return _("管理员调查后认定，这批坏蛋里 %(eggs)s 枚由您家承担。") % {"eggs": penalty.eggs}
