"""Group buys (接龙): a leader's chain with a stock cap, a per-person limit, a deadline and a pickup point."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models.orders import OrderLine


class GroupBuy(models.Model):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    STATUSES = [(OPEN, _("进行中")), (CLOSED, _("已截止")), (CANCELLED, _("已取消"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="group_buys",
                                    verbose_name=_("合作社"))
    code = models.CharField(_("接龙码"), max_length=12, unique=True)
    title = models.CharField(_("标题"), max_length=80)
    product = models.ForeignKey("orders.Product", on_delete=models.PROTECT, related_name="group_buys",
                                verbose_name=_("商品"))
    price = models.DecimalField(_("团购价（元/盒）"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])
    stock_cap = models.PositiveIntegerField(_("总量上限（盒）"), validators=[MinValueValidator(1)])
    # The number the progress bar runs to ("已接 37 / 50 盒"), as 快团团 shows it. Empty means the cap:
    # most leaders post one number, and a chain is "已满" only at the cap, whatever the target.
    target_boxes = models.PositiveIntegerField(_("目标（盒）"), null=True, blank=True,
                                               validators=[MinValueValidator(1)])
    per_person_limit = models.PositiveIntegerField(_("每人限购（盒）"), default=5, validators=[MinValueValidator(1)])
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    deadline = models.DateTimeField(_("截止时间"))
    pickup_point = models.ForeignKey("orders.PickupPoint", on_delete=models.PROTECT, related_name="group_buys",
                                     verbose_name=_("自提点"))
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_group_buys",
                               verbose_name=_("团长"))
    leader_name = models.CharField(_("团长称呼"), max_length=30)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=OPEN)
    closed_at = models.DateTimeField(_("截止处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接龙团购")
        verbose_name_plural = _("接龙团购")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["status", "deadline"], name="groupbuy_open_deadline_idx",
                                condition=models.Q(status="open"))]

    def __str__(self):
        return f"{self.title} ({self.code})"

    # The orders that are entries of the chain (and hold its boxes): every one not cancelled or refunded.
    # One definition for the page's chain and progress, the join check under the lock and the waitlist.
    LIVE = ("pending_payment", "paid", "packed", "ready_for_pickup", "completed", "shipped")

    def boxes_taken(self):
        """Boxes of the chain's live entries: "已接 N 盒", and what the cap is checked against."""
        return OrderLine.objects.filter(order__group_buy=self, order__status__in=self.LIVE).aggregate(
            n=models.Sum("boxes"))["n"] or 0

    @property
    def target(self):
        return min(self.target_boxes or self.stock_cap, self.stock_cap)

    def is_joinable(self, now=None):
        now = now or timezone.now()
        return self.status == self.OPEN and self.starts_at <= now < self.deadline

    @property
    def lock_key(self):
        return f"groupbuy:{self.pk}"


class WaitlistEntry(models.Model):
    """A buyer waiting (候补) for a place in a full chain. When boxes free up the first one in line is
    offered them for ``OFFER_FOR``: while the offer stands those boxes are kept for them (nobody else's
    join may take them); after it they go to the next one in line."""

    WAITING = "waiting"
    OFFERED = "offered"
    JOINED = "joined"
    LAPSED = "lapsed"
    LEFT = "left"
    STATUSES = [(WAITING, _("候补中")), (OFFERED, _("已有空位，等你接龙")), (JOINED, _("已接龙")),
                (LAPSED, _("空位已过期")), (LEFT, _("已退出候补"))]
    # Still in line: one row per buyer and chain among these (the unique constraint below).
    ACTIVE = (WAITING, OFFERED)

    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="waitlist",
                                  verbose_name=_("接龙团购"))
    buyer = models.ForeignKey("orders.Buyer", on_delete=models.PROTECT, related_name="waitlist_entries",
                              verbose_name=_("买家"))
    boxes = models.PositiveIntegerField(_("盒数"), validators=[MinValueValidator(1)])
    note = models.CharField(_("备注"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=WAITING)
    created_at = models.DateTimeField(_("候补时间"), default=timezone.now)
    offered_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    offer_until = models.DateTimeField(_("保留到"), null=True, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("订单"))

    class Meta:
        verbose_name = _("接龙候补")
        verbose_name_plural = _("接龙候补")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group_buy", "buyer"], name="waitlist_one_active_per_buyer",
                                               condition=models.Q(status__in=("waiting", "offered")))]

    def __str__(self):
        return f"{self.group_buy.code} · {self.buyer_id} · {self.get_status_display()}"

    def offer_stands(self, now=None):
        now = now or timezone.now()
        return self.status == self.OFFERED and self.offer_until is not None and self.offer_until > now
