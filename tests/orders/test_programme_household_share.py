"""The money that reached households: traced through batches and deliveries to the ledger, to the fen."""

from decimal import Decimal

from coop.models import LedgerEntry
from orders.services import impact
from tests.factories import buy, place


def ledger_credit(farmer):
    return sum(LedgerEntry.objects.filter(farmer=farmer, kind=LedgerEntry.DELIVERY).values_list("amount", flat=True),
               Decimal("0.00"))


def test_buying_whole_batches_reaches_each_household_exactly_its_ledger_credit(pairing, personas):
    # 10 boxes = both batches entirely (5 + 5): every contributed egg was bought under the programme.
    buy(pairing, 10, personas.manager_a)
    report = impact.programme_report(pairing.programme)

    reached = {r["farmer_id"]: r["reached"] for r in report["households"]}
    f0, f1, f2 = pairing.farmers
    assert reached[f0.pk] == ledger_credit(f0) == Decimal("41.10")  # 30 eggs × ¥1.37
    # Household 1 delivered 20 + 25 eggs but only 20 + 20 were packed: 5 eggs still wait in stock.
    assert reached[f1.pk] == ledger_credit(f1) - 5 * Decimal("1.37") == Decimal("54.80")
    assert reached[f2.pk] == ledger_credit(f2) == Decimal("41.10")
    assert report["totals"]["reached"] == Decimal("137.00") == sum(reached.values())
    assert report["totals"]["households"] == 3
    assert report["totals"]["income"] == Decimal("399.00")


def test_part_of_a_batch_carries_its_share_of_each_contribution(pairing, personas):
    # 2 boxes = 20 of batch 1's 50 eggs: 2/5 of household 0's 30 eggs and of household 1's 20.
    buy(pairing, 2, personas.manager_a)
    report = impact.programme_report(pairing.programme)
    reached = {r["farmer_id"]: r["reached"] for r in report["households"]}
    f0, f1, _f2 = pairing.farmers
    assert reached == {f0.pk: Decimal("16.44"), f1.pk: Decimal("10.96")}  # 12 × 1.37, 8 × 1.37
    assert report["totals"]["reached"] == Decimal("27.40")
    mogu = next(v for v in report["villages"] if v["village_id"] == pairing.village.pk)
    assert mogu["eggs"] == 20 and mogu["income"] == Decimal("79.80") and mogu["households"] == 2


def test_a_ledger_correction_changes_what_reached_the_household(pairing, personas):
    """The ledger is the truth: if a credit was corrected, the report follows the posted credit."""
    from coop.services.ledger import post_entry

    f0 = pairing.farmers[0]
    delivery = f0.deliveries.get()
    post_entry(farmer=f0, kind=LedgerEntry.DELIVERY, amount=Decimal("4.11"), reason="补记 3 枚",
               source=delivery, dedupe_key=f"delivery:{delivery.pk}:fix")
    buy(pairing, 5, personas.manager_a)  # all of batch 1
    reached = {r["farmer_id"]: r["reached"] for r in impact.programme_report(pairing.programme)["households"]}
    assert reached[f0.pk] == Decimal("45.21")


def test_unpacked_orders_count_as_income_but_reach_no_household_yet(pairing, personas):
    buy(pairing, 3, personas.manager_a, pack=False)
    place(pairing, 1)  # unpaid
    report = impact.programme_report(pairing.programme)
    assert report["totals"]["income"] == Decimal("119.70")
    assert report["totals"]["reached"] == Decimal("0.00")
    assert report["totals"]["unpacked_income"] == Decimal("119.70")


def test_a_village_report_shows_only_that_village(pairing, personas):
    buy(pairing, 10, personas.manager_a)
    report = impact.programme_report(pairing.programme, village=pairing.other_village)
    assert [r["farmer_id"] for r in report["households"]] == [pairing.farmers[2].pk]
    assert report["totals"]["reached"] == Decimal("41.10")
    assert report["totals"]["eggs"] == 30


def test_the_chart_and_excel_carry_the_same_numbers(pairing, personas):
    from io import BytesIO

    from openpyxl import load_workbook

    buy(pairing, 10, personas.manager_a)
    report = impact.programme_report(pairing.programme)
    svg = impact.monthly_chart_svg(report["months"])
    assert svg.startswith("<svg") and "¥399.00" in svg and "¥137.00" in svg
    wb = load_workbook(BytesIO(impact.report_workbook(report)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][2])) == Decimal("399.00")
    assert Decimal(str(rows[-1][5])) == Decimal("137.00")


def test_rounding_to_the_fen_never_drifts_from_the_exact_total():
    from fractions import Fraction

    thirds = {(m, f): Fraction(1, 3) for m in ("2026-10", "2026-11") for f in (1, 2, 3)}  # ¥2.00 in all
    fen = impact.apportion_by_household(thirds)
    assert sum(fen.values()) == Decimal("2.00")
    assert sorted(sum(v for (m, f), v in fen.items() if f == x) for x in (1, 2, 3)) == [
        Decimal("0.66"), Decimal("0.67"), Decimal("0.67")]
    assert all(abs(v - Decimal("0.3333")) < Decimal("0.01") for v in fen.values())


def test_the_tables_add_up_to_the_totals(pairing, personas):
    for boxes in (1, 1, 3, 2):
        buy(pairing, boxes, personas.manager_a)
    report = impact.programme_report(pairing.programme)
    t = report["totals"]
    assert sum(r["reached"] for r in report["households"]) == t["reached"]
    assert sum(r["reached"] for r in report["months"]) == t["reached"]
    assert sum(r["reached"] for r in report["villages"]) == t["reached"]
    assert t["reached"] == Decimal("95.90")  # 70 eggs × ¥1.37


def test_a_correction_posted_on_a_delivery_carries_to_the_household(pairing, personas):
    """Issue 14.3: ``adjust_delivery`` (an adjustment on the delivery) is what the delivery paid."""
    from coop.services.intake import adjust_delivery

    f0 = pairing.farmers[0]
    adjust_delivery(f0.deliveries.get(), amount=Decimal("4.11"), reason="补记 3 枚", user=personas.manager_a,
                    key="fix-1")
    buy(pairing, 5, personas.manager_a)  # all of batch 1
    report = impact.programme_report(pairing.programme)
    reached = {r["farmer_id"]: r["reached"] for r in report["households"]}
    assert reached[f0.pk] == Decimal("45.21")  # 41.10 credited + 4.11 corrected


def test_every_village_table_adds_up_to_its_income(pairing, personas):
    """Issue 14.4: three villages' equal thirds of ¥39.80 are apportioned, not rounded one by one."""
    import datetime

    from tests.factories import deliver_yesterday, make_batch, make_farmer, make_village

    third = make_village(pairing.coop, name="洛古村")
    villages = [pairing.village, pairing.other_village, third]
    deliveries = [deliver_yesterday(make_farmer(pairing.coop, v, hens=200), 10) for v in villages]
    first = make_batch(pairing.coop, deliveries=deliveries, weight_class="L", pack_size=10, boxes=3, code="HBLA-P0")
    first.best_before = pairing.batches[0].best_before - datetime.timedelta(days=1)
    first.save(update_fields=["best_before"])
    pairing.product.price = Decimal("39.80")
    pairing.product.save(update_fields=["price"])
    buy(pairing, 1, personas.manager_a)  # one box: 10 eggs, 10/3 from each village
    report = impact.programme_report(pairing.programme)
    assert report["totals"]["income"] == Decimal("39.80")
    incomes = sorted(v["income"] for v in report["villages"])
    assert sum(incomes) == Decimal("39.80") and incomes == [Decimal("13.26"), Decimal("13.27"), Decimal("13.27")]
    one = impact.programme_report(pairing.programme, village=third)
    assert sum(r["income"] for r in one["months"]) == one["villages"][0]["income"]
