"""The manager's dashboard: its numbers match the records, only the manager's own, with charts."""

import datetime
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from coop.models import Settlement
from quality.services.dashboard import dashboard_context, week_start
from tests.factories import make_batch, make_delivery, make_farmer, make_village


def _this_week(days_ago=0):
    today = timezone.localdate()
    day = max(week_start(today), today - datetime.timedelta(days=days_ago))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def _records(personas):
    a = personas.coop_a
    other_village = make_village(a, name="桌古村", altitude_m=2600)
    f2 = make_farmer(a, other_village, head_name="沙马阿牛")
    first = make_delivery(personas.farmer_a, accepted={"L": 40}, rejected={"cracked": 2, "rotten": 3},
                          received_at=_this_week())
    make_delivery(personas.farmer_a, accepted={"M": 20}, received_at=_this_week(1))
    make_delivery(f2, accepted={"L": 30}, rejected={"dirty": 5}, received_at=_this_week())
    # Not this week, and not this cooperative: must not count.
    make_delivery(personas.farmer_a, accepted={"L": 100}, received_at=timezone.now() - datetime.timedelta(days=30),
                  laid_on=timezone.localdate() - datetime.timedelta(days=31))
    make_delivery(personas.farmer_b, accepted={"L": 500}, received_at=_this_week())
    f2.first_delivery = first
    return f2


def test_the_weeks_numbers_match_the_deliveries(personas):
    _records(personas)
    ctx = dashboard_context(personas.manager_a)
    t = ctx["d"]["totals"]
    assert (t["brought"], t["rejected"], t["deliveries"], t["households"]) == (100, 10, 3, 2)
    assert t["rate"] == Decimal("10.0")
    villages = {v["farmer__village__name"]: (v["brought"], v["rejected"], v["rate"]) for v in ctx["d"]["villages"]}
    assert villages == {"尔吉村": (65, 5, Decimal("7.7")), "桌古村": (35, 5, Decimal("14.3"))}
    households = {h["farmer__head_name"]: h["brought"] for h in ctx["d"]["households"]}
    assert households == {"吉克拉哈": 65, "沙马阿牛": 35}
    assert ctx["d"]["worst"][0]["farmer__head_name"] == "沙马阿牛"
    # The 14-day chart has one bar per day and its bars add up to the deliveries of those days.
    assert len(ctx["eggs_chart"]["bars"]) == 14
    assert sum(b["n"] for b in ctx["eggs_chart"]["bars"]) == 100


def test_stock_is_the_accepted_eggs_not_yet_packed(personas):
    f2 = _records(personas)
    make_batch(personas.coop_a, deliveries=[f2.first_delivery], weight_class="L", pack_size=10, boxes=1)
    stock = dashboard_context(personas.manager_a)["stock"]
    # In the packing window: 40 L + 30 L − 10 packed, and 20 M; last month's eggs are too old to pack.
    assert stock["eggs"]["L"] == 60 and stock["eggs"]["M"] == 20 and stock["eggs_total"] == 80


def test_settlement_status_sums_the_latest_period(personas):
    today = timezone.localdate()
    first = today.replace(day=1)
    for farmer, status, net in ((personas.farmer_a, Settlement.PAID, "120.00"),
                                (make_farmer(personas.coop_a), Settlement.APPROVED, "80.50")):
        Settlement.objects.create(cooperative=personas.coop_a, farmer=farmer, period_start=first, period_end=today,
                                  status=status, net=Decimal(net))
    rows = {code: (n, net) for code, _l, n, net in dashboard_context(personas.manager_a)["settlements"]["rows"]}
    assert rows == {"draft": (0, Decimal("0.00")), "approved": (1, Decimal("80.50")), "paid": (1, Decimal("120.00"))}


def test_the_page_renders_for_a_manager_with_its_charts_and_only_its_cooperative(personas, client_for):
    _records(personas)
    r = client_for(personas.manager_a).get("/admin/dashboard/")
    body = r.content.decode()
    assert r.status_code == 200
    assert 'id="kpi-eggs">100<' in body and 'id="kpi-rate">10.0%<' in body
    assert body.count("<svg class=\"chart\"") == 3 and body.count("<rect") >= 28
    assert "阿苏木呷" not in body  # cooperative B's household
    index = client_for(personas.manager_a).get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in index


def test_strangers_and_households_cannot_open_it(personas, client_for):
    assert client_for(None).get("/admin/dashboard/").status_code == 302  # to the admin sign-in
    assert client_for(personas.farmer_a.user).get("/admin/dashboard/").status_code == 302
    assert client_for(personas.manager_a).get(f"/admin/dashboard/?coop={personas.coop_b.pk}").status_code == 404


def test_exports_hold_the_managers_own_rows(personas, client_for):
    _records(personas)
    c = client_for(personas.manager_a)
    r = c.get("/admin/dashboard/export/deliveries.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("收蛋时间", "社员编号", "户主姓名")
    assert len(rows) == 1 + 4 and {row[2] for row in rows[1:]} == {"吉克拉哈", "沙马阿牛"}
    csv = c.get("/admin/dashboard/export/farmers.csv").content.decode("utf-8")
    assert csv.startswith("\ufeff") and "吉克拉哈" in csv and "阿苏木呷" not in csv
    for what in ("settlements", "orders", "reports"):
        assert c.get(f"/admin/dashboard/export/{what}.xlsx").status_code == 200
    assert c.get("/admin/dashboard/export/passwords.csv").status_code == 404
    assert client_for(personas.inspector_a).get("/admin/dashboard/export/farmers.csv").status_code == 404


def test_stock_matches_the_packing_and_shop_services(personas):
    """The dashboard counts stock for many cooperatives in a few queries; it must agree with the
    services that pack and sell, cooperative by cooperative."""
    from coop.services.packing import available_stock
    from orders.models import Buyer, Order
    from orders.services import orders as order_service
    from orders.services.stock import product_availability
    from quality.services.dashboard import boxes_for_sale, eggs_to_pack
    from tests.factories import ADDRESS, make_product

    f2 = _records(personas)
    make_batch(personas.coop_a, deliveries=[f2.first_delivery], weight_class="L", pack_size=10, boxes=2)
    make_batch(personas.coop_b, weight_class="L", pack_size=10, boxes=4)
    product_a, product_b = make_product(personas.coop_a), make_product(personas.coop_b)
    buyer = Buyer.objects.create(user=personas.buyer, name="张三", phone="13800001234")
    held, _ = order_service.place_order(buyer=buyer, items=[order_service.Item(product_a, 1)], address=ADDRESS)
    sold, _ = order_service.place_order(buyer=buyer, items=[order_service.Item(product_b, 3)], address=ADDRESS)
    order_service.set_status(sold, Order.PAID)
    order_service.pack_order(sold)
    today = timezone.localdate()
    both = [personas.coop_a.pk, personas.coop_b.pk]
    expected_eggs = {wc: available_stock(personas.coop_a, today)[wc] + available_stock(personas.coop_b, today)[wc]
                     for wc in ("XL", "L", "M", "S")}
    assert eggs_to_pack(both, today) == expected_eggs
    assert boxes_for_sale(both, today) == [("L", 10, product_availability(product_a) + product_availability(product_b))]
    assert product_availability(product_a) == 1 and product_availability(product_b) == 1
    del held
