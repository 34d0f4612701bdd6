"""No list grows its query count with its rows (issue 18, item 2).

One world is built with 1 row of everything a list shows — households, deliveries (through intake, so
ledger lines and receipts too), batches with trace codes and label sheets, products, group buys, paid
orders, bad-egg reports with their penalties and appeals, programmes, pledges, statements, settlements —
then grown to 50 rows of each. Every list endpoint of the API, every admin changelist and every list page
is requested at both sizes (once to warm caches, once counted); a count that grows is an N+1, and the
failure message names each such list with its two counts.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coop.lib import drf
from coop.services.fund import award_hygiene, record_donation, record_inspection
from coop.services.settlements import settle_period
from orders.models import Buyer, PickupPoint, Product
from orders.models.programmes import Pledge, Programme
from orders.services.invoices import request_invoice
from orders.services.orders import Item, pack_order, place_order
from orders.services.statements import issue_statement
from quality.models import LabelSheet, Scan
from quality.services.appeals import file_appeal
from tests.factories import (
    confirm,
    deliver_yesterday,
    make_batch,
    make_charter,
    make_farmer,
    make_group_buy,
    make_product,
    make_user,
    make_village,
    pay,
    place,
    report_on,
)

pytestmark = pytest.mark.django_db

API_LISTS = [
    "/api/cooperatives/", "/api/villages/", "/api/farmers/", "/api/deliveries/", "/api/batches/", "/api/ledger/",
    "/api/settlements/", "/api/products/", "/api/group-buys/", "/api/orders/", "/api/programmes/",
    "/api/pledges/", "/api/statements/", "/api/trace/batches/", "/api/trace/label-sheets/", "/api/reports/",
    "/api/penalties/", "/api/charters/", "/api/appeals/",
]
STAFF_PAGES = [
    "/intake/", "/books/pack/", "/books/settle/", "/books/settlements/", "/shop/manage/", "/shop/manage/packing/",
    "/shop/manage/pickup/", "/shop/manage/invoices/", "/programmes/", "/programmes/monitoring/", "/admin/dashboard/",
]
BUYER_PAGES = ["/shop/", "/shop/orders/", "/shop/statements/"]
FARMER_PAGES = ["/farmer/", "/farmer/deliveries/", "/farmer/money/", "/farmer/notifications/",
                "/farmer/rewards/", "/farmer/penalties/", "/farmer/charter/"]


class World:
    """Cooperative A, its charter, a programme with an institution and its buyer, grown row by row."""

    def __init__(self, personas, pairing):
        self.p, self.pairing = personas, pairing
        self.coop = personas.coop_a
        self.manager = personas.manager_a
        make_charter(self.coop)
        pickup = PickupPoint.objects.create(cooperative=self.coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
        self.shop = SimpleNamespace(coop=self.coop, product=pairing.product, pickup=pickup)
        self.farmer = personas.farmer_a
        self.farmer.hens = 5000
        self.farmer.save(update_fields=["hens"])
        self.superuser = make_user("root", is_staff=True, is_superuser=True)
        # One chain that every new buyer joins: its page lists them all.
        self.chain = make_group_buy(self.shop, self.manager, code="GQBIG", stock_cap=500, per_person_limit=1)
        self.size = 0

    def grow(self, to):
        today = timezone.localdate()
        for k in range(self.size, to):
            village = make_village(self.coop, name=f"第{k}村")
            farmer = make_farmer(self.coop, village, hens=500, user=make_user(f"household{k}"))
            delivery = deliver_yesterday(farmer, 30)
            deliver_yesterday(self.farmer, 10)  # the signed-in household's own lists grow too
            batch = make_batch(self.coop, deliveries=[delivery], pack_size=10, boxes=3)
            LabelSheet.objects.create(batch=batch, sheet_format="a4-3x8", copies=1, created_by=self.manager)
            make_product(self.coop, name=f"绿壳鸡蛋 第{k}款")
            make_group_buy(self.shop, self.p.buyer, code=f"GQ{k:04d}")
            paid = pay(place(self.pairing, 1), self.manager)
            request_invoice(paid, kind="company", title="佛山市禅城区某机关食堂", tax_number="91440300708461136T")
            pack_order(paid, user=self.manager)  # allocations, timeline
            Scan.objects.create(uid=f"scan-{k}", trace=batch.trace, scanned_at=timezone.now(), browser="wechat")
            record_donation(cooperative=self.coop, donor=f"爱心人士{k}", amount="100", hygiene_reserve="50",
                            user=self.manager)
            inspection = record_inspection(cooperative=self.coop, village=village, scores={farmer.pk: 95},
                                           user=self.manager)
            award_hygiene(inspection.scores.get(), amount="10", user=self.manager)
            joiner = Buyer.objects.create(user=make_user(f"chain{k}"), name=f"王{k}", phone=f"137{k:08d}")
            place_order(buyer=joiner, items=[Item(self.pairing.product, 1)], group_buy=self.chain)
            penalty = confirm(report_on(batch, eggs=2), self.manager)[0]
            file_appeal(penalty, user=farmer.user, grounds="蛋是在运输中碰坏的")
            programme = Programme.objects.create(
                cooperative=self.coop, code=f"PQ{k:04d}", name=f"结对帮扶 {k}", east_organisation="佛山市禅城区",
                starts_on=today - datetime.timedelta(days=30))
            programme.villages.add(village)
            Pledge.objects.create(organisation=self.pairing.org, programme=programme, amount=Decimal("1000.00"),
                                  period_start=today - datetime.timedelta(days=30),
                                  period_end=today + datetime.timedelta(days=k))
            issue_statement(programme=self.pairing.programme, organisation=self.pairing.org,
                            start=today - datetime.timedelta(days=k + 1), end=today, user=self.manager)
        settle_period(period_start=today - datetime.timedelta(days=40), period_end=today,
                      cooperative_ids=[self.coop.pk])
        self.size = to


def _count(client, url):
    client.get(url)  # warm: sessions, content types, translations
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def _changelists():
    return [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]


def _measure(world, clients):
    return {url: _count(client, url) for client, urls in clients for url in urls}


def _grown(before, after):
    return [f"{url}: {before[url]} queries at 1 row, {after[url]} at 50" for url in before if after[url] > before[url]]


@pytest.fixture
def world(personas, pairing):
    return World(personas, pairing)


def _buyer_client(client_for, world):
    return client_for(world.pairing.buyer.user)


def test_it_makes_as_many_queries_for_50_rows_as_for_1(world, api_for, client_for, monkeypatch, settings):
    # Like with like at 1 and 51 rows: a list that fits on page 1 skips its COUNT(*) (coop/lib/drf.py), and a
    # shown boxes-left figure may come from the cache or be counted depending on its age (orders/services/
    # stock.py; both tested on their own) — here every list counts, as a long list and a cold cache do.
    monkeypatch.setattr(drf.Pagination, "django_paginator_class", Paginator)
    settings.GREENSHELL_STOCK_CACHE = False
    staff_api = api_for(world.manager)
    buyer_api = api_for(world.pairing.buyer.user)
    staff, buyer, farmer, root = (client_for(world.manager), _buyer_client(client_for, world),
                                  client_for(world.farmer.user), client_for(world.superuser))
    programme, chain, village = world.pairing.programme.pk, world.chain.code, world.p.village_a.pk
    clients = [(staff_api, [*API_LISTS, f"/api/programmes/{programme}/report/", f"/api/group-buys/{chain}/"]),
               (buyer_api, ["/api/orders/", "/api/products/", "/api/group-buys/"]),
               (staff, [*STAFF_PAGES, f"/programmes/{programme}/", f"/shop/g/{chain}/summary/",
                        f"/shop/g/{chain}/pickup/"]),
               (buyer, [*BUYER_PAGES, f"/shop/g/{chain}", f"/notice/{village}"]),
               (farmer, FARMER_PAGES), (root, _changelists())]
    world.grow(1)
    before = _measure(world, clients)
    world.grow(50)
    for url in ("/api/farmers/", "/api/deliveries/", "/api/orders/", "/api/penalties/", "/api/appeals/",
                "/api/statements/", "/api/products/", "/api/group-buys/", "/api/trace/label-sheets/",
                "/api/programmes/", "/api/pledges/", "/api/settlements/", "/api/ledger/", "/api/reports/"):
        assert staff_api.get(url).json()["count"] >= 50, url  # the lists are really full
    after = _measure(world, clients)
    grown = _grown(before, after)
    assert not grown, "N+1 on:\n" + "\n".join(grown)


def test_the_whole_list_figures_agree_with_each_rows_own(world, personas):
    """Boxes left, programme income, pledge progress and orders' batches computed for a whole list are the figures the
    one-row functions give — with partial refunds, other stock pools and another cooperative's product."""
    from orders.models import Refund
    from orders.services import programmes as svc
    from orders.services import stock
    from orders.services.payments import refund

    world.grow(4)
    orders = list(world.pairing.programme.attributions.select_related("order")[:2])
    refund(orders[0].order, out_refund_no="RQ-1", reason="破损", amount=Decimal("10.00"), user=world.manager)
    Refund.objects.filter(out_refund_no="RQ-1").update(status=Refund.SUCCEEDED)
    make_product(world.coop, name="六枚装", pack_size=6)
    make_product(personas.coop_b, name="竹核乡鸡蛋")
    make_batch(personas.coop_b, pack_size=10, boxes=3)
    products = stock.with_availability(Product.objects.all())
    assert {p.left for p in products} != {0}
    assert [p.left for p in products] == [stock.product_availability(p) for p in products]
    programmes = list(Programme.objects.all())
    totals = svc.counted_totals([p.pk for p in programmes])
    assert totals == {p.pk: svc.counted_total(p) for p in programmes}
    assert totals[world.pairing.programme.pk] > 0
    pledges = list(Pledge.objects.all())
    Pledge.objects.create(organisation=world.pairing.org, programme=world.pairing.programme, amount=Decimal("500.00"),
                          period_start=timezone.localdate() - datetime.timedelta(days=3),
                          period_end=timezone.localdate())
    pledges = list(Pledge.objects.all())
    progress = svc.pledges_progress(pledges)
    assert progress == {p.pk: svc.pledge_progress(p) for p in pledges}
    assert any(row["done"] > 0 for row in progress.values())
    from orders.models import Order
    from orders.services.orders import batch_codes_by_order, trace_batches

    orders = list(Order.objects.all())
    codes = batch_codes_by_order([o.pk for o in orders])
    assert codes == {o.pk: [b.code for b in trace_batches(o)] for o in orders}
    assert any(codes.values())
