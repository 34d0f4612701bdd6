"""Orders: lines, their allocation to batches when packed, and a status history.

An order's status only changes through ``orders.services.status.set_status`` which checks
``Order.TRANSITIONS``; every change leaves an ``OrderStatusChange`` row and an audit event.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coop.lib.errors import DomainError
from orders.models.buyers import chain_label


class OrderError(DomainError):
    """A refused order operation. The message is shown to the person (Chinese, translatable).

    ``OrderError(message, code="rejected")``; running out of stock (``sold_out``, ``insufficient``)
    answers 409 in the API, every other refusal 400."""

    CONFLICT_CODES = ("sold_out", "insufficient", "full")

    def __init__(self, message, code="rejected", **kwargs):
        kwargs.setdefault("status", 409 if code in self.CONFLICT_CODES else 400)
        super().__init__(message, code, **kwargs)


class Order(models.Model):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    STATUSES = [
        (PENDING_PAYMENT, _("待付款")),
        (PAID, _("已付款")),
        (PACKED, _("已打包")),
        (SHIPPED, _("已发货")),
        (READY_FOR_PICKUP, _("待自提")),
        (COMPLETED, _("已完成")),
        (CANCELLED, _("已取消")),
        (REFUND_PENDING, _("退款中")),
        (REFUNDED, _("已退款")),
    ]
    # The one table of allowed moves. Anything else raises OrderError.
    TRANSITIONS = {
        PENDING_PAYMENT: {PAID, CANCELLED},
        PAID: {PACKED, REFUND_PENDING},
        PACKED: {SHIPPED, READY_FOR_PICKUP, REFUND_PENDING},
        SHIPPED: {COMPLETED, REFUND_PENDING},
        READY_FOR_PICKUP: {COMPLETED, REFUND_PENDING},
        COMPLETED: {REFUND_PENDING},
        REFUND_PENDING: {REFUNDED},
        CANCELLED: set(),
        REFUNDED: set(),
    }
    # Orders in these states hold boxes that are not yet allocated to a batch.
    HOLDING = (PENDING_PAYMENT, PAID)
    OPEN = (PENDING_PAYMENT, PAID, PACKED, SHIPPED, READY_FOR_PICKUP)

    COURIER = "courier"
    PICKUP = "pickup"
    FULFILMENT = [(COURIER, _("快递到家")), (PICKUP, _("到自提点自取"))]

    cooperative = models.ForeignKey("coop.Cooperative", on_delete=models.PROTECT, related_name="orders",
                                    verbose_name=_("合作社"))
    buyer = models.ForeignKey("orders.Buyer", on_delete=models.PROTECT, related_name="orders",
                              verbose_name=_("买家"))
    number = models.CharField(_("订单号"), max_length=32, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=STATUSES, default=PENDING_PAYMENT)
    total = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])
    # Part of ``total`` (the one amount paid, refunded and exported), kept apart to be shown: the courier fee
    # of orders/services/shipping.py for the address's province when the order was placed; 0 for pickup.
    courier_fee = models.DecimalField(_("运费（元）"), max_digits=8, decimal_places=2, default=Decimal("0.00"))
    group_buy = models.ForeignKey("orders.GroupBuy", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="orders", verbose_name=_("接龙团购"))
    chain_no = models.PositiveIntegerField(_("接龙序号"), null=True, blank=True)
    fulfilment = models.CharField(_("配送方式"), max_length=10, choices=FULFILMENT, default=COURIER)
    pickup_point = models.ForeignKey("orders.PickupPoint", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="orders", verbose_name=_("自提点"))
    # The address is copied onto the order: editing the address book never changes a sent parcel.
    recipient = models.CharField(_("收货人"), max_length=30, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("收货地址"), max_length=260, blank=True)
    note = models.CharField(_("买家留言"), max_length=200, blank=True)
    # Who the buyer said they were when ordering, copied like the address: a buyer's profile is theirs and
    # shared by every cooperative they buy from, so a later edit never rewrites this order's 发票 details.
    buyer_name = models.CharField(_("买家称呼（下单时）"), max_length=100, blank=True)
    invoice_title = models.CharField(_("发票抬头（下单时）"), max_length=100, blank=True)
    tax_number = models.CharField(_("纳税人识别号（下单时）"), max_length=20, blank=True)
    # A group-buy entry's public name (张**) as it joined: the chain everyone saw never changes when the buyer
    # later edits the profile. "" for no name (the chain then shows the phone's last four digits).
    chain_name = models.CharField(_("接龙名（接龙时）"), max_length=12, blank=True)
    pickup_code = models.CharField(_("取货码"), max_length=12, unique=True)
    picked_up_at = models.DateTimeField(_("取货时间"), null=True, blank=True)
    courier_company = models.CharField(_("快递公司"), max_length=30, blank=True)
    tracking_no = models.CharField(_("快递单号"), max_length=40, blank=True)
    # Scoped to the buyer: a retried "place order" with the same key returns this order.
    idempotency_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True)
    placed_at = models.DateTimeField(_("下单时间"), default=timezone.now)
    pay_by = models.DateTimeField(_("付款截止"))
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), default=timezone.now)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "idempotency_key"], name="order_idempotency_per_buyer"),
            models.UniqueConstraint(fields=["group_buy", "chain_no"], name="order_chain_no_unique"),
        ]
        indexes = [
            models.Index(fields=["cooperative", "status"]),
            # The unpaid-timeout task polls this; keep the index to pending orders only.
            models.Index(fields=["pay_by"], name="order_unpaid_idx", condition=models.Q(status="pending_payment")),
        ]

    def __str__(self):
        return self.number

    @property
    def goods_total(self):
        """What the eggs cost: the total less the courier fee."""
        return self.total - self.courier_fee

    @property
    def total_fen(self):
        return int((self.total * 100).to_integral_value())

    @property
    def chain_label(self):
        """This group-buy entry's public name: the masked name it joined with (``chain_name``)."""
        return chain_label(self.chain_name, self.buyer.phone)

    def can_become(self, status):
        return status in self.TRANSITIONS.get(self.status, set())


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单"))
    product = models.ForeignKey("orders.Product", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("商品"))
    # Copied from the product at order time, so the stock pool and price of a line never drift.
    name = models.CharField(_("商品名称"), max_length=60)
    weight_class = models.CharField(_("重量等级"), max_length=2)
    pack_size = models.PositiveIntegerField(_("每盒枚数"))
    boxes = models.PositiveIntegerField(_("盒数"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        ordering = ["order_id", "id"]

    def __str__(self):
        return f"{self.name} × {self.boxes}"

    @property
    def line_total(self):
        return self.unit_price * self.boxes


class Allocation(models.Model):
    """Boxes of an order line taken from one batch when the order was packed (the trace link)."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations",
                             verbose_name=_("订单明细"))
    batch = models.ForeignKey("coop.Batch", on_delete=models.PROTECT, related_name="allocations",
                              verbose_name=_("批次"))
    boxes = models.PositiveIntegerField(_("盒数"), validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(_("分配时间"), default=timezone.now)

    class Meta:
        verbose_name = _("批次分配")
        verbose_name_plural = _("批次分配")
        constraints = [models.UniqueConstraint(fields=["line", "batch"], name="allocation_unique")]

    def __str__(self):
        return f"{self.line} ← {self.batch} × {self.boxes}"


class OrderStatusChange(models.Model):
    """The timeline a buyer sees on their order page. Append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history", verbose_name=_("订单"))
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Order.STATUSES)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作方"), max_length=60, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("订单状态记录")
        verbose_name_plural = _("订单状态记录")
        ordering = ["order_id", "created_at", "id"]

    def __str__(self):
        return f"{self.order} {self.from_status}→{self.to_status}"

    def get_to_status_display(self):
        return dict(Order.STATUSES).get(self.to_status, self.to_status)
