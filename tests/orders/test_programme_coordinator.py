"""Coordinators: a read-only login that sees only its own programme's reports and statements."""

import datetime

from django.utils import timezone

from orders.models.programmes import Programme, ProgrammeCoordinator
from orders.services import statements
from tests.factories import buy, make_user


def second_programme(pairing):
    return Programme.objects.create(cooperative=pairing.coop, code="NBLS21", name="宁波—凉山东西部协作",
                                    east_organisation="宁波市某区", east_city="宁波市", east_province="浙江省",
                                    starts_on=datetime.date(2021, 1, 1))


def coordinator_of(programme, username="coordinator"):
    user = make_user(username)
    ProgrammeCoordinator.objects.create(user=user, programme=programme)
    return user


def test_a_coordinator_sees_only_their_programme(pairing, personas, client_for):
    buy(pairing, 2, personas.manager_a)
    ningbo = second_programme(pairing)
    c = client_for(coordinator_of(pairing.programme))

    listing = c.get("/programmes/").content.decode()
    assert "紫南村—莫谷村结对帮扶" in listing and "宁波—凉山东西部协作" not in listing
    report = c.get(f"/programmes/{pairing.programme.pk}/")
    assert report.status_code == 200 and "¥79.80" in report.content.decode()
    assert c.get(f"/programmes/{ningbo.pk}/").status_code == 404
    assert c.get(f"/programmes/{ningbo.pk}/report.xlsx").status_code == 404
    # and the other coordinator the other way round
    other = client_for(coordinator_of(ningbo, "nb"))
    assert other.get(f"/programmes/{pairing.programme.pk}/").status_code == 404


def test_a_coordinator_reads_but_cannot_issue_or_monitor(pairing, personas, client_for):
    buy(pairing, 2, personas.manager_a)
    today = timezone.localdate()
    st = statements.issue_statement(programme=pairing.programme, organisation=pairing.org, start=today, end=today)
    c = client_for(coordinator_of(pairing.programme))
    page = c.get(f"/programmes/{pairing.programme.pk}/").content.decode()
    assert st.code in page and 'action="/programmes/' not in page  # no issuing form
    assert c.get(f"/programmes/statements/{st.code}.pdf").status_code == 200
    assert c.post(f"/programmes/{pairing.programme.pk}/statements/issue",
                  {"organisation": pairing.org.pk, "start": today, "end": today}).status_code == 403
    assert c.get("/programmes/monitoring/").status_code == 403
    assert c.get("/admin/").status_code == 302  # not staff: no way into the admin


def test_managers_see_their_cooperatives_programmes_only(pairing, personas, client_for):
    assert client_for(personas.manager_a).get(f"/programmes/{pairing.programme.pk}/").status_code == 200
    assert client_for(personas.manager_b).get(f"/programmes/{pairing.programme.pk}/").status_code == 404
    assert client_for(personas.outsider).get("/programmes/").status_code == 403
    assert client_for(None).get(f"/programmes/{pairing.programme.pk}/").status_code == 302


def test_a_manager_issues_a_statement_from_the_report(pairing, personas, client_for):
    buy(pairing, 2, personas.manager_a)
    today = timezone.localdate()
    c = client_for(personas.manager_a)
    r = c.post(f"/programmes/{pairing.programme.pk}/statements/issue",
               {"organisation": pairing.org.pk, "start": today.replace(day=1), "end": today, "kind": "certificate"},
               follow=True)
    assert "已出具" in r.content.decode()
    assert pairing.org.statements.count() == 1


def test_the_coordinator_login_page_signs_in_and_lands_on_the_programmes(pairing, client_for):
    coordinator_of(pairing.programme)
    r = client_for(None).post("/programmes/login/", {"username": "coordinator", "password": "pw-greenshell-1"},
                              follow=True)
    assert r.status_code == 200 and "紫南村—莫谷村结对帮扶" in r.content.decode()


def test_the_programme_link_remembers_the_programme_and_opens_the_shop(pairing, client_for):
    c = client_for(None)
    r = c.get("/shop/p/ZNMG16")
    assert r.status_code == 302 and r["Location"] == "/shop/"
    assert c.session["pairing_programme"] == "ZNMG16"
    assert c.get("/shop/p/NOPE99").status_code == 404
    assert c.get("/shop/p/znmg16/").status_code == 302  # lower case, trailing slash: still the programme
    assert c.get("/shop/p/12").status_code == 302  # a product id goes to the product page


def test_an_institution_records_its_purchase_order_and_rates_the_delivery(pairing, personas, client_for):
    from orders.models.programmes import AcceptanceRating, InstitutionalTerms
    from orders.services import orders as order_service

    order = buy(pairing, 2, personas.manager_a)
    c = client_for(personas.buyer)
    c.post(f"/shop/statements/terms/{order.number}", {"purchase_order_ref": "NZ-2026-118", "schedule": "weekly",
                                                      "deliver_to": "机关食堂"})
    terms = InstitutionalTerms.objects.get(order=order)
    assert (terms.purchase_order_ref, terms.get_schedule_display()) == ("NZ-2026-118", "每周配送")
    early = c.post(f"/shop/statements/rate/{order.number}", {"stars": "5"}, follow=True)
    assert "订单送达后才能验收评价" in early.content.decode()  # packed, not yet delivered
    order_service.mark_shipped(order, courier_company="顺丰", tracking_no="SF1", user=personas.manager_a)
    c.post(f"/shop/statements/rate/{order.number}", {"stars": "4", "comment": "两盒都好"})
    assert AcceptanceRating.objects.get(order=order).stars == 4
    again = c.post(f"/shop/statements/rate/{order.number}", {"stars": "1"}, follow=True)
    assert "已经评价过了" in again.content.decode() and AcceptanceRating.objects.get(order=order).stars == 4
    # managers see the rating in the programme report; someone else's buyer cannot rate it
    report = client_for(personas.manager_a).get(f"/programmes/{pairing.programme.pk}/").content.decode()
    assert "两盒都好" in report
    assert client_for(personas.outsider).post(f"/shop/statements/rate/{order.number}",
                                              {"stars": "1"}).status_code == 404


def test_the_monitoring_page_lists_whom_to_visit(personas, client_for):
    import datetime
    from decimal import Decimal

    from coop.models import LedgerEntry
    from coop.services.ledger import post_entry

    for m, amount in ((7, "300"), (8, "300"), (9, "300"), (10, "30")):
        post_entry(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY, amount=Decimal(amount), reason="交蛋",
                   occurred_on=datetime.date(2026, m, 5), dedupe_key=f"m{m}")
    page = client_for(personas.inspector_a).get("/programmes/monitoring/?month=2026-10")
    html = page.content.decode()
    assert page.status_code == 200 and "需要走访：1 户" in html and "吉克拉哈" in html and "下降 90%" in html
    other = client_for(personas.manager_b).get("/programmes/monitoring/?month=2026-10").content.decode()
    assert "吉克拉哈" not in other
    assert client_for(personas.manager_b).get(f"/programmes/monitoring/?coop={personas.coop_a.pk}").status_code == 404


def test_the_programme_poster_carries_a_qr_code_to_the_programme_link(pairing, client_for):
    import io

    import zxingcpp
    from PIL import Image

    r = client_for(None).get("/shop/p/ZNMG16/programme-poster.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    assert [c.text.rsplit("/", 3)[-3:] for c in codes] == [["shop", "p", "ZNMG16"]]
    assert client_for(None).get("/shop/p/NOPE99/programme-poster.png").status_code == 404
