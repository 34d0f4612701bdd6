"""The village charter: bad-egg reports, clauses, penalties, appeals, notice board.

The complaint's journey (docs/DESIGN.md §4): a report is received → investigated → confirmed or
dismissed; a confirmed report is attributed to households; the charter version in force on the
report's date decides each household's sanction; the household is told and may appeal within the
window; only then does a fine reach the ledger (through ``coop.services.ledger``, exactly once).
Operations live in ``quality/services/`` — these models only hold the facts.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coop.lib.errors import DomainError
from coop.lib.media import private_storage

# Defects a customer or inspector can name. Codes match coop's REJECT_DEFECTS where they overlap.
DEFECTS = [
    ("cracked", _("裂纹")),
    ("dirty", _("泥污")),
    ("blood", _("血斑")),
    ("broken_yolk", _("散黄")),
    ("stuck_yolk", _("贴皮")),
    ("mouldy", _("霉")),
    ("rotten", _("臭/坏")),
    ("other", _("其他")),
]
DEFECT_CODES = [code for code, _label in DEFECTS]
ANY_DEFECT = "any"


def describe_sanction(*, warning=False, amount=None, fine_per_egg=Decimal("0"), fine_fixed=Decimal("0"),
                      suspension_days=0, public_notice=False):
    """The sanction in the words of the notice board, e.g. "罚款 ¥5，暂停收购 7 天" (translated now, not lazily)."""
    parts = []
    if warning:
        parts.append(gettext("警告"))
    if amount is not None:
        if amount:
            parts.append(gettext("罚款 ¥%(a)s") % {"a": amount})
    else:
        if fine_per_egg:
            parts.append(gettext("每枚坏蛋罚 ¥%(a)s") % {"a": fine_per_egg})
        if fine_fixed:
            parts.append(gettext("罚款 ¥%(a)s") % {"a": fine_fixed})
    if suspension_days:
        parts.append(gettext("暂停收购 %(d)s 天") % {"d": suspension_days})
    if public_notice:
        parts.append(gettext("张榜公示"))
    return "，".join(parts) or gettext("警告")


class CharterError(DomainError):
    """An operation the charter's rules do not allow (illegal transition, closed window, …).

    Views turn it into a clear message; the message is already translated.
    """


# The name docs/ARCHITECTURE.md and STYLE.md use for the penalty domain exception.
PenaltyError = CharterError


class Charter(models.Model):
    """One adopted version of a cooperative's charter (自治公约). Never edited once in force:
    a change is a new version with its own assembly record."""

    RULE_PROPORTIONAL = "proportional"
    RULE_MANAGER = "manager"
    ATTRIBUTION_RULES = [
        (RULE_PROPORTIONAL, _("按各户在批次中的鸡蛋枚数分摊")),
        (RULE_MANAGER, _("由管理员调查后指定农户")),
    ]
    MASK_SURNAME = "surname"
    MASK_FIRST_CHAR = "first_char"
    MASK_MEMBER_NO = "member_no"
    MASKS = [
        (MASK_SURNAME, _("保留姓氏（吉克**）")),
        (MASK_FIRST_CHAR, _("只留第一个字（吉***）")),
        (MASK_MEMBER_NO, _("只显示社员编号")),
    ]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="charters",
                                    verbose_name=_("合作社"))
    version = models.PositiveIntegerField(_("版本号"), validators=[MinValueValidator(1)])
    title = models.CharField(_("标题"), max_length=100, default="村民自治公约")
    text = models.TextField(_("公约全文"))
    adopted_on = models.DateField(_("通过日期"))
    effective_from = models.DateField(_("生效日期"))
    assembly_attendance = models.PositiveIntegerField(_("到会户数"), default=0)
    votes_for = models.PositiveIntegerField(_("赞成票"), default=0)
    votes_against = models.PositiveIntegerField(_("反对票"), default=0)
    votes_abstain = models.PositiveIntegerField(_("弃权票"), default=0)
    assembly_record = models.TextField(_("会议记录"), blank=True)
    appeal_window_days = models.PositiveIntegerField(_("申诉期（天）"), default=7, validators=[MinValueValidator(1)])
    notice_days = models.PositiveIntegerField(_("公示期（天）"), default=30, validators=[MinValueValidator(1)])
    lookback_days = models.PositiveIntegerField(
        _("累计违约统计期（天）"), default=365, validators=[MinValueValidator(1)],
        help_text=_("第几次违约按这段时间内已确认的违约次数计算。"))
    attribution_rule = models.CharField(_("无喷码时的分摊规则"), max_length=20, choices=ATTRIBUTION_RULES,
                                        default=RULE_PROPORTIONAL)
    name_mask = models.CharField(_("公示栏姓名打码方式"), max_length=12, choices=MASKS, default=MASK_SURNAME)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("自治公约")
        verbose_name_plural = _("自治公约")
        ordering = ["cooperative_id", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "version"], name="charter_unique_version"),
            models.CheckConstraint(condition=models.Q(adopted_on__lte=models.F("effective_from")),
                                   name="charter_adopted_before_effective"),
        ]

    def __str__(self):
        return f"{self.title} 第{self.version}版（{self.effective_from:%Y-%m-%d}起）"

    @property
    def passed(self):
        return self.votes_for > self.votes_against


class Clause(models.Model):
    """One rule: a defect (or any defect) at the household's Nth offence → a sanction.

    Escalation is written as several clauses for the same defect with rising ``from_offence``:
    the clause with the highest ``from_offence`` not above the household's offence number applies.
    """

    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="clauses",
                                verbose_name=_("公约版本"))
    number = models.CharField(_("条款号"), max_length=10, help_text=_("例如 第五条 或 5.2"))
    defect = models.CharField(_("适用缺陷"), max_length=12,
                              choices=[(ANY_DEFECT, _("任何缺陷"))] + DEFECTS, default=ANY_DEFECT)
    from_offence = models.PositiveIntegerField(_("自第几次违约起"), default=1, validators=[MinValueValidator(1)])
    text = models.TextField(_("条款原文"))
    warning = models.BooleanField(_("警告"), default=False)
    fine_per_egg = models.DecimalField(_("每枚坏蛋罚款（元）"), max_digits=8, decimal_places=2,
                                       default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    fine_fixed = models.DecimalField(_("固定罚款（元）"), max_digits=8, decimal_places=2, default=Decimal("0"),
                                     validators=[MinValueValidator(Decimal("0"))])
    suspension_days = models.PositiveIntegerField(_("暂停收购天数"), default=0)
    public_notice = models.BooleanField(_("张榜公示"), default=False)

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["charter_id", "defect", "from_offence"]
        constraints = [
            models.UniqueConstraint(fields=["charter", "defect", "from_offence"], name="clause_unique_step"),
        ]

    def __str__(self):
        return f"{self.number} {self.get_defect_display()} ≥{self.from_offence}"

    def fine_for(self, eggs):
        return (self.fine_fixed + self.fine_per_egg * eggs).quantize(Decimal("0.01"))

    def sanction_summary(self):
        return describe_sanction(warning=self.warning, fine_per_egg=self.fine_per_egg, fine_fixed=self.fine_fixed,
                                 suspension_days=self.suspension_days, public_notice=self.public_notice)


class BadEggReport(models.Model):
    """A complaint about bad eggs in a batch, from a customer, buyer, inspector or manager."""

    RECEIVED = "received"
    INVESTIGATING = "investigating"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    STATUSES = [
        (RECEIVED, _("已受理")),
        (INVESTIGATING, _("调查中")),
        (CONFIRMED, _("已确认")),
        (DISMISSED, _("不予认定")),
    ]
    TRANSITIONS = {
        RECEIVED: {INVESTIGATING, CONFIRMED, DISMISSED},
        INVESTIGATING: {CONFIRMED, DISMISSED},
        CONFIRMED: set(),
        DISMISSED: set(),
    }

    SOURCE_SCAN = "scan"
    SOURCE_ORDER = "order"
    SOURCE_INSPECTOR = "inspector"
    SOURCE_MANAGER = "manager"
    SOURCES = [
        (SOURCE_SCAN, _("扫码页（顾客）")),
        (SOURCE_ORDER, _("订单页（买家）")),
        (SOURCE_INSPECTOR, _("验收员（包装时发现）")),
        (SOURCE_MANAGER, _("管理员")),
    ]

    MAX_PHOTOS = 3

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="bad_egg_reports",
                                    verbose_name=_("合作社"))
    reference = models.CharField(_("受理编号"), max_length=16, unique=True)
    batch = models.ForeignKey("coop.Batch", on_delete=models.PROTECT, related_name="bad_egg_reports",
                              verbose_name=_("批次"))
    source = models.CharField(_("来源"), max_length=10, choices=SOURCES, default=SOURCE_SCAN)
    trace_code = models.CharField(_("溯源码"), max_length=40, blank=True)
    # The shop's order (orders.Order) when the report came from a buyer's order page. Kept as a
    # plain reference so that quality works before and without the shop; see services/remedy.py.
    order_ref = models.CharField(_("订单号"), max_length=40, blank=True, db_index=True)
    eggs = models.PositiveIntegerField(_("坏蛋枚数"), validators=[MinValueValidator(1)])
    defect = models.CharField(_("问题"), max_length=12, choices=DEFECTS)
    stamp_code = models.CharField(_("蛋上喷码"), max_length=10, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("报告人账号"))
    # A salted hash of the client (IP + user agent), never the raw address: used for duplicates only.
    client_fingerprint = models.CharField(_("客户端指纹"), max_length=64, blank=True, db_index=True)
    duplicates_merged = models.PositiveIntegerField(_("合并的重复报告"), default=0)
    status = models.CharField(_("状态"), max_length=14, choices=STATUSES, default=RECEIVED, db_index=True)
    status_reason = models.CharField(_("处理说明"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("处理人"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    remedy = models.CharField(_("买家补偿"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("坏蛋报告")
        verbose_name_plural = _("坏蛋报告")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "status", "created_at"])]

    def __str__(self):
        return f"{self.reference} · {self.batch} · {self.eggs}"

    @property
    def reported_on(self):
        return timezone.localdate(self.created_at)


def _photo_path(instance, filename):
    return f"reports/{timezone.now():%Y/%m}/{instance.report.reference}-{filename}"


class ReportPhoto(models.Model):
    """A photo attached to a report, already re-encoded by the service (no EXIF, no GPS)."""

    report = models.ForeignKey(BadEggReport, on_delete=models.CASCADE, related_name="photos",
                               verbose_name=_("坏蛋报告"))
    # Private: a photo of a household's eggs, shown to the cooperative and the household fined for it.
    image = models.ImageField(_("照片"), upload_to=_photo_path, width_field="width", height_field="height",
                              storage=private_storage)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["id"]

    def __str__(self):
        return self.image.name

    @property
    def private_url(self):
        """Where pages link to it: the view that checks who asks (quality.views.reports.report_photo)."""
        return reverse("report-photo", args=[self.pk])


class Penalty(models.Model):
    """A household's sanction for a confirmed report, under one clause of one charter version."""

    PROPOSED = "proposed"
    NOTIFIED = "notified"
    APPEALED = "appealed"
    APPLIED = "applied"
    WAIVED = "waived"
    REVERSED = "reversed"
    STATUSES = [
        (PROPOSED, _("拟处罚")),
        (NOTIFIED, _("已告知（申诉期内）")),
        (APPEALED, _("申诉中")),
        (APPLIED, _("已执行")),
        (WAIVED, _("已免除")),
        (REVERSED, _("执行后撤销")),
    ]
    TRANSITIONS = {
        PROPOSED: {NOTIFIED, WAIVED},
        NOTIFIED: {APPEALED, APPLIED},
        APPEALED: {APPLIED, WAIVED},
        APPLIED: {REVERSED},
        WAIVED: set(),
        REVERSED: set(),
    }
    # Offences that count for escalation: everything but what was taken back.
    COUNTING = (PROPOSED, NOTIFIED, APPEALED, APPLIED)

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="penalties",
                                    verbose_name=_("合作社"))
    farmer = models.ForeignKey("coop.Farmer", on_delete=models.PROTECT, related_name="penalties",
                               verbose_name=_("农户"))
    report = models.ForeignKey(BadEggReport, on_delete=models.PROTECT, related_name="penalties",
                               verbose_name=_("坏蛋报告"))
    charter = models.ForeignKey(Charter, on_delete=models.PROTECT, related_name="penalties",
                                verbose_name=_("公约版本"))
    clause = models.ForeignKey(Clause, on_delete=models.PROTECT, related_name="penalties", verbose_name=_("条款"))
    clause_text = models.TextField(_("条款原文（引用）"))
    offence_number = models.PositiveIntegerField(_("第几次违约"))
    eggs = models.PositiveIntegerField(_("分摊坏蛋枚数"))
    warning = models.BooleanField(_("警告"), default=False)
    proposed_amount = models.DecimalField(_("按条款计算的罚款（元）"), max_digits=10, decimal_places=2,
                                          default=Decimal("0"))
    # What will be (or was) posted: the proposed amount, or the committee's reduced amount.
    amount = models.DecimalField(_("罚款金额（元）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    suspension_days = models.PositiveIntegerField(_("暂停收购天数"), default=0)
    public_notice = models.BooleanField(_("张榜公示"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=PROPOSED, db_index=True)
    status_reason = models.CharField(_("状态说明"), max_length=500, blank=True)
    notified_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    appeal_deadline = models.DateTimeField(_("申诉截止"), null=True, blank=True)
    applied_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    suspended_until = models.DateField(_("暂停收购至"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("确认人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("处罚")
        verbose_name_plural = _("处罚")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "farmer"], name="penalty_one_per_household_report"),
        ]
        indexes = [
            # The periodic task's query: notified penalties whose window has closed.
            models.Index(fields=["appeal_deadline"], condition=models.Q(status="notified"),
                         name="penalty_due_idx"),
            models.Index(fields=["farmer", "status"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.farmer} · {self.get_status_display()}"

    @property
    def dated_on(self):
        """The one date of a penalty wherever it is shown: the day of its report, which also decides
        the charter version and the offence count (the day it was confirmed is in the audit trail)."""
        return self.report.reported_on

    def sanction_summary(self):
        return describe_sanction(warning=self.warning, amount=self.amount, suspension_days=self.suspension_days,
                                 public_notice=self.public_notice)

    @property
    def appeal_open(self):
        deadline = self.appeal_deadline
        return self.status == self.NOTIFIED and deadline is not None and timezone.now() <= deadline


def _voice_path(instance, filename):
    return f"appeals/{timezone.now():%Y/%m}/{instance.penalty.report.reference}-{filename}"


class Appeal(models.Model):
    """A household's challenge to a penalty (申诉), heard by the charter committee."""

    PENDING = "pending"
    DECIDED = "decided"
    STATUSES = [(PENDING, _("待议事会审理")), (DECIDED, _("已裁决"))]
    UPHELD = "upheld"
    REDUCED = "reduced"
    WAIVED = "waived"
    DECISIONS = [(UPHELD, _("维持原处罚")), (REDUCED, _("减轻处罚")), (WAIVED, _("免除处罚"))]

    penalty = models.OneToOneField(Penalty, on_delete=models.PROTECT, related_name="appeal",
                                   verbose_name=_("处罚"))
    grounds = models.TextField(_("申诉理由"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("提交人"))
    on_behalf = models.BooleanField(_("管理员代为提交"), default=False)
    # A household that cannot write asks to be called instead; the committee sees it on the hearing list.
    wants_call = models.BooleanField(_("请议事会打电话"), default=False)
    # Or records what it has to say (coop.lib.audio checked it). Private: the household's own voice, played
    # to the cooperative's committee and managers and to the household only (quality.views.appeals.voice_note).
    voice_note = models.FileField(_("录音"), upload_to=_voice_path, blank=True, storage=private_storage)
    # As the phone counted it while recording (the server does not decode the sound): shown beside the
    # player, at most coop.lib.audio.MAX_VOICE_SECONDS.
    voice_seconds = models.PositiveSmallIntegerField(_("录音长度（秒）"), null=True, blank=True)
    filed_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    decision = models.CharField(_("裁决"), max_length=10, choices=DECISIONS, blank=True)
    decided_amount = models.DecimalField(_("裁决后罚款（元）"), max_digits=10, decimal_places=2, null=True,
                                         blank=True)
    decided_suspension_days = models.PositiveIntegerField(_("裁决后暂停天数"), null=True, blank=True)
    members_present = models.CharField(_("到会议事会成员"), max_length=300, blank=True)
    decision_reason = models.TextField(_("裁决理由"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("记录人"))
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["status", "-filed_at"]

    def __str__(self):
        return f"{_('申诉')} #{self.pk} · {self.penalty.farmer}"

    @property
    def cooperative(self):
        return self.penalty.cooperative

    @property
    def voice_url(self):
        """Where pages play the voice note: the view that checks who asks (quality.views.appeals.voice_note)."""
        return reverse("appeal-voice", args=[self.pk]) if self.voice_note else ""


__all__ = [
    "ANY_DEFECT", "Appeal", "BadEggReport", "Charter", "CharterError", "Clause", "DEFECTS", "DEFECT_CODES",
    "Penalty", "PenaltyError", "ReportPhoto",
]
