"""Group buys (接龙): the public chain page, joining, and the leader's pickup check-off and summary."""

import io
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from coop.lib import tenancy
from coop.lib.files import file_response, sheet_row
from coop.lib.locking import LockTimeout
from coop.lib.validators import MAX_BOXES, InvalidNumber, parse_int
from orders.models import Buyer, GroupBuy, OrderError, WaitlistEntry
from orders.services import groupbuys, waitlist
from orders.services.groupbuys import chain, taken_boxes
from orders.services.orders import pick_up
from orders.views.base import absolute, current_buyer, render_shared, wechat_share


def _by_code(code, queryset):
    gb = groupbuys.group_buy_by_code(code, queryset)
    if gb is None:
        raise Http404(_("找不到这个接龙。"))
    return gb


def page(request, code):
    gb = _by_code(code, GroupBuy.objects.select_related("product", "pickup_point", "cooperative"))
    if gb.code != code and request.method != "POST":
        return redirect("shop:groupbuy", code=gb.code)  # one address for a chain, whatever case it was typed in
    buyer = current_buyer(request)
    if request.method == "POST":
        if buyer is None:
            return redirect(f"/shop/login/?next=/shop/g/{code}")
        answer = _act(request, gb, buyer)
        if answer is not None:
            return answer
        return redirect("shop:groupbuy", code=gb.code)
    now = timezone.now()
    bar = groupbuys.progress(gb, now)
    mine = groupbuys.own_entry(gb, buyer)
    wait = waitlist.active_entry(gb, buyer)
    # The boxes this buyer may join with: a standing offer of theirs is theirs to take.
    left_for_me = bar["left"]
    if buyer is not None:
        left_for_me = max(gb.stock_cap - bar["taken"] - waitlist.held_for_others(gb, buyer, now), 0)
    share = wechat_share(
        request, title=f"{gb.title} ¥{gb.price}",
        desc=_("%(d)s 截止 · %(p)s 自提 · 已接 %(t)s / %(g)s 盒") % {
            "d": timezone.localtime(gb.deadline).strftime("%m-%d %H:%M"), "p": gb.pickup_point.name,
            "t": bar["taken"], "g": bar["target"]},
        link=absolute(request.path), image=absolute(reverse("shop:groupbuy-poster", args=[gb.code])))
    return render_shared(request, "orders/groupbuy.html", {
        "gb": gb, "chain": chain(gb), "bar": bar, "taken": bar["taken"], "left": bar["left"],
        "left_for_me": left_for_me, "remaining": groupbuys.remaining_words(bar["seconds_left"]),
        "joinable": not bar["closed"], "buyer": buyer, "mine": mine, "wait": wait,
        "waiting": gb.waitlist.filter(status__in=WaitlistEntry.ACTIVE).count(),
        "offer": wait is not None and wait.offer_stands(now), "key": uuid.uuid4().hex,
        "is_leader": _may_lead(request.user, gb), "share_url": request.build_absolute_uri(request.path)}, share)


def _act(request, gb, buyer):
    """One POST of the page: 接龙 (or 候补 when full), 修改数量, 取消接龙, 退出候补. Errors become a message."""
    action = request.POST.get("action", "join")
    try:
        if action == "leave":
            entry = waitlist.active_entry(gb, buyer)
            if entry is None:
                raise OrderError(_("你已经不在候补里了。"), "not_waiting")
            waitlist.leave_waitlist(entry, user=request.user)
            messages.success(request, _("已退出候补。"))
            return None
        if action in ("change", "cancel"):
            order = gb.orders.filter(number=request.POST.get("order", ""), buyer=buyer).first()
            if order is None:
                raise OrderError(_("没有找到你的这条接龙。"), "not_found")
            if action == "cancel":
                groupbuys.cancel_entry(order, buyer=buyer, user=request.user)
                messages.success(request, _("已取消接龙。"))
                return None
            boxes = parse_int(request.POST.get("boxes"), minimum=1, maximum=MAX_BOXES, label=_("盒数"))
            order = groupbuys.change_entry(order, buyer=buyer, boxes=boxes, note=request.POST.get("note"),
                                           user=request.user)
            messages.success(request, _("已改为 %(n)s 盒，共 ¥%(t)s。") % {"n": boxes, "t": order.total})
            return None
        name = request.POST.get("name", "").strip()
        if name and name != buyer.name:
            Buyer.objects.filter(pk=buyer.pk).update(name=name[:60])
            buyer.name = name[:60]
        boxes = parse_int(request.POST.get("boxes") or "1", minimum=1, maximum=MAX_BOXES, label=_("盒数"))
        order, entry = groupbuys.join(group_buy=gb, buyer=buyer, boxes=boxes, note=request.POST.get("note", ""),
                                      idempotency_key=request.POST.get("key") or None, user=request.user)
    except InvalidNumber as exc:
        messages.error(request, str(exc))
    except LockTimeout:
        messages.error(request, _("接龙的人太多了，请稍后再试。"))
    except OrderError as exc:
        messages.error(request, exc.message)
    else:
        if order is None:
            messages.success(request, _("接龙已满，已为你登记候补（%(n)s 盒）。有空位时会通知你，并为你保留 30 分钟。")
                             % {"n": entry.boxes})
            return None
        messages.success(request, _("接龙成功，你是第 %(n)s 位。请在 30 分钟内付款。") % {"n": order.chain_no})
        return redirect("shop:order", number=order.number)
    return None


def _may_lead(user, gb):
    if not user.is_authenticated:
        return False
    return gb.leader_id == user.pk or gb.cooperative_id in tenancy.cooperative_ids(user, (tenancy.Staff.MANAGER,))


def _leader_group_buy(request, code):
    gb = _by_code(code, GroupBuy.objects.select_related("product", "pickup_point"))
    if not _may_lead(request.user, gb):
        if not request.user.is_authenticated:
            raise PermissionDenied
        raise PermissionDenied
    return gb


def pickup(request, code):
    """The leader's phone: scan (or type) the buyer's pickup code to check the pickup off."""
    if not request.user.is_authenticated:
        return redirect(f"/shop/login/?next=/shop/g/{code}/pickup/")
    gb = _leader_group_buy(request, code)
    done = None
    if request.method == "POST":
        try:
            done = pick_up(code=request.POST.get("code", ""), user=request.user, group_buy=gb)
            messages.success(request, _("已核销：第 %(n)s 位 %(name)s，%(boxes)s 盒。") % {
                "n": done.chain_no, "name": done.chain_label,
                "boxes": sum(line.boxes for line in done.lines.all())})
        except OrderError as exc:
            messages.error(request, exc.message)
        return redirect("shop:groupbuy-pickup", code=code)
    return render(request, "orders/groupbuy_pickup.html", {"gb": gb, "chain": chain(gb), "done": done})


def summary(request, code):
    if not request.user.is_authenticated:
        return redirect(f"/shop/login/?next=/shop/g/{code}/summary/")
    gb = _leader_group_buy(request, code)
    rows = chain(gb)
    if request.GET.get("format") == "xlsx":
        return _xlsx(gb, rows)
    return render(request, "orders/groupbuy_summary.html", {"gb": gb, "chain": rows, "taken": taken_boxes(gb),
                                                           "now": timezone.now()})


def _xlsx(gb, rows):

    wb = Workbook()
    ws = wb.active
    ws.title = _("接龙汇总")
    ws.append(sheet_row([gb.title, gb.product.name, f"¥{gb.price}", gb.pickup_point.name]))
    ws.append([_("序号"), _("买家"), _("手机尾号"), _("盒数"), _("金额（元）"), _("状态"), _("取货码"), _("已取货"),
               _("备注")])
    for o in rows:
        ws.append(sheet_row([o.chain_no, o.buyer.name or o.chain_label, (o.buyer.phone or "")[-4:], o.boxes,
                             o.total, o.get_status_display(), o.pickup_code, _("是") if o.picked_up_at else "",
                             o.note]))
    buf = io.BytesIO()
    wb.save(buf)
    resp = file_response(buf.getvalue(), f"groupbuy-{gb.code}.xlsx", download=True)
    return resp
