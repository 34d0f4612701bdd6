"""Issue 14, "every figure true": the reconciliation the product runs itself finds each kind of error.

A small world is built through the real services and must reconcile to 0 mismatches (so must the
seeded demo); then one error of each kind is planted behind the services' backs — a ledger line
changed with ``.update()``, a contribution inflated, a fund entry changed — and must be found, with
its kind and its object.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from coop.models import BatchContribution, Cooperative, Delivery, Farmer, FundEntry, LedgerEntry, Settlement
from coop.services import fund, ledger
from coop.services.intake import adjust_delivery, correct_delivery
from coop.services.packing import pack_batch
from coop.services.settlements import approve_settlement, month_bounds, pay_settlement, settle_period
from orders.models import Refund
from orders.services import impact
from quality.models import BoxCode, ComplianceCertificate, ReconciliationRun, RunImmutable
from quality.services import dashboard, epcis, reconcile
from tests.factories import buy, deliver, make_farmer, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """Two households of coop A with deliveries (one corrected, one adjusted), a packed batch, a donation,
    and a month settled, approved and paid — everything through the services."""
    coop = personas.coop_a
    set_prices(coop)
    other = make_farmer(coop, personas.village_a, head_name="阿苏木呷", hens=200)
    Farmer.objects.filter(pk=personas.farmer_a.pk).update(hens=200)
    personas.farmer_a.refresh_from_db()
    held = deliver(make_farmer(coop, personas.village_a, hens=3), accepted={"L": 40})
    assert held.held  # a delivery waiting for a manager is in no figure, and no mismatch
    d1 = deliver(personas.farmer_a, accepted={"L": 30, "M": 5}, rejected={"cracked": 1})
    d2 = deliver(other, accepted={"L": 20})
    d3 = deliver(other, accepted={"XL": 12})
    d3 = correct_delivery(d3, accepted={"XL": 10}, rejected={"cracked": 2}, reason="复核时数错")
    adjust_delivery(d2, amount=Decimal("1.20"), reason="补差价", key="t1")
    ledger.post_entry(farmer=personas.farmer_a, kind=LedgerEntry.FINE, amount=Decimal("-2.00"),
                      reason="罚款：公约第三条", dedupe_key="test:fine")
    batch = pack_batch(cooperative=coop, weight_class="L", pack_size=10, boxes=4)
    fund.record_donation(cooperative=coop, donor="成都某单位", amount=Decimal("500.00"),
                         hygiene_reserve=Decimal("100.00"))
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end, cooperative_ids=[coop.pk])
    paid = Settlement.objects.get(farmer=personas.farmer_a)
    approve_settlement(paid, user=personas.manager_a)
    pay_settlement(paid, reference="TX-1", user=personas.manager_a)
    return {"coop": coop, "d1": d1, "d2": d2, "d3": d3, "batch": batch, "paid": paid,
            "draft": Settlement.objects.get(farmer=other)}


def kinds(run):
    return {(m["kind"], m["object"]) for m in run.mismatches}


def test_it_finds_nothing_wrong_in_a_true_world(world):
    run = reconcile.run_reconciliation()
    assert run.mismatches == []
    assert run.mismatch_count == 0
    assert run.checks == ["settlements", "balances", "delivery_credits", "batches", "certificates", "epcis", "fund",
                          "programmes", "programme_households", "scan_pages", "dashboard"]
    assert run.finished_at >= run.started_at


def test_the_grouped_figures_the_checks_read_are_the_pages_own(world, personas):
    """The reconciliation reads every household's, cooperative's and dashboard card's published figure in a
    few grouped queries (a province has 300,000 households); each must be what the page of one shows."""
    today = timezone.localdate()
    coops = list(Cooperative.objects.all())
    ids = [c.pk for c in coops]
    balances = ledger.balances()
    for farmer in Farmer.objects.all():
        assert balances.get(farmer.pk, Decimal("0.00")) == ledger.balance(farmer)
    fund_balances = fund.all_balances()
    weeks = dashboard.week_totals_by_cooperative(ids, today)
    to_pack = dashboard.eggs_to_pack_by_cooperative(ids, today)
    cards = dashboard.settlement_summaries(ids)
    for coop in coops:
        for pool, _label in FundEntry.POOLS:
            assert fund_balances.get((coop.pk, pool), Decimal("0.00")) == fund.balance(coop, pool)
        one = dashboard.deliveries_summary([coop.pk], today)["totals"]
        assert weeks[coop.pk] == {k: v for k, v in one.items() if k != "held"}
        assert to_pack[coop.pk] == dashboard.eggs_to_pack([coop.pk], today)
        assert cards[coop.pk] == dashboard.settlement_summary([coop.pk])
    assert weeks[world["coop"].pk]["deliveries"] > 0 and cards[world["coop"].pk]["period"] is not None
    assert sum(to_pack[world["coop"].pk].values()) > 0
    assert fund_balances[(world["coop"].pk, FundEntry.GENERAL)] == Decimal("400.00")


def test_the_documents_and_pages_built_in_bulk_are_the_ones_served(world, monkeypatch):
    """The check reads every batch's EPCIS document and scan page a thousand at a time; each must be the one
    a buyer downloads or sees (the document's creation time aside), and the count must not grow per batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coop.models import Batch
    from quality.models import TraceCode
    from quality.services import scanpage, trace

    second = pack_batch(cooperative=world["coop"], weight_class="M", pack_size=5, boxes=1)
    for batch in (world["batch"], second):
        trace.trace_code_of(batch)
    monkeypatch.setattr(epcis, "DOCUMENTS_CHUNK", 1)  # two chunks: the chunking itself is exercised
    batches = list(Batch.objects.select_related("cooperative").order_by("pk"))
    with CaptureQueriesContext(connection) as bulk:
        documents = list(epcis.batch_documents(batches))
    assert len(bulk) == 6  # three per chunk
    for batch, document in documents:
        one = epcis.batch_document(batch)
        assert {**document, "creationDate": ""} == {**one, "creationDate": ""}
    assert [b.pk for b, _d in documents] == [world["batch"].pk, second.pk]
    traces = list(TraceCode.objects.order_by("pk"))
    with CaptureQueriesContext(connection) as bulk:
        pages = list(scanpage.page_contexts(traces))
    assert len(bulk) == 3  # batches with their certificates, contributions, bad-egg reports
    for code, page in pages:
        one = scanpage.page_context(code)
        assert {k: v for k, v in page.items() if k != "batch"} == {k: v for k, v in one.items() if k != "batch"}
        assert page["batch"].pk == one["batch"].pk and page["household_count"] > 0


def test_it_finds_a_ledger_line_changed_behind_the_ledgers_back(world):
    line = LedgerEntry.objects.get(dedupe_key=f"delivery:{world['d1'].pk}")
    LedgerEntry.objects.filter(pk=line.pk).update(amount=line.amount + Decimal("10.00"))
    found = kinds(reconcile.run_reconciliation())
    settlement = f"结算单 {world['paid'].pk}"
    assert ("settlement.gross", settlement) in found
    assert ("settlement.net", settlement) in found
    assert ("delivery.credit", f"交蛋记录 {world['d1'].pk}") in found


def test_it_finds_a_payslip_total_edited(world):
    Settlement.objects.filter(pk=world["draft"].pk).update(fines=Decimal("-5.00"))
    run = reconcile.run_reconciliation()
    assert [(m["kind"], m["object"], m["expected"], m["found"]) for m in run.mismatches] == [
        ("settlement.fines", f"结算单 {world['draft'].pk}", "0.00", "-5.00")]
    assert run.mismatches[0]["link"] == f"/admin/coop/settlement/{world['draft'].pk}/change/"


def test_it_finds_a_payout_that_does_not_match_the_payslip(world):
    payout = LedgerEntry.objects.get(dedupe_key=f"settlement:{world['paid'].pk}:payout")
    LedgerEntry.objects.filter(pk=payout.pk).update(amount=payout.amount - Decimal("1.00"))
    assert ("settlement.payout", f"结算单 {world['paid'].pk}") in kinds(reconcile.run_reconciliation())


def test_it_finds_a_household_balance_published_wrong(world, personas, monkeypatch):
    real = ledger.balances  # what the check reads: every household's published balance, grouped

    def one_off(farmer_ids=None):
        return {pk: total + (pk == personas.farmer_a.pk) for pk, total in real(farmer_ids).items()}

    monkeypatch.setattr(ledger, "balances", one_off)
    [m] = reconcile.run_reconciliation(checks=["balances"]).mismatches
    assert m["kind"] == "ledger.balance" and personas.farmer_a.head_name in m["object"]


def test_it_finds_a_payslip_that_settled_a_later_line(world):
    line = LedgerEntry.objects.filter(settlement=world["draft"]).first()
    LedgerEntry.objects.filter(pk=line.pk).update(occurred_on=world["draft"].period_end + datetime.timedelta(days=3))
    found = kinds(reconcile.run_reconciliation(checks=["balances"]))
    assert found == {("settlement.period", f"结算单 {world['draft'].pk}")}


def test_it_finds_a_delivery_credited_twice(world):
    d = world["d2"]
    LedgerEntry.objects.create(cooperative=d.cooperative, farmer=d.farmer, kind=LedgerEntry.DELIVERY,
                               amount=d.amount_due, reason="重复入账", source_type="coop.delivery", source_id=d.pk)
    found = kinds(reconcile.run_reconciliation())
    assert ("delivery.credited_twice", f"交蛋记录 {d.pk}") in found
    assert ("delivery.credit", f"交蛋记录 {d.pk}") in found


def test_it_finds_a_cancelled_delivery_still_credited(world):
    old = world["d3"].amended_from
    LedgerEntry.objects.filter(dedupe_key=f"delivery:{old.pk}:cancel").update(amount=Decimal("0.00"))
    assert ("delivery.cancelled_credited", f"交蛋记录 {old.pk}") in kinds(reconcile.run_reconciliation())


def test_it_finds_a_held_delivery_in_a_payslip(world):
    Delivery.objects.filter(pk=world["d1"].pk).update(flagged=True, flag_reason="测试")
    found = kinds(reconcile.run_reconciliation())
    assert ("delivery.held_settled", f"交蛋记录 {world['d1'].pk}") in found


def test_it_finds_an_amount_due_that_is_not_eggs_times_price(world):
    Delivery.objects.filter(pk=world["d2"].pk).update(amount_due=Decimal("99.00"))
    found = kinds(reconcile.run_reconciliation())
    assert ("delivery.amount_due", f"交蛋记录 {world['d2'].pk}") in found


def test_it_finds_a_contribution_inflated(world):
    contribution = BatchContribution.objects.filter(batch=world["batch"]).order_by("pk").first()
    BatchContribution.objects.filter(pk=contribution.pk).update(eggs=contribution.eggs + 25)
    found = kinds(reconcile.run_reconciliation())
    assert ("batch.eggs", f"批次 {world['batch'].code}") in found
    assert ("delivery.overpacked", f"交蛋记录 {contribution.delivery_id}（L）") in found


def test_it_finds_more_boxes_sold_than_packed(world, pairing, personas):
    order = buy(pairing, 2, personas.manager_a)
    allocation = order.lines.first().allocations.first()
    type(allocation).objects.filter(pk=allocation.pk).update(boxes=allocation.batch.boxes + 1)
    assert ("batch.oversold", f"批次 {allocation.batch.code}") in kinds(reconcile.run_reconciliation())


def test_it_finds_a_certificate_that_misstates_its_batch(world):
    batch = world["batch"]
    ComplianceCertificate.objects.filter(batch=batch).update(quantity="60 枚（6 盒 × 10 枚）")
    BoxCode.objects.create(trace=batch.trace, serial=batch.boxes + 1, code="EXTRA1")
    found = {(m["kind"], m["object"]): m for m in reconcile.run_reconciliation(checks=["certificates"]).mismatches}
    certificate = found[("certificate.quantity", f"合格证 {batch.certificate.number}")]
    assert certificate["expected"] == "40 枚（4 盒 × 10 枚）"
    assert found[("batch.box_codes", f"批次 {batch.code}")]["found"] == str(batch.boxes + 1)


def test_it_finds_an_epcis_document_that_misstates_the_rows(world, monkeypatch):
    real = epcis._document  # what builds the downloaded document and the ones the check reads

    def drops_an_input(*args):  # an export that lost one delivery's eggs on the way in
        document = real(*args)
        for event in document["epcisBody"]["eventList"]:
            if event["type"] == "TransformationEvent":
                event["inputQuantityList"][0]["quantity"] -= 1
        return document

    monkeypatch.setattr(epcis, "_document", drops_an_input)
    found = {(m["kind"], m["object"]): m for m in reconcile.run_reconciliation(checks=["epcis"]).mismatches}
    batch = world["batch"]
    assert found[("epcis.in", f"批次 {batch.code} 的 EPCIS")]["expected"] == str(batch.eggs)
    assert found[("epcis.in", f"批次 {batch.code} 的 EPCIS")]["found"] == str(batch.eggs - 1)


def test_it_finds_a_fund_entry_changed(world):
    entry = FundEntry.objects.get(pool=FundEntry.GENERAL, kind=FundEntry.DONATION)
    FundEntry.objects.filter(pk=entry.pk).update(amount=Decimal("300.00"))
    found = {m["kind"]: m for m in reconcile.run_reconciliation().mismatches}
    assert found["fund.donation.general"]["expected"] == "400.00"
    assert found["fund.donation.general"]["found"] == "300.00"


def test_it_finds_a_fund_balance_published_wrong(world, monkeypatch):
    monkeypatch.setattr(fund, "all_balances", lambda cooperative_ids=None: {
        (coop.pk, pool): Decimal("1.00") for coop in Cooperative.objects.all() for pool, _label in FundEntry.POOLS})
    found = {(m["kind"], m["expected"]) for m in reconcile.run_reconciliation().mismatches}
    assert ("fund.balance", "400.00") in found
    assert ("fund.balance", "100.00") in found


def test_it_finds_a_dashboard_that_counts_held_deliveries(world, monkeypatch):
    """A reporting bug (the dashboard reading every delivery, held and cancelled ones too) is caught."""
    monkeypatch.setattr(Delivery.objects.__class__, "counted", lambda self: self.all())
    found = {m["kind"] for m in reconcile.run_reconciliation(checks=["dashboard"]).mismatches}
    assert "dashboard.week.brought" in found
    assert "dashboard.week.amount" in found


def test_it_finds_a_dashboard_settlement_total_wrong(world, monkeypatch):
    real = dashboard.settlement_summaries  # every cooperative's settlement card, grouped

    def off_by_a_fen(ids):
        cards = real(ids)
        for shown in cards.values():
            if shown["period"] is not None:
                shown["carried_over"] += Decimal("0.01")
        return cards

    monkeypatch.setattr(dashboard, "settlement_summaries", off_by_a_fen)
    found = {m["kind"] for m in reconcile.run_reconciliation(checks=["dashboard"]).mismatches}
    assert found == {"dashboard.settlements.carried_over"}


def test_programme_income_reconciles_and_a_refund_left_out_is_found(world, pairing, personas, monkeypatch):
    order = buy(pairing, 2, personas.manager_a)
    assert reconcile.run_reconciliation(checks=["programmes"]).mismatches == []
    Refund.objects.create(order=order, payment=order.payments.get(), amount_fen=1000, status=Refund.SUCCEEDED,
                          out_refund_no="R-test-1", reason="少了一盒")
    real = impact.programme_report

    def forgets_refunds(programme, **kw):  # a report that counted the order's full total
        report = real(programme, **kw)
        report["totals"]["income"] += Decimal("10.00")
        return report

    monkeypatch.setattr(impact, "programme_report", forgets_refunds)
    [m] = reconcile.run_reconciliation(checks=["programmes"]).mismatches
    assert (m["kind"], m["object"], m["found"]) == ("programme.income", pairing.programme.name,
                                                    str(order.total))
    assert m["expected"] == str(order.total - Decimal("10.00"))


def test_money_reaching_households_reconciles_and_a_share_counted_twice_is_found(world, pairing, personas,
                                                                               monkeypatch):
    buy(pairing, 2, personas.manager_a)  # paid and packed: its boxes came from batches of the programme's village
    assert impact.programme_report(pairing.programme)["totals"]["reached"] > 0
    assert reconcile.run_reconciliation(checks=["programme_households"]).mismatches == []
    real = impact.household_shares

    def counts_one_share_twice(order_ids):  # a join that repeats a contribution
        rows = real(order_ids)
        return rows + rows[:1]

    monkeypatch.setattr(impact, "household_shares", counts_one_share_twice)
    [m] = reconcile.run_reconciliation(checks=["programme_households"]).mismatches
    assert m["kind"] == "programme.reached_households" and m["object"] == pairing.programme.name
    assert Decimal(m["found"]) > Decimal(m["expected"])


def test_a_scan_page_that_miscounts_the_households_is_found(world, monkeypatch):
    from quality.services import scanpage, trace

    trace.trace_code_of(world["batch"])  # the batch's scan page exists
    assert reconcile.run_reconciliation(checks=["scan_pages"]).mismatches == []
    real = scanpage._context  # what builds the scan page's context and the ones the check reads

    def counts_deliveries_as_households(*args):
        page = real(*args)
        page["household_count"] = len(page["batch"].contributions.all()) + 1
        return page

    monkeypatch.setattr(scanpage, "_context", counts_deliveries_as_households)
    found = {m["kind"] for m in reconcile.run_reconciliation(checks=["scan_pages"]).mismatches}
    assert found == {"scan_page.households"}


def test_runs_are_never_edited_or_deleted(world):
    run = reconcile.run_reconciliation()
    with pytest.raises(RunImmutable):
        run.save()
    with pytest.raises(RunImmutable):
        ReconciliationRun.objects.all().delete()


def test_the_command_reports_and_records(world):
    out = io.StringIO()
    call_command("reconcile", stdout=out)
    assert "0 处不符" in out.getvalue()
    Settlement.objects.filter(pk=world["draft"].pk).update(net=Decimal("1.00"))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("reconcile", stdout=out)
    assert exit_.value.code == 1
    assert f"settlement.net\t结算单 {world['draft'].pk}" in out.getvalue()
    assert ReconciliationRun.objects.count() == 2


def test_the_nightly_task_records_a_run(world):
    assert reconcile.reconcile_task.delay().get() == 0
    assert ReconciliationRun.objects.get().trigger == ReconciliationRun.BEAT


def test_the_demo_reconciles(seeded_demo):
    run = reconcile.run_reconciliation()
    assert run.mismatches == []


def test_the_admin_home_says_when_the_books_were_last_checked(world, client, personas):
    client.force_login(personas.manager_a)
    assert "账目还没有核对过" in client.get("/admin/").content.decode()
    run = reconcile.run_reconciliation()
    page = client.get("/admin/").content.decode()
    assert f"{timezone.localtime(run.finished_at):%Y-%m-%d %H:%M} · 0 处不符" in page
    assert ReconciliationRun.objects.count() == 1  # showing it wrote nothing


def test_the_admin_home_lists_each_mismatch_of_the_managers_own_cooperative(world, client, personas):
    Settlement.objects.filter(pk=world["draft"].pk).update(net=Decimal("1.00"))
    reconcile.run_reconciliation()
    client.force_login(personas.manager_a)
    page = client.get("/admin/").content.decode()
    assert "1 处不符" in page
    link = f'<a href="/admin/coop/settlement/{world["draft"].pk}/change/">结算单 {world["draft"].pk}</a>'
    assert link in page
    client.force_login(personas.manager_b)  # another cooperative's books: its own are in order
    page = client.get("/admin/").content.decode()
    assert "0 处不符" in page and f"结算单 {world['draft'].pk}" not in page


def test_the_paired_city_sees_that_the_books_were_checked(world, pairing, personas, client_for):
    from tests.orders.test_programme_coordinator import coordinator_of

    city = client_for(coordinator_of(pairing.programme))
    url = f"/programmes/{pairing.programme.pk}/"
    assert "账目核对：尚未进行。" in city.get(url).content.decode()
    run = reconcile.run_reconciliation()
    page = city.get(url).content.decode()
    assert f"上次 {timezone.localtime(run.finished_at):%Y-%m-%d %H:%M} · 0 处不符" in page
    Settlement.objects.filter(pk=world["draft"].pk).update(net=Decimal("1.00"))  # coop A's books, planted
    reconcile.run_reconciliation()
    page = city.get(url).content.decode()
    assert "1 处不符，合作社正在核查。" in page
    assert "settlement.net" not in page and "/admin/" not in page  # the fact, not the internals


def test_the_demo_still_reconciles_on_the_nights_that_follow(seeded_demo):
    """The run is nightly: on the demo's next nights — after the beat's sweeps have applied the penalties
    whose appeal window closed and cancelled unpaid orders, and as batches pass their best-before and the
    dashboard's week moves on — every figure must still be true."""
    import time_machine

    from orders.services.orders import cancel_unpaid
    from quality.services.penalties import apply_due_penalties

    for days in (1, 8, 31):
        with time_machine.travel(timezone.now() + datetime.timedelta(days=days), tick=False):
            apply_due_penalties()
            cancel_unpaid()
            assert reconcile.run_reconciliation().mismatches == [], f"{days} days after the demo was seeded"
