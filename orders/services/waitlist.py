"""The waitlist (候补) of a full group buy: joining it, leaving it, and offering freed places in turn.

A place frees when an entry is cancelled or made smaller, or an unpaid order expires. The first buyer
in line whose boxes fit is told (``notify``) and the boxes are kept for them for ``OFFER_FOR``: the join
check under the chain's lock (``orders.services.orders._check_group_buy``) counts a standing offer as
taken for everyone else. An offer not taken in time lapses and the place goes to the next in line.

This module imports no other service of the shop, so ``orders.services.orders`` can call it when it
cancels an order (and ``orders.services.groupbuys`` builds on both)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.locking import lock_keys
from coop.lib.words import in_site_language
from coop.services.audit import log_action
from coop.services.notifications import notify
from orders.models import GroupBuy, OrderError, WaitlistEntry

# How long a freed place is kept for the buyer told about it. Half an hour, like paying an order: long
# enough to see a WeChat message in the fields, short enough that the chain does not stall.
OFFER_FOR = datetime.timedelta(minutes=30)


def held_for_others(group_buy, buyer=None, now=None):
    """Boxes kept by standing offers, except ``buyer``'s own (which they may take)."""
    now = now or timezone.now()
    offers = group_buy.waitlist.filter(status=WaitlistEntry.OFFERED, offer_until__gt=now)
    if buyer is not None:
        offers = offers.exclude(buyer=buyer)
    return offers.aggregate(n=Sum("boxes"))["n"] or 0


def places_left(group_buy, now=None):
    """Boxes anyone may still join with: the cap, less the chain's boxes, less what is kept for offers."""
    return max(group_buy.stock_cap - group_buy.boxes_taken() - held_for_others(group_buy, now=now), 0)


def active_entry(group_buy, buyer):
    if buyer is None:
        return None
    return group_buy.waitlist.filter(buyer=buyer, status__in=WaitlistEntry.ACTIVE).first()


def join_waitlist(*, group_buy, buyer, boxes, note="", user=None):
    """Put ``buyer`` in line for ``boxes``. Joining twice returns the place already held."""
    if not group_buy.is_joinable():
        raise OrderError(_("接龙已截止，不能候补。"), "closed")
    if boxes < 1 or boxes > group_buy.per_person_limit:
        raise OrderError(_("每人限购 %(n)s 盒。") % {"n": group_buy.per_person_limit}, "limit")
    note = (note or "").strip()
    if len(note) > 200:
        raise OrderError(_("备注太长了：最多 200 个字。"), "too_long", field="note")
    with transaction.atomic():
        lock_keys(group_buy.lock_key)
        entry = active_entry(group_buy, buyer)
        if entry is not None:
            return entry
        if group_buy.orders.filter(buyer=buyer, status__in=GroupBuy.LIVE).exists():
            raise OrderError(_("你已经在接龙里了：要多买请修改数量。"), "already_joined")
        entry = WaitlistEntry.objects.create(group_buy=group_buy, buyer=buyer, boxes=boxes, note=note)
        log_action(entry, "groupbuy.waitlisted", user=user, actor_label=buyer.display_name,
                   data={"code": group_buy.code, "boxes": boxes})
        # A place may have freed while the page was open: offer it now rather than at the next pass.
        _offer(group_buy, timezone.now())
    return entry


def leave_waitlist(entry, *, user=None):
    with transaction.atomic():
        lock_keys(entry.group_buy.lock_key)
        if WaitlistEntry.objects.filter(pk=entry.pk, status__in=WaitlistEntry.ACTIVE).update(
                status=WaitlistEntry.LEFT) == 0:
            raise OrderError(_("你已经不在候补里了。"), "not_waiting")
        log_action(entry, "groupbuy.waitlist_left", user=user, actor_label=entry.buyer.display_name,
                   data={"code": entry.group_buy.code})
        _offer(entry.group_buy, timezone.now())


def entry_joined(group_buy, buyer, order):
    """The buyer got into the chain (with their offer or otherwise): they are out of the line. Called by
    ``place_order`` under the chain's lock."""
    WaitlistEntry.objects.filter(group_buy=group_buy, buyer=buyer, status__in=WaitlistEntry.ACTIVE).update(
        status=WaitlistEntry.JOINED, order=order)


def offer_freed_places(group_buy, now=None):
    """Lapse offers not taken in time, then offer what is free to those first in line. Returns how many
    buyers were told. Takes the chain's lock itself (re-taking it inside ``place_order``'s is harmless:
    PostgreSQL's transaction-level advisory locks stack in one transaction)."""
    with transaction.atomic():
        lock_keys(group_buy.lock_key)
        return _offer(group_buy, now or timezone.now())


def _offer(group_buy, now):
    for entry in group_buy.waitlist.filter(status=WaitlistEntry.OFFERED, offer_until__lte=now).select_related(
            "buyer"):
        WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.OFFERED).update(status=WaitlistEntry.LAPSED)
        log_action(entry, "groupbuy.offer_lapsed", actor_label=_("系统"), reason=_("保留时间内没有接龙"),
                   data={"code": group_buy.code})
    group_buy.refresh_from_db(fields=["status"])
    if not group_buy.is_joinable(now):
        return 0
    free = places_left(group_buy, now)
    told = 0
    # First come, first served: if the first in line wants more than is free, nobody behind them jumps
    # the queue with a smaller number; they wait together for the next place.
    for entry in group_buy.waitlist.filter(status=WaitlistEntry.WAITING).select_related("buyer").order_by(
            "created_at", "id"):
        if entry.boxes > free:
            break
        until = min(now + OFFER_FOR, group_buy.deadline)
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.OFFERED, offered_at=now,
                                                         offer_until=until)
        free -= entry.boxes
        told += 1
        log_action(entry, "groupbuy.place_offered", actor_label=_("系统"),
                   data={"code": group_buy.code, "boxes": entry.boxes, "until": until.isoformat()})
        _tell(entry, group_buy, until)
    return told


def _tell(entry, group_buy, until):
    phone, openid = entry.buyer.phone or "", entry.buyer.wechat_openid or ""
    if not (phone or openid):
        return  # nowhere to reach them: the buyer sees the offer on the page (and on their order list)
    with in_site_language():
        body = _("【绿壳蛋】你候补的接龙“%(title)s”有空位了：%(boxes)s 盒为你保留到 %(until)s，"
                 "请打开 %(link)s 接龙。") % {
            "title": group_buy.title, "boxes": entry.boxes, "link": f"{settings.SITE_URL}/shop/g/{group_buy.code}",
            "until": timezone.localtime(until).strftime("%H:%M")}
        notify(event="groupbuy.place_offered", key=f"waitlist:{entry.pk}:offered", body=body,
               cooperative=group_buy.cooperative, phone=phone, wechat_openid=openid,
               sms_params={"title": group_buy.title, "boxes": entry.boxes, "code": group_buy.code})


def close_waitlist(group_buy):
    """At the deadline nobody is waiting any more: the line (and any standing offer) lapses."""
    return group_buy.waitlist.filter(status__in=WaitlistEntry.ACTIVE).update(status=WaitlistEntry.LAPSED)


def refresh_open_waitlists(now=None):
    """The periodic pass (with the unpaid-order expiry): every open chain with someone in line gets its
    freed places offered and its lapsed offers moved on."""
    now = now or timezone.now()
    told = 0
    ids = (WaitlistEntry.objects.filter(status__in=WaitlistEntry.ACTIVE, group_buy__status=GroupBuy.OPEN)
           .values_list("group_buy_id", flat=True).distinct())
    for gb in GroupBuy.objects.filter(pk__in=list(ids)).select_related("cooperative"):
        told += offer_freed_places(gb, now)
    return told
