"""Group buys like 快团团 (issue 17): target and progress, countdown, remarks, editing or cancelling your own
entry, and the waitlist (候补) when the chain is full."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from coop.models import AuditEvent, Notification
from orders.models import Buyer, Order, OrderError, WaitlistEntry
from orders.services import groupbuys, payments, waitlist
from orders.services.orders import cancel_unpaid, cancel_unpaid_orders
from tests.factories import make_batch, make_group_buy, make_user


def buyer(name, phone=None):
    return Buyer.objects.create(user=make_user(), name=name, phone=phone)


def join(gb, who, boxes, note=""):
    return groupbuys.join(group_buy=gb, buyer=who, boxes=boxes, note=note)


# --- 1. target, progress, 已满 / 已截止, countdown -------------------------------------------------------------

def test_the_page_shows_progress_against_the_target_and_a_countdown(shop, personas, client):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=8, target_boxes=6,
                        deadline=timezone.now() + datetime.timedelta(hours=5, minutes=30))
    join(gb, shop.buyer, 2)
    join(gb, buyer("李四"), 1)
    html = client.get(f"/shop/g/{gb.code}").content.decode()
    assert "已接 3 / 6 盒" in html
    assert '<progress max="100" value="50"' in html
    assert "还剩 5 小时 29 分" in html or "还剩 5 小时 30 分" in html
    assert 'data-seconds="' in html
    assert "已满" not in html and "仅剩 5 盒" in html


def test_a_full_chain_says_full_and_offers_the_waitlist(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=3, per_person_limit=3)
    join(gb, buyer("李四"), 3)
    html = client_for(shop.buyer.user).get(f"/shop/g/{gb.code}").content.decode()
    assert "已接 3 / 3 盒" in html and "已满" in html
    assert "加入候补" in html and 'id="join"' not in html
    join(gb, buyer("王五"), 1)
    assert "另有 1 人在候补" in client_for(shop.buyer.user).get(f"/shop/g/{gb.code}").content.decode()


def test_after_the_deadline_the_page_says_closed_and_takes_no_join(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    join(gb, buyer("李四"), 1)
    gb.deadline = timezone.now() - datetime.timedelta(minutes=1)
    gb.save()
    c = client_for(shop.buyer.user)
    html = c.get(f"/shop/g/{gb.code}").content.decode()
    assert "已截止" in html and "我要接龙" not in html and "加入候补" not in html
    c.post(f"/shop/g/{gb.code}", {"boxes": 1, "key": "late"})
    assert Order.objects.count() == 1 and not WaitlistEntry.objects.exists()


def test_the_page_writes_nothing_on_get(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=2, per_person_limit=2)
    join(gb, buyer("李四"), 2)
    join(gb, shop.buyer, 1)  # waitlisted
    before = (AuditEvent.objects.count(), WaitlistEntry.objects.filter(status="waiting").count())
    client_for(shop.buyer.user).get(f"/shop/g/{gb.code}")
    assert (AuditEvent.objects.count(), WaitlistEntry.objects.filter(status="waiting").count()) == before


def test_the_target_must_fit_the_cap(shop, personas):
    with pytest.raises(OrderError) as err:
        groupbuys.create_group_buy(
            cooperative=shop.coop, product=shop.product, title="接龙", price="35.00", stock_cap=5,
            per_person_limit=2, target_boxes=9, deadline=timezone.now() + datetime.timedelta(days=1),
            pickup_point=shop.pickup, user=personas.manager_a)
    assert "目标盒数" in err.value.message


# --- 2. remark on the chain, the pickup list and the summary -----------------------------------------------

def test_a_remark_given_at_joining_shows_in_the_chain_and_on_the_leaders_lists(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    c = client_for(shop.buyer.user)
    c.post(f"/shop/g/{gb.code}", {"boxes": 2, "name": "张三", "note": "放门卫", "key": "k1"})
    assert Order.objects.get().note == "放门卫"
    assert "放门卫" in c.get(f"/shop/g/{gb.code}").content.decode()
    leader = client_for(personas.manager_a)
    assert "放门卫" in leader.get(f"/shop/g/{gb.code}/pickup/").content.decode()
    assert "放门卫" in leader.get(f"/shop/g/{gb.code}/summary/").content.decode()
    sheet = load_workbook(io.BytesIO(leader.get(f"/shop/g/{gb.code}/summary/?format=xlsx").content)).active
    assert [c.value for c in sheet[2]][-1] == "备注" and sheet.cell(3, 9).value == "放门卫"


# --- 3. edit or cancel your own entry ----------------------------------------------------------------------

def test_a_buyer_changes_their_unpaid_entry_instead_of_ordering_twice(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a, per_person_limit=3)
    join(gb, buyer("李四"), 1)
    c = client_for(shop.buyer.user)
    c.post(f"/shop/g/{gb.code}", {"boxes": 1, "name": "张三", "key": "a"})
    order = Order.objects.get(buyer=shop.buyer)
    html = c.get(f"/shop/g/{gb.code}").content.decode()
    assert "修改数量" in html and "取消接龙" in html and 'id="join"' not in html
    c.post(f"/shop/g/{gb.code}", {"boxes": 2, "name": "张三", "key": "b"})  # a second join is refused
    assert Order.objects.filter(buyer=shop.buyer).count() == 1
    c.post(f"/shop/g/{gb.code}", {"action": "change", "order": order.number, "boxes": 3, "note": "晚上取"})
    order.refresh_from_db()
    assert (order.chain_no, order.lines.get().boxes, str(order.total), order.note) == (2, 3, "105.00", "晚上取")
    assert AuditEvent.objects.filter(action="groupbuy.entry_changed", data__to=3).exists()
    c.post(f"/shop/g/{gb.code}", {"action": "change", "order": order.number, "boxes": 4})  # over the limit
    assert order.lines.get().boxes == 3
    c.post(f"/shop/g/{gb.code}", {"action": "cancel", "order": order.number})
    order.refresh_from_db()
    assert order.status == Order.CANCELLED
    assert "已接 1 / 8 盒" in c.get(f"/shop/g/{gb.code}").content.decode()


def test_more_boxes_are_checked_against_the_cap_and_someone_elses_entry_is_not_yours(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=4, per_person_limit=3)
    mine, _w = join(gb, shop.buyer, 1)
    theirs, _w = join(gb, buyer("李四"), 2)
    with pytest.raises(OrderError) as err:
        groupbuys.change_entry(mine, buyer=shop.buyer, boxes=3)
    assert "最多还能加 1 盒" in err.value.message
    assert mine.lines.get().boxes == 1
    client_for(shop.buyer.user).post(f"/shop/g/{gb.code}", {"action": "cancel", "order": theirs.number})
    theirs.refresh_from_db()
    assert theirs.status == Order.PENDING_PAYMENT


def test_a_paid_entry_cannot_be_changed_or_cancelled_here(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a)
    order, _w = join(gb, shop.buyer, 1)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    for act in (lambda: groupbuys.change_entry(order, buyer=shop.buyer, boxes=2),
                lambda: groupbuys.cancel_entry(order, buyer=shop.buyer)):
        with pytest.raises(OrderError) as err:
            act()
        assert "已付款的接龙不能修改或取消" in err.value.message
    html = client_for(shop.buyer.user).get(f"/shop/g/{gb.code}").content.decode()
    assert "已付款的接龙不能修改或取消" in html and "修改数量" not in html


# --- 4. the waitlist -----------------------------------------------------------------------------------------

def test_when_full_the_buyer_is_waitlisted_and_told_in_turn_when_a_place_frees(shop, personas):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=3, per_person_limit=3)
    first, _w = join(gb, buyer("李四"), 2)
    join(gb, buyer("王五"), 1)
    order, entry = join(gb, shop.buyer, 2, note="放门卫")
    assert order is None and entry.status == WaitlistEntry.WAITING and entry.note == "放门卫"
    _o, second = join(gb, buyer("赵六", "13900001111"), 1)
    assert join(gb, shop.buyer, 2)[1].pk == entry.pk  # joining the line twice keeps one place

    groupbuys.cancel_entry(first, buyer=first.buyer)  # 2 boxes free: 张三 first in line, wanting 2
    entry.refresh_from_db()
    second.refresh_from_db()
    assert entry.status == WaitlistEntry.OFFERED and second.status == WaitlistEntry.WAITING
    note = Notification.objects.get(event="groupbuy.place_offered")
    assert note.phone == "13800001234" and "有空位了" in note.body and gb.code in note.body

    # The kept boxes are not anybody's to take but 张三's: a newcomer goes into the line behind.
    assert join(gb, buyer("孙七"), 1)[0] is None
    assert WaitlistEntry.objects.filter(buyer__name="孙七", status="waiting").exists()
    order, _w = join(gb, shop.buyer, 2, note="放门卫")
    assert order is not None and order.note == "放门卫"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.JOINED and entry.order == order
    assert gb.boxes_taken() == 3


def test_an_offer_not_taken_in_time_goes_to_the_next_in_line(shop, personas):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=2, per_person_limit=2)
    first, _w = join(gb, buyer("李四"), 2)
    _o, a = join(gb, shop.buyer, 2)
    _o, b = join(gb, buyer("赵六", "13900001111"), 2)
    later = timezone.now() + datetime.timedelta(minutes=31)
    assert cancel_unpaid(now=later) == 1  # 李四 never paid: the place frees and 张三 is offered it
    a.refresh_from_db()
    assert a.status == WaitlistEntry.OFFERED and a.offer_until > later
    waitlist.refresh_open_waitlists(now=a.offer_until + datetime.timedelta(seconds=1))
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == WaitlistEntry.LAPSED and b.status == WaitlistEntry.OFFERED
    assert AuditEvent.objects.filter(action="groupbuy.offer_lapsed").count() == 1
    assert Notification.objects.filter(event="groupbuy.place_offered", phone="13900001111").exists()


def test_the_periodic_pass_offers_places_freed_by_expiry(shop, personas):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=1, per_person_limit=1)
    first, _w = join(gb, buyer("李四"), 1)
    _o, a = join(gb, shop.buyer, 1)
    Order.objects.filter(pk=first.pk).update(pay_by=timezone.now() - datetime.timedelta(minutes=1))
    cancel_unpaid_orders()
    a.refresh_from_db()
    assert a.status == WaitlistEntry.OFFERED


def test_leaving_the_waitlist_from_the_page(shop, personas, client_for):
    gb = make_group_buy(shop, personas.manager_a, stock_cap=1, per_person_limit=1)
    join(gb, buyer("李四"), 1)
    c = client_for(shop.buyer.user)
    c.post(f"/shop/g/{gb.code}", {"boxes": 1, "name": "张三", "key": "w"})
    assert "我在候补" in c.get(f"/shop/g/{gb.code}").content.decode()
    c.post(f"/shop/g/{gb.code}", {"action": "leave"})
    assert WaitlistEntry.objects.get().status == WaitlistEntry.LEFT
    assert AuditEvent.objects.filter(action="groupbuy.waitlist_left").exists()


def test_a_manager_posts_a_group_buy_with_a_target(shop, personas, client_for):
    m = client_for(personas.manager_a)
    form = {"product": shop.product.pk, "title": "目标接龙", "price": "33.00", "stock_cap": 20, "target_boxes": 12,
            "per_person_limit": 3, "deadline": (timezone.localtime() + datetime.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M"), "pickup_point": shop.pickup.pk}
    m.post("/shop/manage/g/new/", form)
    gb = groupbuys.GroupBuy.objects.get(title="目标接龙")
    assert gb.target_boxes == 12
    assert "已接 0 / 12 盒" in m.get(f"/shop/g/{gb.code}").content.decode()
    assert "目标盒数" in m.post("/shop/manage/g/new/", {**form, "title": "太大", "target_boxes": 30}).content.decode()


def test_the_group_buy_page_stays_light_with_a_long_chain(shop, personas, client_for):
    """Issue 17: every shop page under 30 KB (HTML + its CSS and JS) on a weak signal in the hills."""
    from pathlib import Path

    from django.conf import settings

    make_batch(shop.coop, weight_class="L", pack_size=10, boxes=50)
    gb = make_group_buy(shop, personas.manager_a, stock_cap=60, per_person_limit=3)
    for n in range(30):
        assert join(gb, buyer(f"买家{n}"), 1, note="放门卫旁边的小卖部")[0] is not None
    html = client_for(shop.buyer.user).get(f"/shop/g/{gb.code}").content
    static = Path(settings.BASE_DIR) / "static"
    assets = sum((static / p).stat().st_size for p in ("css/site.css", "css/shop.css", "js/shop.js"))
    print(f"group-buy page, 30 entries: HTML {len(html)} B + CSS/JS {assets} B = {len(html) + assets} B")
    assert len(html) + assets < 30 * 1024


def test_the_api_gives_target_and_taken_and_closing_ends_the_line(shop, personas, client):
    from orders.services.orders import close_due_group_buys

    gb = make_group_buy(shop, personas.manager_a, stock_cap=2, per_person_limit=2, target_boxes=2)
    join(gb, buyer("李四"), 2)
    _o, entry = join(gb, shop.buyer, 1)
    data = client.get(f"/api/group-buys/{gb.code}/").json()
    assert (data["target"], data["taken"]) == (2, 2)
    close_due_group_buys(now=gb.deadline + datetime.timedelta(minutes=1))
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.LAPSED
