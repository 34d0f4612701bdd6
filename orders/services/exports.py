"""Excel/CSV export of the shop's orders for managers (written by coop.services.exports.table_response)."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.validators import mask_mobile
from orders.models import Order, OrderLine


def _when(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def orders_table(cooperative_ids, since=None):
    headers = [_("订单号"), _("下单时间"), _("状态"), _("买家"), _("手机号（打码）"), _("配送方式"), _("商品"),
               _("盒数"), _("金额（元）"), _("其中运费（元）"), _("付款时间"), _("快递公司"), _("快递单号"),
               _("接龙团购")]
    qs = (Order.objects.filter(cooperative__in=cooperative_ids).select_related("buyer", "group_buy")
          .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
          .order_by("placed_at", "id"))
    if since is not None:
        qs = qs.filter(placed_at__date__gte=since)
    rows = ([o.number, _when(o.placed_at), o.get_status_display(), o.buyer.display_name,
             mask_mobile(o.phone) if o.phone else "", o.get_fulfilment_display(),
             "；".join(f"{line.name}×{line.boxes}" for line in o.lines.all()),
             sum(line.boxes for line in o.lines.all()), o.total, o.courier_fee, _when(o.paid_at), o.courier_company,
             o.tracking_no,
             str(o.group_buy) if o.group_buy_id else ""]
            for o in qs.iterator(chunk_size=500))
    return _("订单"), headers, rows
