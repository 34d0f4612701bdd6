"""The staff's workbench: each role's jobs, counted over its own cooperative only, each count opening exactly
its rows; the admin's tables grouped by job; sign-in landing on it; a bounded number of queries and no writes."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coop.models import Delivery, LedgerEntry, Settlement, Staff
from orders.models import Buyer, InvoiceRequest, Order, PickupPoint
from quality.models import Appeal
from quality.services.appeals import file_appeal
from quality.services.dashboard import dashboard_context
from quality.services.workbench import workbench
from tests.factories import (
    confirm,
    make_batch,
    make_charter,
    make_delivery,
    make_farmer,
    make_user,
    report_on,
)

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def _order(coop, status, fulfilment=Order.COURIER):
    n = next(_numbers)
    buyer = Buyer.objects.create(user=make_user(f"wb-buyer-{n}"), name="张三", phone=f"1380000{n:04d}")
    pickup = None
    if fulfilment == Order.PICKUP:
        pickup = PickupPoint.objects.create(cooperative=coop, name=f"村委会 {n}", address="尔吉村")
    return Order.objects.create(cooperative=coop, buyer=buyer, number=f"WB{n:06d}", status=status,
                                total=Decimal("39.90"), fulfilment=fulfilment, pickup_point=pickup,
                                pickup_code=f"P{n:07d}", pay_by=timezone.now() + datetime.timedelta(minutes=30))


def seed(coop, farmer, manager):
    """One row of every job in ``coop``, and what a job's count must leave out."""
    now = timezone.now()
    make_delivery(farmer, accepted={"L": 20}, received_at=now)                      # today
    held = make_delivery(farmer, accepted={"L": 10}, received_at=now)               # today, flagged
    Delivery.objects.filter(pk=held.pk).update(flagged=True)
    cancelled = make_delivery(farmer, accepted={"M": 5}, received_at=now)           # flagged but cancelled
    Delivery.objects.filter(pk=cancelled.pk).update(flagged=True, cancelled_at=now)
    make_delivery(farmer, accepted={"L": 7}, received_at=now - datetime.timedelta(days=2))  # not today
    batch = make_batch(coop, deliveries=[make_delivery(farmer, accepted={"L": 30})], pack_size=10, boxes=3)
    if not coop.charters.exists():
        make_charter(coop)
    report = report_on(batch, eggs=2)                                                # waiting
    penalty = confirm(report_on(batch, eggs=1, defect="dirty"), manager)[0]         # notified, in its window
    report_on(batch, eggs=1, defect="cracked")  # a third report, merged or not, still waiting
    appealed = confirm(report_on(batch, eggs=3, defect="blood"), manager)[0]
    file_appeal(appealed, user=manager, grounds="不是我家的蛋", on_behalf=True)
    for status, fulfilment in ((Order.PAID, Order.COURIER), (Order.PACKED, Order.COURIER),
                               (Order.PACKED, Order.PICKUP), (Order.READY_FOR_PICKUP, Order.PICKUP),
                               (Order.PENDING_PAYMENT, Order.COURIER), (Order.COMPLETED, Order.COURIER)):
        order = _order(coop, status, fulfilment)
        if status == Order.COMPLETED:  # a 发票 waiting to be issued, and one already issued (not counted)
            InvoiceRequest.objects.create(cooperative=coop, order=order, kind="personal", title="张三",
                                          amount=order.total)
        if status == Order.PACKED and fulfilment == Order.COURIER:
            InvoiceRequest.objects.create(cooperative=coop, order=order, kind="personal", title="张三",
                                          amount=order.total, status=InvoiceRequest.ISSUED,
                                          invoice_number=f"{order.pk:08d}")
    first = timezone.localdate().replace(day=1)
    last_month_end = first - datetime.timedelta(days=1)
    LedgerEntry.objects.create(cooperative=coop, farmer=farmer, kind=LedgerEntry.DELIVERY, amount=Decimal("12.00"),
                               reason="交蛋", occurred_on=last_month_end)
    other = make_farmer(coop)
    for f, status, net in ((farmer, Settlement.DRAFT, "30.00"), (other, Settlement.APPROVED, "45.50")):
        Settlement.objects.create(cooperative=coop, farmer=f, period_start=last_month_end.replace(day=1),
                                  period_end=last_month_end, status=status, net=Decimal(net))
    return {"report": report, "penalty": penalty, "batch": batch}


@pytest.fixture
def world(personas):
    seed(personas.coop_a, personas.farmer_a, personas.manager_a)
    # Cooperative B has the same rows: a count that takes in another cooperative's row says 2 where A has 1.
    seed(personas.coop_b, personas.farmer_b, personas.manager_b)
    return personas


def counts(user):
    return {f"{s.key}.{i.key}": i.count for s in workbench(user)["sections"] for i in s.items}


def items(user):
    return {f"{s.key}.{i.key}": i for s in workbench(user)["sections"] for i in s.items}


A_MANAGER = {
    "intake.today": 3, "intake.held": 1,  # today: 20, 10 (held), 30 (packed), the cancelled one is left out
    "packing.eggs": 20,                    # 20 L accepted today; the held 10 and the packed 30 are not stock
    "labels.unlabelled": 1,
    "orders.to_pack": 1, "orders.to_ship": 1, "orders.to_hand_over": 2, "orders.to_invoice": 1,
    "quality.reports": 2, "quality.in_window": 1, "quality.appeals": 1,
    "settlements.to_run": 1, "settlements.to_approve": 1, "settlements.to_pay": 1,
}


def test_the_manager_counts_every_job_of_the_own_cooperative_only(world):
    got = counts(world.manager_a)
    # The 7 L delivered two days ago is still in the packing window: 20 + 7 L wait to be packed.
    assert got == {**A_MANAGER, "packing.eggs": 27}
    assert [s.key for s in workbench(world.manager_a)["sections"]] == [
        "intake", "packing", "labels", "orders", "quality", "settlements"]
    money = items(world.manager_a)
    assert money["settlements.to_approve"].amount == Decimal("30.00")
    assert money["settlements.to_pay"].amount == Decimal("45.50")


def test_each_role_sees_its_own_jobs(world):
    assert counts(world.inspector_a) == {"intake.today": 3, "intake.held": 1, "quality.reports": 2}
    assert counts(world.committee_a) == {"quality.in_window": 1, "quality.appeals": 1}
    assert workbench(world.outsider)["sections"] == []


def test_a_user_with_roles_in_two_cooperatives_counts_each_job_where_it_is_theirs(world):
    # Inspector in A, committee in B: A's intake and reports, B's hearings — never A's hearings or B's intake.
    Staff.objects.create(user=world.inspector_a, cooperative=world.coop_b, role=Staff.COMMITTEE)
    assert counts(world.inspector_a) == {"intake.today": 3, "intake.held": 1, "quality.reports": 2,
                                         "quality.in_window": 1, "quality.appeals": 1}
    Appeal.objects.filter(penalty__cooperative=world.coop_a).delete()
    assert counts(world.inspector_a)["quality.appeals"] == 1  # B's appeal, not A's


def _listed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert "e=1" not in response.get("Location", ""), url  # the admin refused a lookup
    return response.context_data["cl"].result_count


def test_every_count_opens_exactly_the_rows_it_counts(world, client_for):
    client = client_for(world.manager_a)
    for key, item in items(world.manager_a).items():
        if item.url.startswith("/admin/") and "?" in item.url:
            assert _listed(client, item.url) == item.count, key
    assert {k for k, i in items(world.manager_a).items() if "?" in i.url and i.url.startswith("/admin/")} >= {
        "intake.today", "intake.held", "labels.unlabelled", "orders.to_pack", "orders.to_ship",
        "orders.to_hand_over", "quality.reports", "quality.in_window", "quality.appeals",
        "settlements.to_approve", "settlements.to_pay"}


def test_the_dashboard_cards_open_the_rows_they_count(world, client_for):
    client = client_for(world.manager_a)
    ctx = dashboard_context(world.manager_a)
    # 未完成订单 counts every open order (5 here), not only the paid ones the card used to open.
    assert ctx["orders"]["open_total"] == 5
    assert _listed(client, ctx["links"]["orders"]) == 5
    assert _listed(client, ctx["links"]["flagged"]) == ctx["d"]["totals"]["held"] == 1
    assert _listed(client, ctx["links"]["reports"]) == ctx["q"]["reports_waiting"] == 2
    assert _listed(client, ctx["links"]["appeals"]) == ctx["q"]["appeals_waiting"] == 1
    assert _listed(client, ctx["links"]["deliveries"]) == ctx["d"]["totals"]["deliveries"]
    assert 'id="kpi-held">1<' in client.get("/admin/dashboard/").content.decode()


def test_the_page_shows_the_jobs_with_a_button_for_each(world, client_for):
    body = client_for(world.manager_a).get("/admin/workbench/").content.decode()
    for marker in ('id="do-intake"', 'id="pack-L"', 'id="print-', 'id="confirm-', 'id="hear-', 'id="settle-month"',
                   'id="approve-and-pay"', 'id="pay-approved"', 'id="all-tables"', "¥30.00", "¥45.50"):
        assert marker in body, marker
    assert "阿苏木呷" not in body  # cooperative B's household
    committee = client_for(world.committee_a).get("/admin/workbench/").content.decode()
    assert 'id="job-quality"' in committee
    assert 'id="job-intake"' not in committee and 'id="job-settlements"' not in committee
    assert 'id="confirm-' not in committee  # confirming a report is the manager's
    assert client_for(world.buyer).get("/admin/workbench/").status_code == 302  # not staff: the admin's sign-in


def test_the_page_makes_a_bounded_number_of_queries_and_writes_nothing(world, client_for):
    client = client_for(world.manager_a)
    client.get("/admin/workbench/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/workbench/").status_code == 200
    for _i in range(3):  # three times the rows of every job
        seed(world.coop_a, make_farmer(world.coop_a), world.manager_a)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/workbench/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 40
    writes = [q["sql"] for q in many.captured_queries if q["sql"].lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_signing_in_lands_on_the_workbench_unless_a_page_was_asked_for(personas, client):
    data = {"username": personas.manager_a.username, "password": personas.manager_a.raw_password}
    response = client.post("/admin/login/", data)
    assert response.status_code == 302 and response["Location"] == "/admin/workbench/"
    assert client.get("/admin/login/")["Location"] == "/admin/workbench/"  # signed in already
    client.logout()
    page = client.get("/admin/login/?next=/admin/coop/farmer/")
    assert 'value="/admin/coop/farmer/"' in page.content.decode()
    response = client.post("/admin/login/?next=/admin/coop/farmer/", {**data, "next": "/admin/coop/farmer/"})
    assert response["Location"] == "/admin/coop/farmer/"
    # A wrong password still gets the admin's own refusal, and lands nowhere.
    client.logout()
    refused = client.post("/admin/login/", {**data, "password": "wrong"})
    assert refused.status_code == 200 and "/admin/workbench/" in refused.content.decode()


def test_the_admin_home_groups_the_tables_by_job_and_links_the_workbench(personas, client_for):
    body = client_for(personas.manager_a).get("/admin/").content.decode()
    order = ["收蛋", "包装", "标签与溯源", "订单", "质量", "结算与基金", "以购代捐", "设置与记录"]
    captions = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', body)
    assert captions == order
    assert 'id="to-workbench"' in body
    # An app's own page is still Django's.
    assert client_for(personas.manager_a).get("/admin/coop/").status_code == 200
