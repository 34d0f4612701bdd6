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
from coop.lib.audio import MAX_VOICE_SECONDS, VoiceError, clean_voice_note
from coop.lib.validators import InvalidNumber, parse_int
from coop.lib.words import in_site_language
from coop.models import Staff
from coop.services.audit import log_action
from coop.services.farmers import household_of
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


def appeal_grounds(*, reason="", text="", wants_call=False, voice_note=False):
    """The appeal's grounds from what the household tapped and (maybe) wrote or recorded. Raises CharterError
    when it gave nothing to go on: no reason, no words, no voice note and no request to be called."""
    labels = dict(APPEAL_REASONS)
    if reason and reason not in labels:
        raise CharterError(_("请从列表里选一个理由。"))
    parts = [str(labels[reason])] if reason else []
    if (text or "").strip():
        parts.append(text.strip())
    if voice_note:
        parts.append(str(_("我录了一段话，请听录音。")))
    if wants_call:
        parts.append(str(_("请议事会打电话给我，我当面说。")))
    if not parts:
        raise CharterError(_("请选一个理由、录一段话，或者请议事会打电话给您。"))
    return "；".join(parts)


# Appeals the committee has still to hear (field lookups, shared by the dashboard, the workbench and their links).
TO_HEAR = {"status": Appeal.PENDING}


def _is_household(user, penalty):
    farmer = getattr(user, "farmer", None) if getattr(user, "is_authenticated", False) else None
    return farmer is not None and farmer.pk == penalty.farmer_id


def _has_role(user, cooperative_id, roles):
    return getattr(user, "is_superuser", False) or cooperative_id in tenancy.cooperative_ids(user, roles)


def _voice_seconds(value):
    """The length the phone reported, within 1…MAX_VOICE_SECONDS; None when it sent nothing usable (the
    length is only shown beside the player: a missing one never refuses the appeal)."""
    try:
        seconds = parse_int(value, label=_("录音长度"))
    except InvalidNumber:
        return None
    return None if seconds is None else min(max(seconds, 1), MAX_VOICE_SECONDS)


def voice_notes_visible_to(user):
    """The appeals whose voice note ``user`` may play: the managers and committee members of the penalty's
    cooperative (a superuser too), and the household that recorded it. Nobody else — not the inspector
    who reported the eggs, not another household: the view answers them 404, as for a missing note."""
    rule = Q(penalty__cooperative_id__in=tenancy.cooperative_ids(user, (Staff.MANAGER, Staff.COMMITTEE)))
    farmer = household_of(user)
    if farmer is not None:
        rule |= Q(penalty__farmer=farmer)
    return Appeal.objects.filter(rule).exclude(voice_note="")


def file_appeal(penalty, *, user, grounds, on_behalf=None, wants_call=False, voice_note=None, voice_seconds=None):
    """File the household's appeal. ``user`` is the household itself or a manager acting for it.

    ``voice_note`` (an uploaded file, optional) is what the household recorded instead of writing: checked
    before anything is written (a bad one refuses the whole appeal, so the household records again)."""
    grounds = (grounds or "").strip()
    if not grounds:
        raise CharterError(_("请写下申诉理由。"))
    voice = None
    if voice_note is not None:
        try:
            voice, _ending = clean_voice_note(voice_note)
        except VoiceError as exc:
            raise CharterError(exc.message) from None
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
        # The voice note's file is written with the row (FileField saves it in the INSERT's pre_save); should
        # the transaction then fail, the file stays behind unreferenced, never a row without its file.
        appeal = Appeal.objects.create(penalty=penalty, grounds=grounds, filed_by=user, on_behalf=on_behalf,
                                       wants_call=bool(wants_call), voice_note=voice,
                                       voice_seconds=_voice_seconds(voice_seconds) if voice else None)
        log_action(appeal, "appeal.filed", user=user, cooperative=penalty.cooperative,
                   data={"penalty": penalty.pk, "on_behalf": on_behalf, "wants_call": bool(wants_call),
                         "voice_note": appeal.voice_note.name if voice else "",
                         "voice_bytes": voice.size if voice else 0, "voice_seconds": appeal.voice_seconds})
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
