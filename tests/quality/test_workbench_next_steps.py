"""Links where the next step is (issue 16 item 2): packing → print labels, the batch page → its labels,
certificate, scan page and EPCIS, a report → its batch → the households, a finished settlement run → approve
and pay. Each keeps the tenant rule and writes nothing on GET."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.http import urlencode

from coop.models import Batch, Settlement, SettlementRun
from coop.services.settlements import TO_APPROVE
from quality.models import LabelSheet
from tests.factories import make_batch, make_charter, make_delivery, make_farmer, report_on

pytestmark = pytest.mark.django_db


def test_the_grade_button_fills_the_packing_form_and_packing_offers_the_labels(personas, client_for):
    make_delivery(personas.farmer_a, accepted={"L": 45})
    client = client_for(personas.manager_a)
    page = client.get(f"/books/pack/?coop={personas.coop_a.pk}&weight_class=L")
    form = page.context["form"]
    assert form.initial["weight_class"] == "L" and form.initial["boxes"] == 4  # 45 eggs: 4 full boxes of 10
    assert client.get("/books/pack/?weight_class=XX").context["form"].initial == {"pack_size": 10}
    response = client.post(f"/books/pack/?coop={personas.coop_a.pk}", {
        "coop": personas.coop_a.pk, "weight_class": "L", "grade": "A", "pack_size": 10, "boxes": 4,
        "shelf_days": 28})
    batch = Batch.objects.get(cooperative=personas.coop_a)
    assert response["Location"] == f"/books/pack/?coop={personas.coop_a.pk}&packed={batch.pk}"
    body = client.get(response["Location"]).content.decode()
    assert f'href="/trace/batches/{batch.pk}/print/"' in body and 'id="packed-next"' in body
    # Another cooperative's batch id names nothing.
    other = make_batch(personas.coop_b)
    body = client.get(f"/books/pack/?coop={personas.coop_a.pk}&packed={other.pk}").content.decode()
    assert 'id="packed-next"' not in body and other.code not in body


def test_print_opens_the_label_form_of_the_own_batch_only_and_makes_nothing(personas, client_for):
    batch = make_batch(personas.coop_a)
    response = client_for(personas.manager_a).get(f"/trace/batches/{batch.pk}/print/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/quality/tracecode/{batch.trace.pk}/sheet/"
    assert client_for(personas.manager_b).get(f"/trace/batches/{batch.pk}/print/").status_code == 404
    assert client_for(personas.manager_a).post(f"/trace/batches/{batch.pk}/print/").status_code == 405
    assert not LabelSheet.objects.exists()  # a label file is made by the form's POST, never by this link


def test_the_batch_page_links_every_next_step(personas, client_for):
    batch = make_batch(personas.coop_a)
    body = client_for(personas.manager_a).get(f"/admin/coop/batch/{batch.pk}/change/").content.decode()
    code = batch.trace.code
    for href in (f"/trace/batches/{batch.pk}/print/", f"/trace/batches/{batch.pk}/labels.pdf",
                 f"/trace/batches/{batch.pk}/labels.tspl", f"/trace/batches/{batch.pk}/labels.zpl",
                 f"/trace/batches/{batch.pk}/label.png", f"/t/{code}", f"/t/{code}/certificate.pdf",
                 f"/t/{code}/epcis.json?private=1", f"/admin/quality/tracecode/{batch.trace.pk}/change/"):
        assert f'href="{href}"' in body, href


def test_a_report_shows_its_batch_and_the_households_whose_eggs_were_in_it(personas, client_for):
    other = make_farmer(personas.coop_a, personas.village_a, head_name="沙马阿牛")
    batch = make_batch(personas.coop_a, deliveries=[make_delivery(personas.farmer_a, accepted={"L": 20}),
                                                    make_delivery(other, accepted={"L": 10})])
    make_charter(personas.coop_a)
    report = report_on(batch)
    body = client_for(personas.manager_a).get(f"/admin/quality/badeggreport/{report.pk}/change/").content.decode()
    section = body[body.index('id="report-households"'):]
    assert f'href="/admin/coop/batch/{batch.pk}/change/"' in section
    assert section.index("吉克拉哈") < section.index("沙马阿牛")  # 20 eggs before 10
    assert f'href="/admin/coop/farmer/{other.pk}/change/"' in section


def _drafts(coop, farmers, start, end):
    return [Settlement.objects.create(cooperative=coop, farmer=f, period_start=start, period_end=end,
                                      status=Settlement.DRAFT, net=Decimal(net))
            for f, net in zip(farmers, ("30.00", "12.50"), strict=False)]


def test_approve_then_pay_runs_on_exactly_the_listed_drafts_of_the_own_cooperative(personas, client_for):
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    mine = _drafts(personas.coop_a, [personas.farmer_a, make_farmer(personas.coop_a)], start, end)
    theirs = _drafts(personas.coop_b, [personas.farmer_b], start, end)
    client = client_for(personas.manager_a)
    listed = "/admin/coop/settlement/?" + urlencode(TO_APPROVE)
    page = client.post(listed, {"action": "approve", "index": 0, "select_across": 1, "_selected_action": 0,
                                "then": "pay"})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="ask-summary"' in body and "¥42.50" in body  # the pay page, with the total to transfer
    assert 'action="/admin/coop/settlement/?status=approved"' in body
    assert [s.status for s in Settlement.objects.filter(pk__in=[s.pk for s in mine])] == [Settlement.APPROVED] * 2
    assert Settlement.objects.get(pk=theirs[0].pk).status == Settlement.DRAFT  # another cooperative's: untouched
    assert 'name="then" value="home"' in body
    done = client.post("/admin/coop/settlement/?status=approved", {
        "action": "pay", "confirm": 1, "value": "WX-1", "then": "home", "_selected_action": [s.pk for s in mine]})
    assert done["Location"] == "/admin/workbench/"  # paid: back home, where 待付款 now says 0
    assert "已付款 2 张结算单" in client.get("/admin/workbench/").content.decode()
    assert set(Settlement.objects.filter(cooperative=personas.coop_a).values_list("status", flat=True)) == {
        Settlement.PAID}
    # Without "then", approving stays on the list, as before.
    more = _drafts(personas.coop_a, [make_farmer(personas.coop_a)], start, end)
    plain = client.post(listed, {"action": "approve", "index": 0, "select_across": 1, "_selected_action": 0})
    assert plain.status_code == 302 and Settlement.objects.get(pk=more[0].pk).status == Settlement.APPROVED


def test_a_finished_run_offers_to_approve_and_pay_its_drafts(personas, client_for):
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    _drafts(personas.coop_a, [personas.farmer_a], start, end)
    run = SettlementRun.objects.create(cooperative=personas.coop_a, period_start=start, period_end=end,
                                       status=SettlementRun.DONE)
    body = client_for(personas.manager_a).get(f"/books/settle/run/{run.pk}/").content.decode()
    assert 'id="approve-and-pay"' in body and "¥30.00" in body
    assert f"cooperative={personas.coop_a.pk}" in body and f"period_start={start:%Y-%m-%d}" in body
    SettlementRun.objects.filter(pk=run.pk).update(status=SettlementRun.RUNNING)
    running = client_for(personas.manager_a).get(f"/books/settle/run/{run.pk}/").content.decode()
    assert 'id="approve-and-pay"' not in running
