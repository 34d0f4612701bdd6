"""The collective fund: donations in, part reserved for hygiene rewards, rewards out to households.

Balances are sums of append-only ``FundEntry`` rows per pool. Every withdrawal takes the fund's
lock first, then recomputes the pool's balance from its entries, then writes — the same rule as
stock (docs/ARCHITECTURE.md "Locking"), so two managers awarding at once can never take the fund
below zero. An award moves money out of the hygiene reserve and into the household's ledger as a
reward, in one transaction; both sides carry a dedupe key, so a double click awards once.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.locking import LockTimeout, lock_keys
from coop.lib.words import in_site_language
from coop.models import Donation, Farmer, FundEntry, HygieneInspection, HygieneScore, LedgerEntry
from coop.services import ledger
from coop.services.audit import log_action
from coop.services.notifications import notify


class FundError(DomainError):
    """Refused fund operation (not enough money, bad amount). The message is shown as is."""


def _money(value, label):
    try:
        amount = ledger.to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        raise FundError(_("“%(label)s”必须是金额，例如 100.00。") % {"label": label}) from None
    if amount < 0:
        raise FundError(_("“%(label)s”不能是负数。") % {"label": label})
    return amount


def balance(cooperative, pool):
    total = FundEntry.objects.filter(cooperative=cooperative, pool=pool).aggregate(t=Sum("amount"))["t"]
    return ledger.to_money(total or Decimal("0"))


def balances(cooperative):
    return {pool: balance(cooperative, pool) for pool, _label in FundEntry.POOLS}


def all_balances(cooperative_ids=None):
    """``{(cooperative_id, pool): balance}`` for many cooperatives in one query — ``balance`` of each, grouped
    (the reconciliation checks every cooperative of a province: two queries each was 6,000). A pool without
    movements is not listed: its balance is 0.00."""
    entries = FundEntry.objects.all() if cooperative_ids is None else FundEntry.objects.filter(
        cooperative_id__in=cooperative_ids)
    return {(cid, pool): ledger.to_money(total or Decimal("0")) for cid, pool, total in
            entries.values("cooperative_id", "pool").annotate(total=Sum("amount")).values_list(
                "cooperative_id", "pool", "total")}


def _lock(cooperative):
    try:
        lock_keys(f"fund:{cooperative.pk}")
    except LockTimeout:
        raise FundError(_("其他人正在使用基金，请稍后再试。")) from None


def record_donation(*, cooperative, donor, amount, hygiene_reserve=0, purpose="", received_on=None, user=None):
    amount = _money(amount, _("金额"))
    reserve = _money(hygiene_reserve or 0, _("卫生奖励预留"))
    if not (donor or "").strip():
        raise FundError(_("请填写捐赠方。"))
    if amount <= 0:
        raise FundError(_("捐赠金额必须大于 0。"))
    if reserve > amount:
        raise FundError(_("预留给卫生奖励的 ¥%(r)s 不能超过捐赠金额 ¥%(a)s。") % {"r": reserve, "a": amount})
    with transaction.atomic():
        donation = Donation.objects.create(
            cooperative=cooperative, donor=donor.strip()[:100], amount=amount, hygiene_reserve=reserve,
            purpose=(purpose or "")[:200], received_on=received_on or timezone.localdate(),
            recorded_by=user if getattr(user, "is_authenticated", False) else None)
        reason = _("捐赠：%(donor)s") % {"donor": donation.donor}
        for pool, part in ((FundEntry.GENERAL, amount - reserve), (FundEntry.HYGIENE, reserve)):
            if part:
                FundEntry.objects.create(cooperative=cooperative, pool=pool, kind=FundEntry.DONATION, amount=part,
                                         reason=reason, donation=donation, occurred_on=donation.received_on,
                                         dedupe_key=f"donation:{donation.pk}:{pool}", created_by=donation.recorded_by)
        log_action(donation, "fund.donation_received", user=user,
                   data={"amount": str(amount), "hygiene_reserve": str(reserve)})
    return donation


def reserve_for_hygiene(*, cooperative, amount, reason="", user=None):
    """Move money from the general fund into the hygiene reserve (never below zero)."""
    amount = _money(amount, _("金额"))
    if amount <= 0:
        raise FundError(_("金额必须大于 0。"))
    with transaction.atomic():
        _lock(cooperative)
        available = balance(cooperative, FundEntry.GENERAL)
        if amount > available:
            raise FundError(_("集体基金只有 ¥%(b)s，不能转出 ¥%(a)s。") % {"b": available, "a": amount})
        creator = user if getattr(user, "is_authenticated", False) else None
        text = reason or _("转入卫生奖励预留")
        FundEntry.objects.create(cooperative=cooperative, pool=FundEntry.GENERAL, kind=FundEntry.RESERVE,
                                 amount=-amount, reason=text, created_by=creator)
        entry = FundEntry.objects.create(cooperative=cooperative, pool=FundEntry.HYGIENE, kind=FundEntry.RESERVE,
                                         amount=amount, reason=text, created_by=creator)
        log_action(entry, "fund.reserved", user=user, data={"amount": str(amount)}, cooperative=cooperative)
    return entry


def check_scored_household(*, cooperative, village, farmer):
    """Refuse a score for a household outside the inspected village (or outside the cooperative).

    The admin's inline scores and ``award_hygiene`` ask this too: an inspection of one village is
    about that village's yards, so a neighbour from another village must not get its reward."""
    if farmer.cooperative_id != cooperative.pk:
        raise FundError(_("%(name)s 不是本合作社的社员，不能在这次评比里打分。") % {"name": farmer.head_name})
    if farmer.village_id != village.pk:
        raise FundError(_("%(name)s 是%(other)s的社员，这次评比的是%(village)s，只能给%(village)s的农户打分。")
                        % {"name": farmer.head_name, "other": farmer.village.name, "village": village.name})


def record_inspection(*, cooperative, village, scores, inspected_on=None, inspectors="", note="", user=None):
    """Record a hygiene inspection of ``village`` with ``scores`` = {farmer (or id): 0–100}."""
    if village.cooperative_id != cooperative.pk:
        raise FundError(_("这个村不属于本合作社。"))
    if not scores:
        raise FundError(_("请至少给一户打分。"))
    ids = {getattr(f, "pk", f) for f in scores}
    farmers = {f.pk: f for f in Farmer.objects.filter(pk__in=ids).select_related("village")}
    if len(farmers) != len(ids):
        raise FundError(_("评分的农户必须是这个村的社员。"))
    for farmer in farmers.values():  # names the neighbour and the two villages, not just "not of this village"
        check_scored_household(cooperative=cooperative, village=village, farmer=farmer)
    clean = {}
    for key, score in scores.items():
        try:
            value = int(score)
        except (TypeError, ValueError):
            raise FundError(_("得分必须是 0 到 100 的整数。")) from None
        if not 0 <= value <= 100:
            raise FundError(_("得分必须是 0 到 100 的整数。"))
        clean[getattr(key, "pk", key)] = value
    with transaction.atomic():
        inspection = HygieneInspection.objects.create(
            cooperative=cooperative, village=village, inspected_on=inspected_on or timezone.localdate(),
            inspectors=inspectors[:200], note=note[:300],
            created_by=user if getattr(user, "is_authenticated", False) else None)
        HygieneScore.objects.bulk_create([HygieneScore(inspection=inspection, farmer=farmers[fid], score=value)
                                          for fid, value in clean.items()])
        log_action(inspection, "hygiene.inspected", user=user, data={"scores": len(clean)})
    return inspection


def award_hygiene(score, *, amount, user=None):
    """Pay a hygiene reward to ``score``'s household out of the reserve. Once per score."""
    amount = _money(amount, _("奖励金额"))
    if amount <= 0:
        raise FundError(_("奖励金额必须大于 0。"))
    inspection = score.inspection
    cooperative = inspection.cooperative
    # A score written before the village rule (or by hand in the database) must not pay a neighbour.
    check_scored_household(cooperative=cooperative, village=inspection.village, farmer=score.farmer)
    with transaction.atomic():
        _lock(cooperative)
        available = balance(cooperative, FundEntry.HYGIENE)
        if amount > available:
            raise FundError(_("卫生奖励预留只剩 ¥%(b)s，不够发 ¥%(a)s。") % {"b": available, "a": amount})
        now = timezone.now()
        claimed = HygieneScore.objects.filter(pk=score.pk, awarded_at__isnull=True).update(award=amount,
                                                                                          awarded_at=now)
        if not claimed:
            raise FundError(_("%(name)s 这次评比的奖励已经发过了。") % {"name": score.farmer.head_name})
        with in_site_language():
            reason = _("卫生评比先进户奖励（%(village)s %(date)s，%(score)d 分）") % {
                "village": inspection.village.name, "date": f"{inspection.inspected_on:%Y-%m-%d}",
                "score": score.score}
            FundEntry.objects.create(cooperative=cooperative, pool=FundEntry.HYGIENE, kind=FundEntry.AWARD,
                                     amount=-amount, reason=reason, farmer=score.farmer,
                                     dedupe_key=f"hygiene:{score.pk}",
                                     created_by=user if getattr(user, "is_authenticated", False) else None)
            entry, _created = ledger.post_entry(farmer=score.farmer, kind=LedgerEntry.REWARD, amount=amount,
                                                reason=reason, source=score, dedupe_key=f"hygiene:{score.pk}",
                                                user=user)
        score.award, score.awarded_at = amount, now
        log_action(score, "hygiene.awarded", user=user, data={"amount": str(amount)}, cooperative=cooperative)
        with in_site_language():
            notify(event="hygiene.award", key=f"hygiene:{score.pk}:award", farmer=score.farmer,
                   body=_("【卫生评比】%(name)s：恭喜评为先进户，奖励 ¥%(amount)s 已记入您的账，月底结算时付给您。")
                   % {"name": score.farmer.head_name, "amount": amount},
                   sms_params={"name": score.farmer.head_name, "amount": amount})
    return entry
