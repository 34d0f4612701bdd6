"""Issue 14: a month of a collective's life, day by day, and then the books reconcile to 0 mismatches.

November 2026 in 贺波洛乡合作社, two villages (尔吉村, 莫谷村), five households. The clock is moved with
``time-machine``, one morning at a time, and every operation goes through the product — prices through
the admin, deliveries, confirmations and corrections through the intake services, packing, labels,
scans on the scan page, orders paid in the sandbox and offline, a group buy picked up in the village, an
unpaid order swept, full and partial refunds, a recall, a programme order, bad-egg reports with their
penalties and appeals (one upheld, one waived, one applied when nobody appealed), a hygiene inspection and
award, the nightly reconciliation every night, and the month-end settlement run, approval and payment —
then a few days of December, whose payslip takes off the debt one household carried over. Only the
standing data (villages, households, the charter, products, the programme, the pickup point) is set up
directly, as an administrator would have entered it before the month began.

Then ``manage.py reconcile`` must find nothing wrong, and a few figures must equal what a person works
out by hand from the story below (the comments give the arithmetic).
"""

import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from coop.models import Batch, BatchContribution, Farmer, LedgerEntry, Settlement, SettlementRun
from coop.services import fund, intake, ledger, packing, settlements
from orders.models import Buyer, Order, OrderError, PickupPoint, Product, Refund
from orders.models.programmes import BuyerAffiliation, BuyerOrganisation, Programme
from orders.services import groupbuys, impact, payments, stock
from orders.services import orders as shop
from orders.services.payments.sandbox import SandboxPlatform
from quality.models import Appeal, BadEggReport, Charter, Clause, Penalty, Scan
from quality.services import appeals, epcis, labels, penalties, recall, reconcile, reports, scans
from quality.services.trace import scan_path
from tests.factories import PAIRING_ADDRESS, make_farmer, make_user, make_village

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOV = [datetime.date(2026, 11, d) for d in range(1, 31)]
PRICE_CHANGE = datetime.date(2026, 11, 16)  # L goes from ¥1.50 to ¥1.60 from this day
# What each household brings every morning (laid the day before): accepted counts by weight class.
DAILY = {"h1": {"L": 20}, "h2": {"L": 15, "M": 5}, "h3": {"L": 25}, "h4": {"L": 10, "M": 10}}
L_BOXES_PER_PACK = 20  # every third evening: 20 boxes × 10 eggs of L


def morning(day, hour=8):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


def set_price(client, coop, wc, price, day):
    """The manager sets a price on the admin's price page (prices have no service of their own)."""
    resp = client.post("/admin/coop/priceschedule/add/", {
        "cooperative": coop.pk, "weight_class": wc, "price_per_egg": price, "effective_from": f"{day:%Y-%m-%d}"})
    assert resp.status_code == 302, resp.content.decode()[:2000]


@pytest.fixture
def month(personas, client_for, django_capture_on_commit_callbacks):
    """Live the month; return what the assertions need."""
    coop, manager, committee = personas.coop_a, personas.manager_a, personas.committee_a
    erji = personas.village_a
    mogu = make_village(coop, name="莫谷村", altitude_m=2500)
    Farmer.objects.filter(pk=personas.farmer_a.pk).update(hens=40)
    h = {"h1": Farmer.objects.get(pk=personas.farmer_a.pk),
         "h2": make_farmer(coop, erji, head_name="沙马阿依", hens=40),
         "h3": make_farmer(coop, mogu, head_name="吉克阿牛", hens=40),
         "h4": make_farmer(coop, mogu, head_name="阿苏尔古", hens=40),
         "h5": make_farmer(coop, mogu, head_name="曲比石且", hens=10)}
    charter = Charter.objects.create(
        cooperative=coop, version=1, text="第一条 交蛋须新鲜干净……", adopted_on=datetime.date(2026, 6, 1),
        effective_from=datetime.date(2026, 7, 1), assembly_attendance=28, votes_for=26, votes_against=1,
        votes_abstain=1, appeal_window_days=7)
    Clause.objects.create(charter=charter, number="第五条", defect="any", from_offence=1,
                          text="交坏蛋的，每枚罚款二元。", fine_per_egg=Decimal("2.00"))
    product = Product.objects.create(cooperative=coop, name="绿壳鸡蛋 10枚装", weight_class="L", pack_size=10,
                                     price=Decimal("39.90"), per_order_limit=10)
    programme = Programme.objects.create(
        cooperative=coop, code="ZNMG16", name="紫南村—莫谷村结对帮扶", east_organisation="佛山市禅城区紫南村",
        east_city="佛山市", east_province="广东省", starts_on=datetime.date(2026, 1, 1))
    programme.villages.add(mogu)
    org = BuyerOrganisation.objects.create(cooperative=coop, name="佛山市禅城区某机关食堂",
                                           kind=BuyerOrganisation.INSTITUTION, contact_phone="13800009999")
    org.programmes.add(programme)
    canteen = Buyer.objects.create(user=personas.buyer, name="李主任", phone="13800001234", kind=Buyer.INSTITUTION)
    BuyerAffiliation.objects.create(buyer=canteen, organisation=org)
    zhang = Buyer.objects.create(user=make_user("zhangsan"), name="张三", phone="13800005678")
    wang = Buyer.objects.create(user=make_user("wangwu"), name="王五", phone="13900005678")
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
    admin = client_for(manager)
    out = {"h": h, "coop": coop, "product": product, "programme": programme, "orders": {}, "stock": {}, "nights": {}}

    def pay_in_sandbox(order, openid):
        payment, _data = payments.start_payment(order, provider_name="sandbox")
        with django_capture_on_commit_callbacks(execute=True):  # the platform's notification task
            SandboxPlatform().pay(payment.out_trade_no, openid=openid)
        order.refresh_from_db()
        assert order.status == Order.PAID
        return order

    def place(buyer, boxes, code=None):
        address = PAIRING_ADDRESS if code else {"recipient": buyer.name, "phone": buyer.phone,
                                                "address": "成都市武侯区某小区 3 栋"}
        order, _created = shop.place_order(buyer=buyer, items=[shop.Item(product, boxes)], address=address,
                                           programme_code=code)
        return order

    with time_machine.travel(morning(datetime.date(2026, 10, 31), 18), tick=True) as clock:
        set_price(admin, coop, "L", "1.50", NOV[0])
        set_price(admin, coop, "M", "1.20", NOV[0])
        set_price(admin, coop, "L", "1.60", PRICE_CHANGE)
        for day in NOV:
            clock.move_to(morning(day))
            laid = day - datetime.timedelta(days=1)
            got = {key: intake.record_delivery(farmer=h[key], laid_from=laid, accepted=counts,
                                               rejected={"cracked": 1} if key == "h3" and day.day % 5 == 0 else {},
                                               inspector=personas.inspector_a)
                   for key, counts in DAILY.items()}
            assert not any(d.held for d in got.values())
            if day.day == 5:
                # The inspector miscounted: 吉克阿牛 brought 23 good eggs and 2 more cracked, not 25 good ones.
                got["h3"] = intake.correct_delivery(got["h3"], accepted={"L": 23}, rejected={"cracked": 3},
                                                    reason="复核时数错", user=manager)
            if day.day == 7:
                # A money correction: 阿苏尔古's 10 M eggs were paid 12 fen each short (an old price was typed).
                intake.adjust_delivery(got["h4"], amount=Decimal("1.20"), reason="补差价", user=manager, key="n7")
            if day.day == 10:
                # 曲比石且 has 10 hens on the books and brings 30 eggs: held until a manager looks.
                held = intake.record_delivery(farmer=h["h5"], laid_from=laid, accepted={"L": 30})
                assert held.held
            if day.day == 11:
                # The manager visits: she bought 20 hens last month. Confirmed as recorded.
                intake.confirm_delivery(held, user=manager, reason="上月新买了 20 只鸡，已核实")
            if day.day == 20:
                wrong = intake.record_delivery(farmer=h["h5"], laid_from=laid, accepted={"L": 50})
                assert wrong.held
                # 50 was a neighbour's eggs put under her name; she brought 2 of her own.
                intake.correct_delivery(wrong, accepted={"L": 2}, reason="另一户的蛋算到了她名下", user=manager)
            if day.day == 8:
                order = out["orders"]["zhang"] = pay_in_sandbox(place(zhang, 2), "o-zhangsan")
                shop.pack_order(order, user=manager)
                shop.mark_shipped(order, courier_company="邮政", tracking_no="9876543210", user=manager)
                box = order.lines.get().allocations.first().batch.trace.boxes.order_by("serial")[0]
                scan_client = client_for(None)
                for _i in range(3):  # the buyer scans the box three times over the day
                    assert scan_client.get(scan_path(box.trace, box)).status_code == 200
                scans.flush_scans()
            if day.day == 12:
                out["orders"]["wang"] = pay_in_sandbox(place(wang, 3), "o-wangwu")
            if day.day == 13:
                # 王五 changed his mind before anything was packed: all his money back, his boxes free again.
                payments.refund(out["orders"]["wang"], out_refund_no="RF-WANG-1", reason="买家申请退款", user=manager)
            if day.day == 18:
                order = place(canteen, 5, code="ZNMG16")
                payments.record_offline_payment(order, reference="对公转账 20261118-01", user=manager)
                order.refresh_from_db()
                shop.pack_order(order, user=manager)
                shop.mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890", user=manager)
                out["orders"]["canteen"] = order
            if day.day == 13:
                # A canteen cook finds 30 dirty eggs in the batch packed last night; the manager traces them
                # to 曲比石且's 30 eggs of the 10th (all in that batch) and names her.
                (her_part,) = BatchContribution.objects.filter(delivery=held).select_related("batch")
                assert her_part.eggs == 30
                dirty, _merged = reports.submit_report(batch=her_part.batch, eggs=30, defect="dirty",
                                                       source=BadEggReport.SOURCE_MANAGER, rate_limited=False,
                                                       user=manager, note="食堂反映整盒脏蛋")
            if day.day == 14:
                (out["h5_penalty"],) = reports.confirm_report(dirty, user=manager, households={h["h5"]: 30},
                                                             reason="查明是她家鸡舍未清理")
            if day.day == 22:
                # Nobody appealed within the 7 days: the nightly sweep applies the fine.
                assert penalties.apply_due_penalties() == 1
            if day.day == 26:
                # 尔吉村's group buy, picked up at the village committee: 张三 takes 2 boxes, 王五 1.
                chain = groupbuys.create_group_buy(
                    cooperative=coop, product=product, title="尔吉村绿壳蛋接龙", price=Decimal("35.00"), stock_cap=10,
                    per_person_limit=3, deadline=morning(day, 20), pickup_point=pickup, user=manager,
                    leader_name="阿果")
                for buyer, boxes in ((zhang, 2), (wang, 1)):
                    joined, _created = shop.place_order(buyer=buyer, items=[shop.Item(product, boxes)],
                                                        group_buy=chain)
                    payments.record_offline_payment(joined, reference=f"接龙现金-{buyer.name}", user=manager)
                    out["orders"].setdefault("chain", []).append(joined)
            if day.day == 27:
                assert shop.close_due_group_buys() == 1
                for joined in out["orders"]["chain"]:
                    joined.refresh_from_db()
                    shop.pack_order(joined, user=manager)
                    shop.pick_up(code=joined.pickup_code, user=manager, group_buy=chain)
            if day.day == 28:
                late = pay_in_sandbox(place(zhang, 1), "o-zhangsan")
                shop.pack_order(late, user=manager)
                out["orders"]["late"] = late
            if day.day == 29:
                first = late.lines.get().allocations.get().batch
                with django_capture_on_commit_callbacks(execute=True):  # the buyers are told
                    recall.recall_batch(first, reason="抽检发现沙门氏菌，请勿食用", user=manager)
                with pytest.raises(OrderError, match="已召回批次"):
                    shop.mark_shipped(late, courier_company="邮政", tracking_no="9876543211", user=manager)
                payments.refund(late, out_refund_no="RF-RECALL-1", reason="批次召回，全额退款", user=manager)
            if day.day == 15:
                out["orders"]["unpaid"] = place(wang, 4)  # 王五 again, and he never pays
            if day.day == 16:
                assert shop.cancel_unpaid() == 1  # the sweep: his 4 held boxes are free again
            if day.day == 19:
                # Two eggs of the canteen's order were cracked: ¥7.98 back, handed over by the manager.
                part = payments.refund(out["orders"]["canteen"], out_refund_no="RF-CANTEEN-1", amount="7.98",
                                       reason="两枚破损赔付", user=manager)
                assert part.status == Refund.AWAITING_OFFLINE
                payments.confirm_offline_refund(part, user=manager, confirmation="微信转账 4200001118")
            if day.day == 21:
                m_batch = Batch.objects.get(weight_class="M")
                report, _merged = reports.submit_report(batch=m_batch, eggs=6, defect="rotten", rate_limited=False,
                                                        contact_phone="13800005678", note="打开 6 个都是臭的")
            if day.day == 22:
                out["penalties"] = reports.confirm_report(report, user=manager, reason="抽查同批次，确有臭蛋")
            if day.day == 23:
                by = {p.farmer_id: p for p in out["penalties"]}
                upheld = appeals.file_appeal(by[h["h2"].pk], user=manager, grounds="鸡蛋是放在村口晒坏的",
                                             on_behalf=True)
                waived = appeals.file_appeal(by[h["h4"].pk], user=manager, grounds="那几天我家没交中蛋",
                                             on_behalf=True)
            if day.day == 25:
                out["stock"]["nov25"] = stock.available_boxes(coop.pk, "L", 10)
            if day.day == 26:
                appeals.decide_appeal(upheld, user=committee, decision=Appeal.UPHELD, reason="查明确是保管不当",
                                      members_present="阿说、吉克、沙马")
                appeals.decide_appeal(waived, user=committee, decision=Appeal.WAIVED, reason="核对交蛋记录，理由属实",
                                      members_present="阿说、吉克、沙马")
            if day.day == 27:
                fund.record_donation(cooperative=coop, donor="佛山市禅城区紫南村", amount="1000",
                                     hygiene_reserve="200", purpose="鸡舍卫生奖励", user=manager)
                with pytest.raises(fund.FundError, match="只能给尔吉村的农户打分"):
                    fund.record_inspection(cooperative=coop, village=erji, scores={h["h3"]: 99})
                inspection = fund.record_inspection(cooperative=coop, village=erji, scores={h["h1"]: 95, h["h2"]: 80},
                                                    inspectors="阿说、吉克", user=manager)
                fund.award_hygiene(inspection.scores.get(farmer=h["h1"]), amount="50", user=manager)
            if day.day % 3 == 0:
                clock.move_to(morning(day, 18))
                packing.pack_batch(cooperative=coop, weight_class="L", pack_size=10, boxes=L_BOXES_PER_PACK,
                                   user=manager)
            if day.day == 7:
                clock.move_to(morning(day, 18))
                packing.pack_batch(cooperative=coop, weight_class="M", pack_size=10, boxes=10, user=manager)
            # Every night the beat task reconciles the books as they stand: mid-month too (held deliveries,
            # refunds waiting, appeals pending, nothing settled yet) every figure must be true.
            clock.move_to(morning(day, 23))
            nightly = reconcile.reconcile_task()
            out["nights"][day] = nightly and reconcile.latest_run().mismatches

        # 1 December: the month-end run, then approve and pay every payslip.
        clock.move_to(morning(datetime.date(2026, 12, 1), 9))
        start, end = settlements.month_bounds(NOV[0])
        with django_capture_on_commit_callbacks(execute=True):
            run = settlements.start_settlement_run(cooperative=coop, period_start=start, period_end=end, user=manager)
        run.refresh_from_db()
        assert run.status == SettlementRun.DONE
        for s in Settlement.objects.filter(cooperative=coop, period_start=start, period_end=end).order_by("pk"):
            settlements.approve_settlement(s, user=manager)
            settlements.pay_settlement(s, reference=f"WXB-202612-{s.farmer.member_no}", user=manager)
        out["labels"] = labels.render_labels(Batch.objects.filter(weight_class="L", status=Batch.PACKED).latest("pk"))
        with pytest.raises(labels.LabelRequestError):  # a recalled batch prints no more labels
            labels.render_labels(Batch.objects.get(status=Batch.RECALLED))
        out["certificate"] = labels.certificate_pdf(Batch.objects.get(weight_class="M").certificate)
        out["run"] = reconcile.run_reconciliation()
        command = io.StringIO()
        try:
            call_command("reconcile", stdout=command)
            out["command_exit"] = 0
        except SystemExit as exc:  # 1 on any mismatch; kept so the test shows the mismatches themselves
            out["command_exit"] = exc.code
        out["command"] = command.getvalue()
        out["dec1_stock"] = stock.available_boxes(coop.pk, "L", 10)
        out["h5_balance_dec1"] = ledger.balance(h["h5"])

        # A few days of December for 曲比石且, then its month-end: her November debt comes off her pay.
        for d in (2, 3, 4, 5):
            clock.move_to(morning(datetime.date(2026, 12, d)))
            intake.record_delivery(farmer=h["h5"], laid_from=datetime.date(2026, 12, d - 1), accepted={"L": 10})
        clock.move_to(morning(datetime.date(2027, 1, 1), 9))
        start, end = settlements.month_bounds(datetime.date(2026, 12, 1))
        with django_capture_on_commit_callbacks(execute=True):
            settlements.start_settlement_run(cooperative=coop, period_start=start, period_end=end, user=manager)
        for s in Settlement.objects.filter(cooperative=coop, period_start=start).order_by("pk"):
            settlements.approve_settlement(s, user=manager)
            settlements.pay_settlement(s, reference=f"WXB-202701-{s.farmer.member_no}", user=manager)
        out["january_run"] = reconcile.run_reconciliation()
    return out


def test_a_month_of_life_reconciles_and_adds_up(month):
    """One test over one month (living it takes most of the time): the reconciliation, then the figures,
    then an error planted last, since it spoils the books."""
    reconciles_to_zero(month)
    payslips_match_the_hand_sums(month)
    household_balance_is_the_sum_of_its_lines(month)
    stock_programme_and_fund_match_the_story(month)
    an_error_planted_in_the_books_is_found(month)


def reconciles_to_zero(month):
    assert {day: found for day, found in month["nights"].items() if found} == {}
    assert len(month["nights"]) == 30
    assert month["run"].checks == [name for name, _check in reconcile.CHECKS]
    assert month["run"].mismatches == []
    assert month["run"].mismatch_count == 0
    assert "0 处不符" in month["command"] and month["command_exit"] == 0


def payslips_match_the_hand_sums(month):
    h = month["h"]
    slips = {key: Settlement.objects.get(farmer=farmer, period_start=NOV[0]) for key, farmer in h.items()}
    assert all(s.status == Settlement.PAID for s in slips.values())
    # 吉克拉哈 (h1): 20 L a day; 15 days at ¥1.50 and 15 at ¥1.60 = 450 + 480; hygiene award ¥50.
    assert (slips["h1"].gross, slips["h1"].fines, slips["h1"].rewards, slips["h1"].net) == (
        Decimal("930.00"), Decimal("0.00"), Decimal("50.00"), Decimal("980.00"))
    # 沙马阿依 (h2): 15 L a day (15 × 1.50 × 15 + 15 × 1.60 × 15 = 337.50 + 360) and 5 M a day (5 × 1.20 × 30
    # = 180); her appeal was upheld: 2 of the 6 bad eggs of the M batch were hers (35 of its 100 eggs) × ¥2.
    assert (slips["h2"].gross, slips["h2"].fines, slips["h2"].net) == (
        Decimal("877.50"), Decimal("-4.00"), Decimal("873.50"))
    # 吉克阿牛 (h3): 25 L a day = 562.50 + 600, less the day-5 correction (2 eggs × ¥1.50). Cancel-and-amend
    # keeps both credits (37.50 and 34.50) and reverses the first as an adjustment.
    assert (slips["h3"].gross, slips["h3"].adjustments, slips["h3"].net) == (
        Decimal("1197.00"), Decimal("-37.50"), Decimal("1159.50"))
    # 阿苏尔古 (h4): 10 L (225 + 240) + 10 M (10 × 1.20 × 30 = 360) + the ¥1.20 adjustment; penalty waived.
    assert (slips["h4"].gross, slips["h4"].fines, slips["h4"].adjustments, slips["h4"].net) == (
        Decimal("825.00"), Decimal("0.00"), Decimal("1.20"), Decimal("826.20"))
    # 曲比石且 (h5): 30 L confirmed (¥1.50) and the held 50 corrected to 2 (¥1.60) = 45 + 3.20; fined 30 × ¥2:
    # she owes ¥11.80, paid nothing, and the debt is carried into December.
    assert (slips["h5"].gross, slips["h5"].fines, slips["h5"].net, slips["h5"].carried_over,
            slips["h5"].paid_out) == (Decimal("48.20"), Decimal("-60.00"), Decimal("-11.80"), Decimal("11.80"),
                                      Decimal("0.00"))
    assert month["h5_balance_dec1"] == Decimal("-11.80")
    # December: 4 × 10 L × ¥1.60 = 64.00, less the ¥11.80 carried in (dated 1 December, inside the period).
    december = Settlement.objects.get(period_start=datetime.date(2026, 12, 1))
    assert december.farmer_id == h["h5"].pk and december.period_end == datetime.date(2026, 12, 31)
    assert (december.gross, december.adjustments, december.net, december.paid_out) == (
        Decimal("64.00"), Decimal("-11.80"), Decimal("52.20"), Decimal("52.20"))
    carried_in = december.lines.get(kind=LedgerEntry.ADJUSTMENT)
    assert (carried_in.amount, carried_in.occurred_on) == (Decimal("-11.80"), datetime.date(2026, 12, 1))
    assert ledger.balance(h["h5"]) == Decimal("0.00")
    assert month["january_run"].mismatches == []
    assert sum(s.net for s in slips.values()) == Decimal("3827.40")
    assert sum(s.paid_out for s in slips.values()) == Decimal("3839.20")
    penalties = {p.farmer_id: p for p in Penalty.objects.all()}
    assert penalties[h["h2"].pk].status == Penalty.APPLIED and penalties[h["h4"].pk].status == Penalty.WAIVED
    assert penalties[h["h5"].pk].status == Penalty.APPLIED and penalties[h["h5"].pk].amount == Decimal("60.00")


def household_balance_is_the_sum_of_its_lines(month):
    h1 = month["h"]["h1"]
    lines = list(LedgerEntry.objects.filter(farmer=h1).values_list("kind", "amount"))
    # 30 deliveries, the award, and the payout.
    assert sorted({k for k, _a in lines}) == sorted({LedgerEntry.DELIVERY, LedgerEntry.REWARD, LedgerEntry.PAYOUT})
    assert len(lines) == 32
    assert sum(a for k, a in lines if k != LedgerEntry.PAYOUT) == Decimal("980.00")
    assert ledger.balance(h1) == sum(a for _k, a in lines) == Decimal("0.00")


def stock_programme_and_fund_match_the_story(month):
    coop = month["coop"]
    # On 25 November: 8 L batches packed (evenings of the 3rd … 24th) = 160 boxes; 张三's 2 and the canteen's
    # 5 are gone, 王五's 3 came back with his refund.
    assert month["stock"]["nov25"] == 160 - 2 - 5
    assert Batch.objects.filter(weight_class="L").count() == 10
    assert Refund.objects.get(out_refund_no="RF-WANG-1").status == Refund.SUCCEEDED
    assert Order.objects.get(pk=month["orders"]["wang"].pk).status == Order.REFUNDED
    # The box 张三 ordered on the 28th was of the batch recalled on the 29th: refunded, never shipped.
    assert Order.objects.get(pk=month["orders"]["late"].pk).status == Order.REFUNDED
    assert Batch.objects.filter(status=Batch.RECALLED).count() == 1
    assert Order.objects.get(pk=month["orders"]["unpaid"].pk).status == Order.CANCELLED
    # On 1 December the batch of the 3rd is recalled and the batch of the 6th (eggs from 2 November on, best
    # before the 30th) has expired: the 8 batches of the 9th … 30th are for sale, untouched (every box sold
    # came from the recalled batch, the earliest best-before).
    assert month["dec1_stock"] == 8 * L_BOXES_PER_PACK
    # Of the recalled batch, 张三's 2 boxes, the canteen's 5 and the group buy's 2 + 1 left (100 eggs); the box
    # refunded before it left is not shipping.
    recalled = Batch.objects.get(status=Batch.RECALLED)
    shipped = [e for e in epcis.batch_document(recalled)["epcisBody"]["eventList"] if e.get("bizStep") == "shipping"]
    assert sorted(sum(q["quantity"] for q in e["quantityList"]) for e in shipped) == [10, 20, 20, 50]
    assert all(Order.objects.get(pk=o.pk).status == Order.COMPLETED for o in month["orders"]["chain"])
    # Only the canteen's order was bought under the programme: 5 × ¥39.90, less the ¥7.98 given back.
    report = impact.programme_report(month["programme"])
    assert report["totals"]["income"] == Decimal("191.52")
    # Its 50 eggs came from the batch of the 3rd (200 eggs: 吉克拉哈 60, 沙马阿依 45, 吉克阿牛 75, 阿苏尔古 20, all L
    # at ¥1.50): 15, 11.25, 18.75 and 5 eggs reached them, ¥75.00 in all; 尔吉村 26.25 eggs, 莫谷村 23.75.
    h = month["h"]
    reached = {r["farmer_id"]: r["reached"] for r in report["households"]}
    assert report["totals"]["reached"] == sum(reached.values()) == Decimal("75.00")
    assert (reached[h["h1"].pk], reached[h["h4"].pk]) == (Decimal("22.50"), Decimal("7.50"))
    # ¥16.875 and ¥28.125: the one fen left over goes to one of the two, never to both or neither.
    assert sorted([reached[h["h2"].pk], reached[h["h3"].pk]]) in (
        [Decimal("16.87"), Decimal("28.13")], [Decimal("16.88"), Decimal("28.12")])
    # Income by village in proportion to the eggs (191.52 × 26.25 / 50 = 100.548), adding up to the total.
    villages = {r["name"]: r["income"] for r in report["villages"]}
    assert villages == {"尔吉村": Decimal("100.55"), "莫谷村": Decimal("90.97")}
    # The donation: ¥800 general, ¥200 hygiene less the ¥50 award.
    assert fund.balances(coop) == {"general": Decimal("800.00"), "hygiene": Decimal("150.00")}
    assert Scan.objects.count() == 3
    assert month["labels"].startswith(b"%PDF") and month["certificate"].startswith(b"%PDF")


def an_error_planted_in_the_books_is_found(month):
    """The 0 above is not a reconciliation that looks at nothing: one fen changed behind the ledger's back
    in the month's books is found, on the payslip that settled it and on the household's balance."""
    line = LedgerEntry.objects.filter(farmer=month["h"]["h3"], kind=LedgerEntry.DELIVERY).earliest("pk")
    LedgerEntry.objects.filter(pk=line.pk).update(amount=line.amount + Decimal("0.01"))
    run = reconcile.run_reconciliation()
    kinds = {m["kind"] for m in run.mismatches}
    assert {"settlement.gross", "settlement.net", "delivery.credit"} <= kinds
    assert run.mismatch_count >= 3
