"""The charter's rules as functions: which version is in force, which clause applies, who answers
for a report (attribution), and how a sanction reads to a person; and adopting a version (the API and
the admin both call ``adopt_charter``)."""

import datetime
import re

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.models import Farmer
from coop.services.audit import log_action
from quality.models import ANY_DEFECT, Charter, CharterError, Clause, Penalty


def charter_in_force(cooperative, on_date):
    """The version whose ``effective_from`` is the latest not after ``on_date``.

    A report is judged by the rules of its own day: a version adopted later never applies to it,
    even when the report is confirmed after that version took effect.
    """
    return (Charter.objects.filter(cooperative=cooperative, effective_from__lte=on_date)
            .order_by("-effective_from", "-version").first())


def offence_number(farmer, on_date, charter, exclude_report=None, before=None):
    """This household's offence number for a report of ``on_date``: 1 + its earlier confirmed offences
    within the charter's look-back period. Waived or reversed penalties do not count (the committee
    took them back), and each report counts once.

    ``before`` (the report's own time) counts only reports made before it: when offences are counted
    again after a waiver, later reports of the same day exist and must not count as earlier ones."""
    since = on_date - datetime.timedelta(days=charter.lookback_days)
    earlier = (Penalty.objects.filter(farmer=farmer, status__in=Penalty.COUNTING,
                                      report__created_at__date__gte=since,
                                      report__created_at__date__lte=on_date))
    if exclude_report is not None:
        earlier = earlier.exclude(report=exclude_report)
    if before is not None:
        earlier = earlier.filter(report__created_at__lt=before)
    return earlier.values("report").distinct().count() + 1


def clause_for(charter, defect, offence):
    """The escalation step for ``defect`` at the household's ``offence``-th offence.

    A clause for the exact defect wins over a clause for any defect; within those, the highest
    ``from_offence`` not above ``offence``.
    """
    candidates = (Clause.objects.filter(charter=charter, from_offence__lte=offence)
                  .filter(Q(defect=defect) | Q(defect=ANY_DEFECT)))
    specific = [c for c in candidates if c.defect == defect]
    pool = specific or [c for c in candidates if c.defect == ANY_DEFECT]
    if not pool:
        raise CharterError(_("公约第%(v)s版没有适用于这种问题的条款，请先在公约中补充条款。") % {"v": charter.version})
    return max(pool, key=lambda c: c.from_offence)


def largest_remainder(total, weights):
    """Split ``total`` whole units over ``weights`` ({key: weight}) in proportion, exactly.

    Each key first gets the floor of its exact share; the units left over go one each to the keys
    with the largest fractional remainders (ties: the larger weight, then the key). The parts always
    add up to ``total`` — nobody is fined for a fraction of an egg and no egg is lost.
    """
    weights = {k: int(w) for k, w in weights.items() if int(w) > 0}
    whole = sum(weights.values())
    if total < 0 or (total and not whole):
        raise CharterError(_("无法分摊：批次中没有可追溯的鸡蛋。"))
    parts, remainders = {}, []
    for key, w in weights.items():
        q, r = divmod(total * w, whole)
        parts[key] = q
        remainders.append((r, w, key))
    left = total - sum(parts.values())
    for _r, _w, key in sorted(remainders, key=lambda t: (-t[0], -t[1], str(t[2])))[:left]:
        parts[key] += 1
    return parts


def batch_eggs_by_household(batch):
    """{farmer: eggs} of the households whose deliveries went into ``batch``."""
    shares = {}
    for c in batch.contributions.select_related("delivery__farmer"):
        farmer = c.delivery.farmer
        shares[farmer] = shares.get(farmer, 0) + c.eggs
    return shares


def attribute(report, charter, households=None):
    """Who answers for the report's bad eggs: {farmer: eggs}, summing to ``report.eggs``.

    1. A stamped farmer code read off the egg names one household (of this cooperative) — for at
       most the eggs it put into the batch. The rest is shared by the charter's rule among the other
       households, or named by the manager where the charter says so.
    2. Otherwise the manager may name households after investigating (``households``: either
       {farmer: eggs} that must add up, or a list split by their eggs in the batch).
    3. Otherwise the charter's rule: shared by each household's eggs in the batch.

    Under the stamp and the charter's rule nobody is attributed more eggs than they contributed.
    """

    in_batch = batch_eggs_by_household(report.batch)
    if report.stamp_code:
        stamped = _stamped(report, charter, in_batch, households)
        if stamped is not None:
            return stamped
    if households:
        if isinstance(households, dict):
            named = {f: int(n) for f, n in households.items() if int(n) > 0}
            if sum(named.values()) != report.eggs:
                raise CharterError(_("各户分摊的枚数之和必须等于坏蛋枚数 %(n)s。") % {"n": report.eggs})
            if any(f.cooperative_id != report.cooperative_id for f in named):
                raise CharterError(_("只能指定本合作社的农户。"))
            return named
        named = list(households)
        if any(f.cooperative_id != report.cooperative_id for f in named):
            raise CharterError(_("只能指定本合作社的农户。"))
        weights = {f: in_batch.get(f, 0) for f in named}
        if not any(weights.values()):  # named households that are not in the batch: share equally
            weights = {f: 1 for f in named}
        return {f: n for f, n in largest_remainder(report.eggs, weights).items() if n}
    if charter.attribution_rule == Charter.RULE_MANAGER:
        raise CharterError(_("公约规定由管理员调查后指定农户：请选择要处罚的农户。"))
    _check_traceable(report.eggs, in_batch)
    return {f: n for f, n in largest_remainder(report.eggs, in_batch).items() if n}


def _check_traceable(eggs, in_batch):
    # A share in proportion to contributions stays within each one only while the eggs shared do
    # not exceed the eggs contributed; past that someone would answer for eggs they never sold.
    traceable = sum(in_batch.values())
    if eggs > traceable:
        raise CharterError(_("坏蛋枚数 %(n)s 超过了这个批次中可追溯到农户的 %(m)s 枚鸡蛋，无法按公约分摊。")
                           % {"n": eggs, "m": traceable})


def _stamped(report, charter, in_batch, households):
    """The stamp's share: ``{farmer: eggs}``, or None when the manager names who answers for the eggs
    the stamped household did not put into the batch."""
    farmer = Farmer.objects.filter(cooperative=report.cooperative, stamp_code__iexact=report.stamp_code).first()
    if farmer is None:
        raise CharterError(_("喷码“%(code)s”不属于本合作社的任何农户。") % {"code": report.stamp_code})
    own = in_batch.get(farmer, 0)
    if not own:
        raise CharterError(_("喷码“%(code)s”的农户（%(name)s）没有鸡蛋装进这个批次，请核对喷码。")
                           % {"code": report.stamp_code, "name": farmer.head_name})
    if report.eggs <= own:
        return {farmer: report.eggs}
    rest = report.eggs - own
    if households:
        return None  # the manager investigated and names the households for all the eggs
    if charter.attribution_rule == Charter.RULE_MANAGER:
        raise CharterError(_(
            "喷码“%(code)s”的农户只有 %(own)s 枚鸡蛋装进这个批次，其余 %(rest)s 枚按公约由管理员调查后指定农户："
            "请选择要处罚的农户。") % {"code": report.stamp_code, "own": own, "rest": rest})
    others = {f: n for f, n in in_batch.items() if f != farmer}
    _check_traceable(rest, others)
    shares = largest_remainder(rest, others)
    shares[farmer] = own
    return {f: n for f, n in shares.items() if n}


# --- adopting a version -------------------------------------------------------------------------------

def check_charter(adopted_on, effective_from, clauses=None):
    """The rules a new version must meet. ``clauses`` is None where the clauses are saved beside it
    (the admin's inline); otherwise a version needs at least one. Raises ``CharterError`` naming the field."""
    if adopted_on and effective_from and adopted_on > effective_from:
        raise CharterError(_("生效日期不能早于通过日期。"), field="effective_from")
    if clauses is not None and not clauses:
        raise CharterError(_("公约至少要有一条处罚条款。"), field="clauses")
    # One clause per step of an escalation (the table's unique constraint): two clauses for the same
    # defect at the same offence would leave which one applies to chance — and fail the insert.
    steps = set()
    for c in clauses or ():
        step = (c.get("defect") or ANY_DEFECT, c.get("from_offence") or 1)
        if step in steps:
            raise CharterError(_("同一种缺陷的同一次违约只能有一条条款（第 %(n)s 次违约的条款重复了）。")
                               % {"n": step[1]}, field="clauses")
        steps.add(step)


def next_version(cooperative):
    return (Charter.objects.filter(cooperative=cooperative).aggregate(m=Max("version"))["m"] or 0) + 1


def _log_version(charter, action, user):
    log_action(charter, action, user=user,
               data={"version": charter.version, "votes_for": charter.votes_for,
                     "votes_against": charter.votes_against})


@transaction.atomic
def adopt_charter(charter, *, user, clauses=None):
    """Adopt ``charter`` (unsaved; its cooperative, text and assembly record set) as its cooperative's next
    version: number it, save it with ``clauses`` (dicts of Clause fields; None when the caller saves them
    itself, as the admin's inline does) and write ``charter.adopted`` to the audit trail."""
    check_charter(charter.adopted_on, charter.effective_from, clauses)
    charter.version = next_version(charter.cooperative)
    charter.created_by = user
    charter.save()
    for c in clauses or ():
        Clause.objects.create(charter=charter, **c)
    _log_version(charter, "charter.adopted", user)
    return charter


@transaction.atomic
def edit_charter(charter, *, user):
    """Save an edit of a version nobody has been judged by yet (the admin refuses the others)
    and write ``charter.edited``. The caller has checked it (the admin form runs ``check_charter``)."""
    charter.save()
    _log_version(charter, "charter.edited", user)
    return charter


@transaction.atomic
def draft_charter(old, *, user):
    """A draft of the next version with ``old``'s text, procedure and clauses, adopted today and in force in
    30 days, for the manager to complete with the assembly record. Writes ``charter.drafted``."""
    today = timezone.localdate()
    new = Charter.objects.create(
        cooperative=old.cooperative, version=next_version(old.cooperative), title=old.title, text=old.text,
        adopted_on=today, effective_from=today + datetime.timedelta(days=30),
        appeal_window_days=old.appeal_window_days, notice_days=old.notice_days,
        lookback_days=old.lookback_days, attribution_rule=old.attribution_rule,
        name_mask=old.name_mask, created_by=user,
        assembly_record=_("草稿：请填写村民大会的到会人数和表决结果。"))
    for c in old.clauses.all():
        c.pk, c.charter = None, new
        c.save()
    log_action(new, "charter.drafted", user=user, data={"from_version": old.version})
    return new


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}


def _chinese_number(text):
    """"十二" → 12, "二十" → 20, "一百零五" → 105. Clause numbers are short, so this small reader does;
    a library (cn2an) would be one more dependency for the one thing we need."""
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百":
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            return None
    return total + digit


def clause_order(clause):
    """Sort key putting 第五条 before 第六条 before 第十二条 (as text, 七 sorts before 五), and "5.2"
    after "5.1"; clauses of the same number by the offence they start at."""
    number = (clause.number or "").strip()
    m = re.fullmatch(r"第?([零〇一二两三四五六七八九十百]+)条?", number)
    parts = [_chinese_number(m.group(1))] if m else [int(n) for n in re.findall(r"\d+", number)]
    return (parts or [10**6], number, clause.from_offence)
