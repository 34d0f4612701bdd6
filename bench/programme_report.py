"""Impact report speed: a programme's year — 2,000 paid orders allocated to 200 batches made of 600
deliveries by 60 households, each delivery credited on the ledger.

Prints the time of the full report (income, eggs, households and the money that reached each
household, traced order → batch → delivery → ledger, exact to the fen) beside the baseline of the
plain "income" figure (the sum of the paid orders), and the time to issue one certificate and draw
its PDF. Target: the full report of a year under 2 s on the 2-core machine.

    .venv/bin/python bench/programme_report.py
Runs on a throw-away SQLite database; nothing else is needed.
"""

import datetime
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import sqlite_django, timed  # noqa: E402

TMP = sqlite_django("programme")
from django.core.management import call_command  # noqa: E402

ORDERS, BATCHES, FARMERS = 2000, 200, 60


def build():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from coop.models import Batch, BatchContribution, Delivery, LedgerEntry
    from orders.models import Allocation, Buyer, Order, OrderLine, Product
    from orders.models.programmes import BuyerAffiliation, BuyerOrganisation, Programme, ProgrammeAttribution
    from tests.factories import make_cooperative, make_farmer, make_village

    coop = make_cooperative(name="贺波洛乡高山绿壳蛋专业合作社", producer_code="HBL")
    villages = [make_village(coop, name=n) for n in ("桌古村", "尔吉村", "莫谷村")]
    farmers = [make_farmer(coop, villages[i % 3], hens=300) for i in range(FARMERS)]
    start = datetime.date(2026, 1, 5)
    price = Decimal("1.37")
    deliveries = Delivery.objects.bulk_create([
        Delivery(cooperative=coop, farmer=farmers[i % FARMERS], laid_from=start, laid_to=start, eggs_brought=50,
                 accepted_l=50, price_l=price, amount_due=price * 50,
                 received_at=timezone.make_aware(datetime.datetime(2026, 1, 5) + datetime.timedelta(hours=i)))
        for i in range(BATCHES * 3)])
    LedgerEntry.objects.bulk_create([
        LedgerEntry(cooperative=coop, farmer_id=d.farmer_id, kind=LedgerEntry.DELIVERY, amount=d.amount_due,
                    reason="交蛋", source_type="coop.delivery", source_id=d.pk, dedupe_key=f"delivery:{d.pk}",
                    occurred_on=start) for d in deliveries])
    batches = Batch.objects.bulk_create([
        Batch(cooperative=coop, code=f"HBL-B{i:04d}", weight_class="L", pack_size=10, boxes=15, eggs=150,
              laid_from=start, laid_to=start, best_before=start + datetime.timedelta(days=28))
        for i in range(BATCHES)])
    BatchContribution.objects.bulk_create([
        BatchContribution(batch=b, delivery=deliveries[i * 3 + k], eggs=50) for i, b in enumerate(batches)
        for k in range(3)])
    product = Product.objects.create(cooperative=coop, name="10枚装", weight_class="L", pack_size=10,
                                     price=Decimal("39.90"))
    programme = Programme.objects.create(cooperative=coop, code="ZNMG16", name="紫南村—莫谷村结对帮扶",
                                         east_organisation="佛山市禅城区紫南村", east_city="佛山市",
                                         east_province="广东省", starts_on=datetime.date(2016, 10, 1))
    org = BuyerOrganisation.objects.create(cooperative=coop, name="禅城区南庄镇中心小学食堂",
                                           kind=BuyerOrganisation.INSTITUTION)
    user = get_user_model().objects.create(username="canteen")
    buyer = Buyer.objects.create(user=user, name="王老师", phone="13800000003")
    BuyerAffiliation.objects.create(buyer=buyer, organisation=org)
    orders = Order.objects.bulk_create([
        Order(cooperative=coop, buyer=buyer, number=f"N{i:08d}", status=Order.COMPLETED, total=Decimal("39.90"),
              pickup_code=f"P{i:08d}", placed_at=timezone.make_aware(datetime.datetime(2026, 1 + i % 11, 10)),
              paid_at=timezone.make_aware(datetime.datetime(2026, 1 + i % 11, 10)),
              pay_by=timezone.now()) for i in range(ORDERS)])
    lines = OrderLine.objects.bulk_create([
        OrderLine(order=o, product=product, name="10枚装", weight_class="L", pack_size=10, boxes=1,
                  unit_price=Decimal("39.90")) for o in orders])
    # 2,000 boxes over 200 batches of 15 boxes: 10 per batch (orders buy part of every batch).
    Allocation.objects.bulk_create([Allocation(line=ln, batch=batches[i % BATCHES], boxes=1)
                                    for i, ln in enumerate(lines)])
    ProgrammeAttribution.objects.bulk_create([
        ProgrammeAttribution(order=o, programme=programme, organisation=org, source="link") for o in orders])
    return programme, org


def main():
    call_command("migrate", verbosity=0)
    programme, org = build()
    from django.utils import timezone

    from orders.services import impact, programmes, statements

    base_t, _fastest, income = timed(lambda: programmes.counted_total(programme))
    full_t, _fastest, report = timed(lambda: impact.programme_report(programme))
    assert report["totals"]["income"] == income == Decimal("79800.00")
    # Every bought egg was 10/15 of its batch: the households got 2/3 of every credit of the year.
    assert report["totals"]["reached"] == Decimal("27400.00"), report["totals"]["reached"]
    issue_t, _fastest, st = timed(lambda: statements.issue_statement(programme=programme, organisation=org,
                                                           start=datetime.date(2026, 1, 1),
                                                           end=timezone.localdate()), runs=1)
    pdf_t, _fastest, pdf = timed(lambda: statements.render_pdf(st))
    xlsx_t, _fastest, xlsx = timed(lambda: impact.report_workbook(report))
    print(f"orders={ORDERS} batches={BATCHES} deliveries={BATCHES * 3} households={FARMERS}")
    print(f"baseline  sum of paid orders      {base_t * 1000:8.1f} ms   income ¥{income}")
    print(f"full      report (to households)  {full_t * 1000:8.1f} ms   reached ¥{report['totals']['reached']} "
          f"households={report['totals']['households']} months={len(report['months'])}")
    print(f"ratio     full / baseline         {full_t / base_t:8.1f} x")
    print(f"certificate issue (figures)       {issue_t * 1000:8.1f} ms")
    print(f"certificate PDF                   {pdf_t * 1000:8.1f} ms   {len(pdf) // 1024} KiB")
    print(f"Excel export                      {xlsx_t * 1000:8.1f} ms   {len(xlsx) // 1024} KiB")
    print("target: full report < 2000 ms:", "OK" if full_t < 2 else "MISSED")


if __name__ == "__main__":
    main()
