from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from coop.models import Batch, FundEntry, LedgerEntry, Settlement
from coop.services import fund, ledger
from coop.services.settlements import approve_settlement, month_bounds, settle_period
from tests.factories import deliver, make_batch, make_farmer, set_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(personas):
    set_prices(personas.coop_a)
    set_prices(personas.coop_b)
    deliver(personas.farmer_a, accepted={"L": 20})
    deliver(personas.farmer_b, accepted={"L": 10})
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    return personas


def test_lists_are_searchable_and_show_only_the_managers_cooperative(books, client_for):
    c = client_for(books.manager_a)
    for url in ["/admin/coop/delivery/", "/admin/coop/ledgerentry/", "/admin/coop/settlement/"]:
        text = c.get(url).content.decode()
        assert books.farmer_a.head_name in text and books.farmer_b.head_name not in text, url
    found = c.get("/admin/coop/settlement/", {"q": books.farmer_a.member_no}).content.decode()
    assert books.farmer_a.head_name in found
    other = Settlement.objects.get(farmer=books.farmer_b)
    assert c.get(f"/admin/coop/settlement/{other.pk}/change/").status_code == 302  # not found → redirect
    assert c.get("/admin/coop/settlement/", {"status__exact": "draft"}).status_code == 200


def test_the_ledger_cannot_be_edited_or_deleted_in_the_admin(books, client_for):
    c = client_for(books.manager_a)
    entry = LedgerEntry.objects.get(farmer=books.farmer_a)
    page = c.get(f"/admin/coop/ledgerentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert c.post(f"/admin/coop/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert c.get("/admin/coop/ledgerentry/add/").status_code == 403


def test_managers_approve_and_pay_with_a_reference_from_the_admin(books, client_for):
    c = client_for(books.manager_a)
    s = Settlement.objects.get(farmer=books.farmer_a)
    c.post("/admin/coop/settlement/", {"action": "approve", ACTION_CHECKBOX_NAME: [s.pk]})
    s.refresh_from_db()
    assert s.status == Settlement.APPROVED
    ask = c.post("/admin/coop/settlement/", {"action": "pay", ACTION_CHECKBOX_NAME: [s.pk]})
    assert ask.status_code == 200 and "付款凭证号" in ask.content.decode()
    c.post("/admin/coop/settlement/", {"action": "pay", ACTION_CHECKBOX_NAME: [s.pk], "confirm": "1",
                                       "value": "WXB-20261130"})
    s.refresh_from_db()
    assert s.status == Settlement.PAID and s.payment_reference == "WXB-20261130" and s.paid_by == books.manager_a


def test_a_committee_member_may_read_but_not_pay(books, client_for):
    c = client_for(books.committee_a)
    s = Settlement.objects.get(farmer=books.farmer_a)
    approve_settlement(s)
    assert c.get("/admin/coop/settlement/").status_code == 200
    c.post("/admin/coop/settlement/", {"action": "pay", ACTION_CHECKBOX_NAME: [s.pk], "confirm": "1",
                                       "value": "X"})
    s.refresh_from_db()
    assert s.status == Settlement.APPROVED


def test_a_batch_shows_where_its_eggs_came_from_and_sells_out_by_action(books, client_for):
    batch = make_batch(books.coop_a)
    c = client_for(books.manager_a)
    page = c.get(f"/admin/coop/batch/{batch.pk}/change/").content.decode()
    assert "这批蛋来自哪些交蛋记录" in page
    c.post("/admin/coop/batch/", {"action": "mark_sold_out", ACTION_CHECKBOX_NAME: [batch.pk]})
    assert Batch.objects.get(pk=batch.pk).status == Batch.SOLD_OUT
    assert c.get("/admin/coop/batch/add/")["Location"] == "/books/pack/"


def test_the_farmer_form_never_shows_the_full_account(books, client_for):
    farmer = books.farmer_a
    farmer.payout_account = "6222020200112233445"
    farmer.save()
    page = client_for(books.manager_a).get(f"/admin/coop/farmer/{farmer.pk}/change/").content.decode()
    assert "6222020200112233445" not in page and "****3445" in page


def test_hygiene_awards_from_the_admin_move_money_once(books, client_for):
    fund.record_donation(cooperative=books.coop_a, donor="紫南村", amount="200", hygiene_reserve="100")
    insp = fund.record_inspection(cooperative=books.coop_a, village=books.village_a,
                                  scores={books.farmer_a: 95})
    score = insp.scores.get()
    c = client_for(books.manager_a)
    for _ in range(2):
        c.post("/admin/coop/hygienescore/", {"action": "award", ACTION_CHECKBOX_NAME: [score.pk], "confirm": "1",
                                             "value": "80"})
    assert fund.balance(books.coop_a, FundEntry.HYGIENE) == Decimal("20.00")
    assert LedgerEntry.objects.filter(kind=LedgerEntry.REWARD, farmer=books.farmer_a).count() == 1


def test_a_delivery_is_corrected_from_the_admin_by_an_adjustment(books, client_for):
    from coop.models import Delivery

    d = Delivery.objects.get(farmer=books.farmer_a)
    c = client_for(books.manager_a)
    ask = c.post("/admin/coop/delivery/", {"action": "adjust", ACTION_CHECKBOX_NAME: [d.pk]})
    assert ask.status_code == 200 and "调整原因" in ask.content.decode()
    for _ in range(2):  # a double click on the confirm button
        c.post("/admin/coop/delivery/", {"action": "adjust", ACTION_CHECKBOX_NAME: [d.pk], "confirm": "1",
                                         "amount": "-1.50", "reason": "一枚蛋漏检", "key": "form-1"})
    adjustments = LedgerEntry.objects.filter(kind=LedgerEntry.ADJUSTMENT, farmer=books.farmer_a)
    assert [a.amount for a in adjustments] == [Decimal("-1.50")] and adjustments[0].settlement is None


def test_two_managers_paying_the_same_settlement_from_the_admin_pay_it_once(books, client_for):
    """The admin's pay action is the service's compare-and-set: the second (stale) payment is refused with
    the service's message and the household is paid once."""
    s = Settlement.objects.get(farmer=books.farmer_a)
    approve_settlement(s, user=books.manager_a)
    first, second = client_for(books.manager_a), client_for(books.manager_a)
    for c, ref in ((first, "WXB-1"), (second, "WXB-2")):
        resp = c.post("/admin/coop/settlement/", {"action": "pay", ACTION_CHECKBOX_NAME: [s.pk], "confirm": "1",
                                                  "value": ref}, follow=True)
    shown = [str(m) for m in resp.context["messages"]]
    assert f"结算单 {s.pk} 现在是“已付款”，不能改为“已付款”。" in shown and "已付款 0 张结算单。" in shown
    s.refresh_from_db()
    assert (s.status, s.payment_reference) == (Settlement.PAID, "WXB-1")
    assert LedgerEntry.objects.filter(farmer=books.farmer_a, kind=LedgerEntry.PAYOUT).count() == 1


def test_the_pay_confirmation_shows_each_amount_and_the_total_before_paying(books, client_for):
    """Issue 14.11: a manager paying many payslips at once sees what each gets and the total first."""
    neighbour = make_farmer(books.coop_a, books.farmer_a.village, head_name="曲比阿果")
    owes = make_farmer(books.coop_a, books.farmer_a.village, head_name="沙马尔布")
    deliver(neighbour, accepted={"L": 8})  # ¥12.00
    deliver(owes, accepted={"L": 2})  # ¥3.00 …
    ledger.post_entry(farmer=owes, kind=LedgerEntry.FINE, amount=Decimal("-10"), reason="罚款", dedupe_key="p:1")
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    ids = list(Settlement.objects.filter(cooperative=books.coop_a).values_list("pk", flat=True))
    c = client_for(books.manager_a)
    c.post("/admin/coop/settlement/", {"action": "approve", ACTION_CHECKBOX_NAME: ids})
    page = c.post("/admin/coop/settlement/", {"action": "pay", ACTION_CHECKBOX_NAME: ids}).content.decode()
    table = page.split('id="ask-summary"')[1].split("</table>")[0]
    assert books.farmer_a.member_no in table and "¥30.00" in table and "¥12.00" in table
    assert "本期应扣 ¥7.00，从下次工资里扣" in table
    assert "合计 3 户" in table and "¥42.00" in table  # 30 + 12 + 0: the household that owes is not netted
    assert "共转账 ¥42.00" in page
    assert not Settlement.objects.filter(status=Settlement.PAID).exists()  # nothing paid by showing the page


def _inspection_post(village, rows):
    data = {"cooperative": village.cooperative_id, "village": village.pk, "inspected_on": "2026-11-20",
            "inspectors": "阿说", "note": "", "scores-TOTAL_FORMS": str(len(rows)), "scores-INITIAL_FORMS": "0",
            "scores-MIN_NUM_FORMS": "0", "scores-MAX_NUM_FORMS": "1000"}
    for i, (farmer, score) in enumerate(rows):
        data[f"scores-{i}-farmer"], data[f"scores-{i}-score"] = farmer.pk, score
    return data


def test_an_inspection_in_the_admin_scores_only_households_of_its_village(books, client_for):
    from coop.models import HygieneInspection, HygieneScore
    from tests.factories import make_village

    elsewhere = make_farmer(books.coop_a, make_village(books.coop_a, name="瓦吾村"), head_name="阿牛木呷")
    c = client_for(books.manager_a)
    refused = c.post("/admin/coop/hygieneinspection/add/",
                     _inspection_post(books.village_a, [(books.farmer_a, 90), (elsewhere, 95)]))
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "阿牛木呷 是瓦吾村的社员" in text and "只能给尔吉村的农户打分" in text
    assert not HygieneInspection.objects.exists() and not HygieneScore.objects.exists()

    done = c.post("/admin/coop/hygieneinspection/add/", _inspection_post(books.village_a, [(books.farmer_a, 90)]))
    assert done.status_code == 302
    insp = HygieneInspection.objects.get()
    page = c.get(f"/admin/coop/hygieneinspection/{insp.pk}/change/").content.decode()
    # The saved inspection's drop-downs offer its village's households only.
    assert books.farmer_a.head_name in page and "阿牛木呷" not in page


def test_a_score_for_a_household_of_another_village_is_never_awarded(books):
    from coop.models import HygieneScore
    from tests.factories import make_village

    fund.record_donation(cooperative=books.coop_a, donor="紫南村", amount="200", hygiene_reserve="100")
    insp = fund.record_inspection(cooperative=books.coop_a, village=books.village_a, scores={books.farmer_a: 95})
    elsewhere = make_farmer(books.coop_a, make_village(books.coop_a, name="瓦吾村"), head_name="阿牛木呷")
    stray = HygieneScore.objects.create(inspection=insp, farmer=elsewhere, score=99)  # written before the rule
    with pytest.raises(fund.FundError, match="只能给尔吉村的农户打分"):
        fund.award_hygiene(stray, amount="50")
    assert fund.balance(books.coop_a, FundEntry.HYGIENE) == Decimal("100.00")
    assert not LedgerEntry.objects.filter(farmer=elsewhere, kind=LedgerEntry.REWARD).exists()


def test_moving_an_inspection_to_another_village_is_refused_while_it_scores_this_one(books, client_for):
    from coop.models import HygieneInspection
    from tests.factories import make_village

    insp = fund.record_inspection(cooperative=books.coop_a, village=books.village_a, scores={books.farmer_a: 90})
    score = insp.scores.get()
    other = make_village(books.coop_a, name="瓦吾村")
    data = _inspection_post(other, [])
    data.update({"scores-TOTAL_FORMS": "1", "scores-INITIAL_FORMS": "1", "scores-0-id": score.pk,
                 "scores-0-inspection": insp.pk, "scores-0-farmer": books.farmer_a.pk, "scores-0-score": 90})
    page = client_for(books.manager_a).post(f"/admin/coop/hygieneinspection/{insp.pk}/change/", data)
    assert page.status_code == 200 and "只能给瓦吾村的农户打分" in page.content.decode()
    assert HygieneInspection.objects.get().village == books.village_a
