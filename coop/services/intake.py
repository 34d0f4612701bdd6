"""Recording a delivery at the collection point: count, grade, price, credit, receipt.

``record_delivery`` is the only way a delivery is created (intake page, admin, API, the offline
sync of the farmer-pages work). It checks the counts, freezes the prices in force that day, posts
the household's ledger credit once and queues the receipt. Bad input raises ``DeliveryError`` with a
Chinese message and writes nothing.

An implausible delivery (more eggs than the hens can lay) is *held*: recorded and audited, but out of
stock and unpaid (no ledger credit) until a manager confirms it (``confirm_delivery``) or corrects
its counts (``correct_delivery``: cancel-and-amend, as ERPNext does for a Purchase Receipt).
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.locking import LockTimeout, lock_keys
from coop.lib.validators import InvalidNumber, parse_int
from coop.lib.words import in_site_language
from coop.models import (
    REJECT_CODES,
    REJECT_DEFECTS,
    WEIGHT_CLASS_CODES,
    BatchContribution,
    Delivery,
    Farmer,
    LedgerEntry,
    PriceSchedule,
)
from coop.services import ledger
from coop.services.audit import log_action
from coop.services.notifications import notify
from coop.services.packing import stock_lock_key

# A hen lays at most about one egg a day; more than that per hen over the laying period is
# flagged for the manager to look at (not refused: the household may have more hens by now).
MAX_EGGS_PER_HEN_PER_DAY = 1
# One count of one delivery: far above any household's cart, far below the database integer's overflow.
MAX_EGGS_PER_COUNT = 1_000_000
# The phone's clock and the server's differ a little; a delivery "a minute in the future" is fine.
CLOCK_SKEW = datetime.timedelta(minutes=10)
# Older eggs are outside the packing window anyway; a laying date long ago is a typing mistake.
MAX_LAYING_AGE_DAYS = 30


class DeliveryError(DomainError):
    """Bad intake input or a refused delivery. The message is shown to the inspector as is."""

    def __init__(self, message, field=None, **kwargs):
        super().__init__(message, field=field, **kwargs)


def prices_on(cooperative, day):
    """``{weight_class: Decimal price}`` in force on ``day`` (the newest row effective by then)."""
    found = {}
    rows = (PriceSchedule.objects.filter(cooperative=cooperative, effective_from__lte=day)
            .order_by("weight_class", "-effective_from").values_list("weight_class", "price_per_egg"))
    for wc, price in rows:
        found.setdefault(wc, price)
    return found


def _count(value, label, field):
    try:
        n = parse_int(value)
    except InvalidNumber:
        raise DeliveryError(_("“%(label)s”必须是整数。") % {"label": label}, field) from None
    if n is not None and n > MAX_EGGS_PER_COUNT:
        raise DeliveryError(_("“%(label)s”太大了，请检查枚数。") % {"label": label}, field)
    if n is None:
        return 0
    if n < 0:
        raise DeliveryError(_("“%(label)s”不能是负数。") % {"label": label}, field)
    return n


def _resolve_farmer(farmer, cooperative):
    if isinstance(farmer, Farmer):
        if cooperative is not None and farmer.cooperative_id != cooperative.pk:
            raise DeliveryError(_("找不到这户农户。"), "farmer")
        return farmer
    if farmer in (None, ""):
        raise DeliveryError(_("请选择交蛋的农户。"), "farmer")
    qs = Farmer.objects.select_related("cooperative")
    if cooperative is not None:
        qs = qs.filter(cooperative=cooperative)
    try:
        return qs.get(pk=int(farmer))
    except (Farmer.DoesNotExist, TypeError, ValueError):
        raise DeliveryError(_("找不到这户农户。"), "farmer") from None


def _counts(accepted, rejected):
    """``({weight_class: n}, {defect: n})`` from what was typed, every class and defect present."""
    accepted = {str(k).upper(): v for k, v in (accepted or {}).items()}
    rejected = dict(rejected or {})
    unknown = (set(accepted) - set(WEIGHT_CLASS_CODES)) | (set(rejected) - set(REJECT_CODES))
    if unknown:
        raise DeliveryError(_("未知的等级或缺陷：%(codes)s") % {"codes": "、".join(sorted(unknown))})
    acc = {wc: _count(accepted.get(wc), _("合格·%(wc)s") % {"wc": wc}, f"accepted_{wc.lower()}")
           for wc in WEIGHT_CLASS_CODES}
    rej = {code: _count(rejected.get(code), _("不合格·%(code)s") % {"code": code}, f"rejected_{code}")
           for code in REJECT_CODES}
    return acc, rej


def _replay(existing, farmer, acc, rej, laid_from, laid_to):
    """The first delivery of a resent key, or ``DeliveryError`` (409) when the resend differs from it."""
    if existing.cooperative_id != farmer.cooperative_id:  # another cooperative's row: say nothing about it
        raise DeliveryError(_("这条记录的编号已被使用，没有保存。请刷新页面后重新录入。"), "idempotency_key",
                            code="key_reused", status=409)
    same = (existing.farmer_id == farmer.pk and existing.laid_from == laid_from and existing.laid_to == laid_to
            and all(existing.accepted_of(wc) == acc[wc] for wc in WEIGHT_CLASS_CODES)
            and all(getattr(existing, f"rejected_{code}") == rej[code] for code in REJECT_CODES))
    if not same:
        raise DeliveryError(
            _("这条记录的编号已用于回执号 %(no)s（%(farmer)s），但内容不同，没有保存。请刷新页面后重新录入。")
            % {"no": existing.pk, "farmer": existing.farmer.head_name},
            "idempotency_key", code="key_reused", status=409)
    existing.replayed = True
    return existing


def _credit(delivery, *, user):
    """Post the delivery's ledger credit (once: the dedupe key is the delivery)."""
    if delivery.amount_due <= 0:
        return None
    with in_site_language():
        entry, _created = ledger.post_entry(
            farmer=delivery.farmer, kind=LedgerEntry.DELIVERY, amount=delivery.amount_due,
            reason=_("交蛋 %(date)s：合格 %(n)d 枚") % {"date": f"{timezone.localdate(delivery.received_at):%Y-%m-%d}",
                                                    "n": delivery.accepted},
            source=delivery, dedupe_key=f"delivery:{delivery.pk}", user=user,
            occurred_on=timezone.localdate(delivery.received_at))
    return entry


def _receipt_params(delivery):
    """The receipt's facts for an SMS template (``coop.services.sms.TEMPLATES["delivery_receipt"]``)."""
    return {"name": delivery.farmer.head_name, "date": f"{timezone.localtime(delivery.received_at):%m月%d日}",
            "brought": delivery.eggs_brought, "accepted": delivery.accepted, "amount": delivery.amount_due,
            "no": delivery.pk}


def _receipt_text(delivery):
    local = timezone.localtime(delivery.received_at)
    rejects = "，".join(f"{label}{getattr(delivery, f'rejected_{code}')}枚"
                       for code, label in REJECT_DEFECTS if getattr(delivery, f"rejected_{code}"))
    text = _("【收蛋回执】%(name)s：%(date)s 交蛋 %(brought)d 枚，合格 %(accepted)d 枚，应得 ¥%(amount)s。") % {
        "name": delivery.farmer.head_name, "date": f"{local:%Y年%m月%d日 %H:%M}",
        "brought": delivery.eggs_brought, "accepted": delivery.accepted, "amount": delivery.amount_due}
    if rejects:
        text += _("不合格：%(rejects)s（不计价）。") % {"rejects": rejects}
    if delivery.flagged:
        text += _("枚数待管理员核查，核实后入账。")
    text += _("回执号 %(no)s。") % {"no": delivery.pk}
    return text


def record_delivery(*, farmer, laid_from, laid_to=None, accepted=None, rejected=None, eggs_brought=None,
                    received_at=None, inspector=None, note="", idempotency_key=None, cooperative=None,
                    send_receipt=True):
    """Record one delivery and return it; ``delivery.replayed`` says whether it already existed.

    ``accepted`` maps weight class ("XL", "L", "M", "S") to counts, ``rejected`` maps defect code
    ("cracked", …) to counts. ``eggs_brought`` defaults to their sum; when given, it must match.
    ``idempotency_key`` (made by the phone) turns a resend into a lookup of the first delivery.
    ``send_receipt=False`` is for back-filling old paper records (and the demo's past season):
    a household should not get a text today about eggs it brought weeks ago.
    """
    farmer = _resolve_farmer(farmer, cooperative)
    cooperative = farmer.cooperative
    acc, rej = _counts(accepted, rejected)
    laid_to = laid_to or laid_from
    if idempotency_key:
        # Looked up after parsing, so that a resend can be told from a different delivery that
        # reuses a key (a stale page, a bug on the phone): that one is refused, never swallowed.
        existing = Delivery.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, farmer, acc, rej, laid_from, laid_to)
    total = sum(acc.values()) + sum(rej.values())
    if eggs_brought in (None, ""):
        brought = total
    else:
        brought = _count(eggs_brought, _("交来枚数"), "eggs_brought")
        if brought != total:
            raise DeliveryError(
                _("合格 %(acc)d 枚 + 不合格 %(rej)d 枚 = %(total)d 枚，与交来的 %(brought)d 枚不符，请重新清点。")
                % {"acc": sum(acc.values()), "rej": sum(rej.values()), "total": total, "brought": brought},
                "eggs_brought")
    if brought == 0:
        raise DeliveryError(_("交来枚数不能为 0。"), "eggs_brought")

    now = timezone.now()
    received_at = received_at or now
    if received_at > now + CLOCK_SKEW:
        raise DeliveryError(_("收蛋时间不能晚于现在。"), "received_at")
    received_day = timezone.localdate(received_at)
    if not isinstance(laid_from, datetime.date) or not isinstance(laid_to, datetime.date):
        raise DeliveryError(_("请填写产蛋日期。"), "laid_from")
    if laid_to > received_day or laid_from > received_day:
        raise DeliveryError(_("产蛋日期不能晚于收蛋日期。"), "laid_to")
    if laid_from > laid_to:
        raise DeliveryError(_("产蛋起始日不能晚于截止日。"), "laid_from")
    if (received_day - laid_from).days > MAX_LAYING_AGE_DAYS:
        raise DeliveryError(_("产蛋日期早于 %(days)d 天前，请检查日期。") % {"days": MAX_LAYING_AGE_DAYS}, "laid_from")
    if not farmer.active:
        raise DeliveryError(_("%(name)s 已不在册，不能收蛋。") % {"name": farmer.head_name}, "farmer")
    if farmer.is_suspended(received_day):
        raise DeliveryError(
            _("%(name)s 按村规民约暂停收购至 %(until)s，今天不能收蛋。%(reason)s")
            % {"name": farmer.head_name, "until": f"{farmer.suspended_until:%Y年%m月%d日}",
               "reason": farmer.suspension_reason}, "farmer")

    prices = prices_on(cooperative, received_day)
    missing = [wc for wc in WEIGHT_CLASS_CODES if acc[wc] and wc not in prices]
    if missing:
        raise DeliveryError(_("%(date)s 没有“%(classes)s”的收购价，请管理员先设定价格。")
                            % {"date": f"{received_day:%Y-%m-%d}", "classes": "、".join(missing)})
    price = {wc: prices.get(wc, Decimal("0.00")) for wc in WEIGHT_CLASS_CODES}
    amount = ledger.to_money(sum(Decimal(acc[wc]) * price[wc] for wc in WEIGHT_CLASS_CODES))

    days = (laid_to - laid_from).days + 1
    capacity = farmer.hens * days * MAX_EGGS_PER_HEN_PER_DAY
    flag_reason = ""
    if brought > capacity:
        flag_reason = _("交来 %(brought)d 枚，超过 %(hens)d 只母鸡 %(days)d 天最多能产的 %(cap)d 枚。") % {
            "brought": brought, "hens": farmer.hens, "days": days, "cap": capacity}

    fields = dict(
        cooperative=cooperative, farmer=farmer, received_at=received_at, laid_from=laid_from, laid_to=laid_to,
        eggs_brought=brought, amount_due=amount, flagged=bool(flag_reason), flag_reason=flag_reason[:200],
        note=(note or "")[:200], idempotency_key=idempotency_key or None,
        inspector=inspector if getattr(inspector, "is_authenticated", False) else None,
        **{f"accepted_{wc.lower()}": acc[wc] for wc in WEIGHT_CLASS_CODES},
        **{f"rejected_{code}": rej[code] for code in REJECT_CODES},
        **{f"price_{wc.lower()}": price[wc] for wc in WEIGHT_CLASS_CODES},
    )
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(**fields)
            if not flag_reason:  # a held delivery is credited when a manager confirms it
                _credit(delivery, user=inspector)
            log_action(delivery, "delivery.recorded", user=inspector,
                       data={"brought": brought, "accepted": acc, "rejected": rej, "amount": str(amount),
                             "flagged": bool(flag_reason)})
            if flag_reason:
                log_action(delivery, "delivery.flagged", user=inspector, reason=flag_reason)
            if send_receipt:
                with in_site_language():
                    notify(event="delivery.receipt", key=f"delivery:{delivery.pk}:receipt",
                           body=_receipt_text(delivery), farmer=farmer, sms_params=_receipt_params(delivery))
    except IntegrityError:
        # Two sends of the same offline delivery raced; the first one won.
        if idempotency_key:
            existing = Delivery.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replay(existing, farmer, acc, rej, laid_from, laid_to)
        raise
    delivery.replayed = False
    return delivery


def confirm_delivery(delivery, *, user=None, reason=""):
    """A manager looked at a held delivery and finds it right: it enters stock and is credited.

    A compare-and-set on ``flagged``, so two managers confirming at once credit it once."""
    with transaction.atomic():
        if not Delivery.objects.filter(pk=delivery.pk, flagged=True, cancelled_at__isnull=True).update(flagged=False):
            raise DeliveryError(_("交蛋记录 %(no)s 不在待核查状态（已核查或已更正）。") % {"no": delivery.pk},
                                code="not_held", status=409)
        delivery.flagged = False
        _credit(delivery, user=user)
        log_action(delivery, "delivery.confirmed", user=user, reason=(reason or "").strip() or delivery.flag_reason,
                   data={"amount": str(delivery.amount_due)})
    return delivery


def correct_delivery(delivery, *, accepted, rejected=None, reason, user=None):
    """Correct a delivery's egg counts by cancel-and-amend and return the new delivery.

    The old row is cancelled (kept, out of stock), its ledger credit reversed by a new entry, and a
    new row with the corrected counts — at the old row's frozen prices — is recorded and credited.
    Refused when eggs of the delivery are already packed: the batch must be corrected first.
    The household gets a corrected receipt. A correction by a manager is the review, so the new row
    is not held even if it is still above what the hens can lay.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DeliveryError(_("请写明更正原因。"), "reason")
    acc, rej = _counts(accepted, rejected)
    brought = sum(acc.values()) + sum(rej.values())
    if brought == 0:
        raise DeliveryError(_("交来枚数不能为 0。"), "eggs_brought")
    try:
        with transaction.atomic():
            # The stock locks packing takes, before the "already packed?" check: a batch packed
            # while we correct would otherwise take eggs we are about to cancel.
            lock_keys(*[stock_lock_key(delivery.cooperative_id, wc) for wc in WEIGHT_CLASS_CODES])
            old = Delivery.objects.select_for_update(of=("self",)).select_related("farmer").get(pk=delivery.pk)
            if old.cancelled_at is not None:
                newer = Delivery.objects.filter(amended_from=old).values_list("pk", flat=True).first()
                raise DeliveryError(_("交蛋记录 %(no)s 已更正过（新回执号 %(new)s），请更正新记录。")
                                    % {"no": old.pk, "new": newer}, code="already_corrected", status=409)
            if (all(old.accepted_of(wc) == acc[wc] for wc in WEIGHT_CLASS_CODES)
                    and all(getattr(old, f"rejected_{c}") == rej[c] for c in REJECT_CODES)):
                raise DeliveryError(_("更正后的枚数与原记录相同，没有可更正的。"), "eggs_brought")
            batches = sorted(set(BatchContribution.objects.filter(delivery=old)
                                 .values_list("batch__code", flat=True)))
            if batches:
                raise DeliveryError(
                    _("交蛋记录 %(no)s 的鸡蛋已包装进批次 %(codes)s，请先更正批次，再更正交蛋枚数。")
                    % {"no": old.pk, "codes": "、".join(batches)}, code="packed", status=409)
            amount = ledger.to_money(sum(Decimal(acc[wc]) * old.price_of(wc) for wc in WEIGHT_CLASS_CODES))
            now = timezone.now()
            Delivery.objects.filter(pk=old.pk).update(cancelled_at=now)
            new = Delivery.objects.create(
                cooperative_id=old.cooperative_id, farmer=old.farmer, received_at=old.received_at,
                laid_from=old.laid_from, laid_to=old.laid_to, eggs_brought=brought, amount_due=amount,
                note=old.note, inspector=old.inspector, amended_from=old, created_at=now,
                **{f"accepted_{wc.lower()}": acc[wc] for wc in WEIGHT_CLASS_CODES},
                **{f"rejected_{code}": rej[code] for code in REJECT_CODES},
                **{f"price_{wc.lower()}": old.price_of(wc) for wc in WEIGHT_CLASS_CODES})
            old_credit = LedgerEntry.objects.filter(dedupe_key=f"delivery:{old.pk}").first()
            if old_credit is not None:  # a held delivery was never credited: nothing to reverse
                with in_site_language():
                    ledger.post_entry(
                        farmer=old.farmer, kind=LedgerEntry.ADJUSTMENT, amount=-old_credit.amount,
                        reason=_("交蛋记录 %(no)s 更正为 %(new)s，冲销原收入：%(reason)s")
                        % {"no": old.pk, "new": new.pk, "reason": reason},
                        source=old, dedupe_key=f"delivery:{old.pk}:cancel", user=user)
            _credit(new, user=user)
            change = {"old": {"accepted": {wc: old.accepted_of(wc) for wc in WEIGHT_CLASS_CODES},
                              "rejected": old.rejects_by_defect(), "amount": str(old.amount_due)},
                      "new": {"accepted": acc, "rejected": rej, "amount": str(amount)}}
            log_action(old, "delivery.cancelled", user=user, reason=reason, data={"amended_by": new.pk, **change})
            log_action(new, "delivery.amended", user=user, reason=reason, data={"amended_from": old.pk, **change})
            with in_site_language():
                notify(event="delivery.receipt", key=f"delivery:{new.pk}:receipt", farmer=old.farmer,
                       body=_("【更正】回执号 %(old)s 作废（%(reason)s）。") % {"old": old.pk, "reason": reason}
                       + _receipt_text(new), sms_params=_receipt_params(new))
    except LockTimeout:
        raise DeliveryError(_("其他人正在包装，请稍后再试。"), code="busy", status=409) from None
    new.replayed = False
    return new


def is_settled(delivery):
    return LedgerEntry.objects.filter(dedupe_key=f"delivery:{delivery.pk}", settlement__isnull=False).exists()


def adjust_delivery(delivery, *, amount, reason, user=None, key):
    """Correct what a delivery pays with a new ledger entry (the delivery itself never changes).

    ``key`` names the correction (e.g. the admin's form submission id) so a double click posts once.
    """
    if not reason:
        raise DeliveryError(_("请写明调整原因。"), "reason")
    if ledger.to_money(amount) == 0:
        raise DeliveryError(_("调整金额不能为 0。"), "amount")
    with in_site_language():
        entry, created = ledger.post_entry(
            farmer=delivery.farmer, kind=LedgerEntry.ADJUSTMENT, amount=amount,
            reason=_("交蛋记录 %(no)s 调整：%(reason)s") % {"no": delivery.pk, "reason": reason},
            source=delivery, dedupe_key=f"delivery:{delivery.pk}:adjust:{key}", user=user)
    if created:
        log_action(delivery, "delivery.adjusted", user=user, reason=reason, data={"amount": str(entry.amount)})
    return entry

