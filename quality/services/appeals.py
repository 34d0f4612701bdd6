"""Appeals (申诉): the household's right of remedy, heard by the charter committee.

The household files from its phone (farmer pages) or a manager files on its behalf; either way
only within the appeal window, and only one appeal per penalty. The committee's decision —
upheld, reduced or waived — names the members present and the reason, and then the penalty is
applied (as decided) or closed.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coop.lib import tenancy
from coop.lib.validators import InvalidNumber, parse_int
from coop.lib.words import in_site_language
from coop.models import Staff
from coop.services.audit import log_action
from coop.services.notifications import notify
from quality.models import Appeal, CharterError, Penalty
from quality.services import penalties as penalty_service

# Reasons a household can tap instead of writing (many farmers write little or no Chinese).
APPEAL_REASONS = [
    ("fresh", gettext_lazy("我家的蛋是新鲜的，坏蛋不是我家的")),
    ("not_delivered", gettext_lazy("那几天我家没有交蛋")),
    ("count", gettext_lazy("算我家的坏蛋枚数不对")),
    ("transport", gettext_lazy("蛋是运输路上坏的")),
]


def appeal_grounds(*, reason="", text="", wants_call=False):
    """The appeal's grounds from what the household tapped and (maybe) wrote. Raises CharterError when
    it gave nothing to go on: no reason, no words and no request to be called."""
    labels = dict(APPEAL_REASONS)
    if reason and reason not in labels:
        raise CharterError(_("请从列表里选一个理由。"))
    parts = [str(labels[reason])] if reason else []
    if (text or "").strip():
        parts.append(text.strip())
    if wants_call:
        parts.append(str(_("请议事会打电话给我，我当面说。")))
    if not parts:
        raise CharterError(_("请选一个理由，或者请议事会打电话给您。"))
    return "；".join(parts)


# Appeals the committee has still to hear (field lookups, shared by the dashboard, the workbench and their links).
TO_HEAR = {"status": Appeal.PENDING}


def _is_household(user, penalty):
    farmer = getattr(user, "farmer", None) if getattr(user, "is_authenticated", False) else None
    return farmer is not None and farmer.pk == penalty.farmer_id


def _has_role(user, cooperative_id, roles):
    return getattr(user, "is_superuser", False) or cooperative_id in tenancy.cooperative_ids(user, roles)


def file_appeal(penalty, *, user, grounds, on_behalf=None, wants_call=False):
    """File the household's appeal. ``user`` is the household itself or a manager acting for it."""
    grounds = (grounds or "").strip()
    if not grounds:
        raise CharterError(_("请写下申诉理由。"))
    if _is_household(user, penalty):
        on_behalf = False
    elif _has_role(user, penalty.cooperative_id, (Staff.MANAGER,)):
        on_behalf = True
    else:
        raise CharterError(_("只有本户或合作社管理员（代为提交）可以申诉。"))
    with transaction.atomic():
        penalty.refresh_from_db()
        if Appeal.objects.filter(penalty=penalty).exists():
            raise CharterError(_("这项处罚已经申诉过了。"))
        if penalty.status != Penalty.NOTIFIED:
            raise CharterError(_("处罚当前状态为“%(s)s”，不能申诉。") % {"s": penalty.get_status_display()})
        now = timezone.now()
        if penalty.appeal_deadline is None or now > penalty.appeal_deadline:
            raise CharterError(_("申诉期已过，不能再申诉。"))

        if not penalty_service.transition(penalty, Penalty.APPEALED, user=user, reason=grounds[:500],
                                          guard=Q(appeal_deadline__gte=now)):
            raise CharterError(_("处罚刚被其他人处理过，请刷新后再看。"))
        appeal = Appeal.objects.create(penalty=penalty, grounds=grounds, filed_by=user, on_behalf=on_behalf,
                                       wants_call=bool(wants_call))
        log_action(appeal, "appeal.filed", user=user, cooperative=penalty.cooperative,
                   data={"penalty": penalty.pk, "on_behalf": on_behalf, "wants_call": bool(wants_call)})
        with in_site_language():
            notify(event="appeal.filed", key=f"appeal:{appeal.pk}:filed", farmer=penalty.farmer, body=_(
                "%(name)s：您对坏蛋报告 %(ref)s 处罚的申诉已收到，村民议事会审理前处罚暂不执行。") % {
                    "name": penalty.farmer.head_name, "ref": penalty.report.reference},
                sms_params={"name": penalty.farmer.head_name, "ref": penalty.report.reference,
                            "result": _("已收到，审理前处罚暂不执行")})
    return appeal


def decide_appeal(appeal, *, user, decision, reason, members_present, amount=None, suspension_days=None):
    """Record the committee's decision and carry it out."""
    penalty = appeal.penalty
    if not _has_role(user, penalty.cooperative_id, (Staff.COMMITTEE,)):
        raise CharterError(_("只有村民议事会成员可以裁决申诉。"))
    reason, members_present = (reason or "").strip(), (members_present or "").strip()
    if not reason:
        raise CharterError(_("请写明裁决理由。"))
    if not members_present:
        raise CharterError(_("请写明到会的议事会成员。"))
    if decision not in dict(Appeal.DECISIONS):
        raise CharterError(_("请选择裁决：维持、减轻或免除。"))
    days = None
    if decision == Appeal.REDUCED:
        try:
            amount = Decimal(str(amount if amount not in (None, "") else penalty.amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise CharterError(_("减轻后的罚款金额无效。")) from None
        if not amount.is_finite():  # "NaN" survives quantize and then fails every comparison
            raise CharterError(_("减轻后的罚款金额无效。"))
        try:
            days = parse_int(suspension_days, label=_("暂停天数"))
        except InvalidNumber as exc:
            raise CharterError(str(exc)) from None
        days = penalty.suspension_days if days is None else days
        if amount < 0 or days < 0:
            raise CharterError(_("减轻后的罚款和暂停天数不能为负数。"))
        if amount > penalty.amount or days > penalty.suspension_days or (
                amount == penalty.amount and days == penalty.suspension_days):
            raise CharterError(_("减轻处罚时，罚款或暂停天数必须比原处罚少。"))
    with transaction.atomic():
        now = timezone.now()
        claimed = Appeal.objects.filter(pk=appeal.pk, status=Appeal.PENDING).update(
            status=Appeal.DECIDED, decision=decision, decision_reason=reason, members_present=members_present[:300],
            decided_by=user, decided_at=now,
            decided_amount=amount if decision == Appeal.REDUCED else None,
            decided_suspension_days=days if decision == Appeal.REDUCED else None)
        if not claimed:
            raise CharterError(_("这项申诉已经裁决过了。"))
        appeal.refresh_from_db()
        log_action(appeal, f"appeal.{decision}", user=user, reason=reason, cooperative=penalty.cooperative,
                   data={"members_present": members_present, "amount": str(amount) if amount is not None else None})
        with in_site_language():
            summary = _("%(name)s：村民议事会对您的申诉（坏蛋报告 %(ref)s）作出裁决：%(d)s。理由：%(reason)s") % {
                "name": penalty.farmer.head_name, "ref": penalty.report.reference,
                "d": appeal.get_decision_display(), "reason": reason}
            notify(event="appeal.decided", key=f"appeal:{appeal.pk}:decided", farmer=penalty.farmer, body=summary,
                   sms_params={"name": penalty.farmer.head_name, "ref": penalty.report.reference,
                               "result": _("已裁决：%(d)s") % {"d": appeal.get_decision_display()}})
        if decision == Appeal.WAIVED:
            penalty_service.waive_penalty(penalty, user=user, reason=reason)
            return appeal
        if decision == Appeal.REDUCED:
            Penalty.objects.filter(pk=penalty.pk, status=Penalty.APPEALED).update(
                amount=amount, suspension_days=days, warning=penalty.warning or not (amount or days))
        penalty.refresh_from_db()
        penalty_service.apply_penalty(penalty, user=user, reason=reason, after_decision=True)
    return appeal
