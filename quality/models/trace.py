"""Traceability: trace codes, box codes, scans, compliance certificates, label sheets.

A batch's recall is the batch's own status (``Batch.RECALLED`` with ``status_reason`` and
``status_changed_at``), changed only through ``coop.services.batches.set_batch_status``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.media import private_storage

# Upper-case letters and digits a person can read back from a small label: no 0/O, 1/I/L.
TRACE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# 31^10 ≈ 8.2·10^14 codes (49 bits): guessing one of a few thousand live codes takes ~10^11 tries,
# while the URL stays short enough for a version-3 QR code (29×29 modules) on a 70×37 mm label.
TRACE_CODE_LENGTH = 10

__all__ = ["TRACE_ALPHABET", "TRACE_CODE_LENGTH", "BoxCode", "ComplianceCertificate", "LabelSheet", "Scan",
           "TraceCode"]


class TraceCode(models.Model):
    """The code in a batch's QR label: ``SITE_URL/t/<code>``. One per batch, never reused."""

    batch = models.OneToOneField("coop.Batch", on_delete=models.PROTECT, related_name="trace",
                                 verbose_name=_("批次"))
    code = models.CharField(_("溯源码"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("溯源码")
        verbose_name_plural = _("溯源码")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.code


class BoxCode(models.Model):
    """A serialised code for one box of a batch: a cloned label shows up as one serial scanned
    from many networks. The code is random (not the serial) so genuine serials cannot be guessed."""

    trace = models.ForeignKey(TraceCode, on_delete=models.CASCADE, related_name="boxes", verbose_name=_("溯源码"))
    serial = models.PositiveIntegerField(_("盒号"))
    code = models.CharField(_("盒码"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("盒码")
        verbose_name_plural = _("盒码")
        ordering = ["trace_id", "serial"]
        constraints = [models.UniqueConstraint(fields=["trace", "serial"], name="boxcode_unique_serial")]

    def __str__(self):
        # As the label prints it (quality.services.labels.box_caption): "第 12 盒 · K7M…", never "K7M… #12".
        return _("第 %(n)s 盒 · %(code)s") % {"n": self.serial, "code": self.code}


class Scan(models.Model):
    """One served scan page. Written in bulk from the scan buffer (see quality/services/scans.py).

    No address is kept: ``network_hash`` is a keyed hash of the client's network (/24 for IPv4,
    /48 for IPv6) — enough to tell "many networks" from "one kitchen", not to find anyone.
    """

    SHORT = "short"
    DIGITAL_LINK = "dl"
    VIA = [(SHORT, _("短链接")), (DIGITAL_LINK, _("GS1 数字链接"))]

    # Made when the page is served; the flush inserts with ignore_conflicts on it, so a flush that
    # is retried after a crash never counts a scan twice.
    uid = models.CharField(_("扫码编号"), max_length=32, unique=True)
    trace = models.ForeignKey(TraceCode, on_delete=models.CASCADE, related_name="scans", verbose_name=_("溯源码"))
    box = models.ForeignKey(BoxCode, on_delete=models.CASCADE, null=True, blank=True, related_name="scans",
                            verbose_name=_("盒码"))
    scanned_at = models.DateTimeField(_("扫码时间"))
    network_hash = models.CharField(_("网络指纹"), max_length=16, blank=True)
    browser = models.CharField(_("浏览器"), max_length=20, blank=True)
    language = models.CharField(_("语言"), max_length=16, blank=True)
    via = models.CharField(_("链接形式"), max_length=5, choices=VIA, default=SHORT)
    past_best_before = models.BooleanField(_("过期后扫码"), default=False)

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        ordering = ["-scanned_at", "-id"]
        indexes = [
            models.Index(fields=["trace", "scanned_at"]),
            models.Index(fields=["box", "network_hash"], condition=models.Q(box__isnull=False),
                         name="scan_box_network_idx"),
        ]

    def __str__(self):
        return f"{self.trace_id} {self.scanned_at:%Y-%m-%d %H:%M}"


class ComplianceCertificate(models.Model):
    """承诺达标合格证: issued once per batch; the producer's details are copied at issue so a later
    change of phone or name never alters a certificate already printed."""

    QUALITY_CONTROL = "quality_control"
    SELF_TEST = "self_test"
    LAB_TEST = "lab_test"
    SELF_PROMISE = "self_promise"
    # The four grounds of the national form (承诺依据), in its order and its words.
    BASES = [
        (LAB_TEST, _("委托检测")),
        (SELF_TEST, _("自我检测")),
        (QUALITY_CONTROL, _("内部质量控制")),
        (SELF_PROMISE, _("自我承诺")),
    ]

    batch = models.OneToOneField("coop.Batch", on_delete=models.PROTECT, related_name="certificate",
                                 verbose_name=_("批次"))
    number = models.CharField(_("合格证编号"), max_length=40, unique=True)
    product_name = models.CharField(_("产品名称"), max_length=50)
    quantity = models.CharField(_("数量（重量）"), max_length=60)
    producer_name = models.CharField(_("生产者名称"), max_length=100)
    origin = models.CharField(_("产地"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=20)
    basis = models.CharField(_("承诺依据"), max_length=20, choices=BASES, default=QUALITY_CONTROL)
    issued_on = models.DateField(_("开具日期"), default=timezone.localdate)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("开具人"))

    class Meta:
        verbose_name = _("承诺达标合格证")
        verbose_name_plural = _("承诺达标合格证")
        ordering = ["-issued_on", "-id"]

    def __str__(self):
        return self.number


class LabelSheet(models.Model):
    """A label PDF made in the background (thousands of box codes), kept once made."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [(QUEUED, _("排队中")), (RUNNING, _("生成中")), (DONE, _("已完成")), (FAILED, _("失败"))]
    # What people call each sheet format (its millimetres are in quality.services.labels.FORMATS).
    FORMAT_NAMES = {"a4-3x8": _("3×8 不干胶"), "a4-2x5": _("2×5 不干胶"), "thermal-60x40": _("60×40 热敏")}

    batch = models.ForeignKey("coop.Batch", on_delete=models.CASCADE, related_name="label_sheets",
                              verbose_name=_("批次"))
    sheet_format = models.CharField(_("标签规格"), max_length=20)
    serialised = models.BooleanField(_("每盒一码"), default=False)
    copies = models.PositiveIntegerField(_("张数"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=QUEUED)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    # Private: staff print it (quality.views.labels.label_sheet_file checks the cooperative); its name is guessable.
    file = models.FileField(_("文件"), upload_to="labels/", blank=True, storage=private_storage)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("标签文件")
        verbose_name_plural = _("标签文件")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return _("批次 %(code)s · %(format)s · %(n)s 张") % {
            "code": self.batch.code, "format": self.FORMAT_NAMES.get(self.sheet_format, self.sheet_format),
            "n": self.copies}

    @property
    def percent(self):
        return int(100 * self.done / self.copies) if self.copies else 100
