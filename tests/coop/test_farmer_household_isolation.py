"""A household sees only its own records: changing an id in the URL gives 404."""

import datetime

from django.test import Client
from django.utils import timezone

from coop.models import LedgerEntry, Settlement
from coop.services.ledger import post_entry
from tests.factories import give_pin, make_delivery, make_farmer, sign_in


def _payslip(farmer, net="42.00"):
    today = timezone.localdate()
    return Settlement.objects.create(cooperative=farmer.cooperative, farmer=farmer, status=Settlement.PAID,
                                     period_start=today.replace(day=1), period_end=today, gross=net, net=net,
                                     paid_at=timezone.now(), payment_reference="WX123")


def test_changing_the_id_in_the_url_never_shows_another_households_records(personas):
    neighbour = make_farmer(personas.coop_a, personas.village_a, head_name="沙马阿牛")  # same cooperative
    mine, theirs, far = (make_delivery(personas.farmer_a), make_delivery(neighbour),
                         make_delivery(personas.farmer_b))
    my_slip, their_slip = _payslip(personas.farmer_a), _payslip(neighbour, "99.00")
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    assert c.get(f"/farmer/deliveries/{mine.pk}/").status_code == 200
    assert c.get(f"/farmer/payslips/{my_slip.pk}/").status_code == 200
    for url in (f"/farmer/deliveries/{theirs.pk}/", f"/farmer/deliveries/{far.pk}/",
                f"/farmer/payslips/{their_slip.pk}/"):
        assert c.get(url).status_code == 404, url
    listing = c.get("/farmer/money/").content.decode()
    assert "¥42.00" in listing and "¥99.00" not in listing


def test_the_home_page_puts_the_big_numbers_first(personas):
    today = timezone.localdate()
    d = make_delivery(personas.farmer_a, accepted={"L": 28}, rejected={"cracked": 2})
    post_entry(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY, amount=d.amount_due, reason="交蛋",
               source=d, dedupe_key=f"delivery:{d.pk}")
    post_entry(farmer=personas.farmer_a, kind=LedgerEntry.FINE, amount="-4.00", reason="罚款：坏蛋报告 R1",
               dedupe_key="fine:1", occurred_on=today - datetime.timedelta(days=1))
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    body = c.get("/farmer/").content.decode()
    assert "¥38.00" in body  # 28 × ¥1.50 − ¥4.00 waiting to be settled
    assert "−¥4.00" in body  # the fine, in red
    assert "30 <small>" in body  # eggs brought this month
    detail = c.get(f"/farmer/deliveries/{d.pk}/").content.decode()
    assert "裂纹蛋" in detail and "¥42.00" in detail


def test_a_delivery_shows_paid_once_its_payslip_is_paid(personas):
    paid, waiting = make_delivery(personas.farmer_a), make_delivery(personas.farmer_a, accepted={"L": 10})
    slip = _payslip(personas.farmer_a)
    for d in (paid, waiting):
        entry, _ = post_entry(farmer=personas.farmer_a, kind=LedgerEntry.DELIVERY, amount=d.amount_due,
                              reason="交蛋", source=d, dedupe_key=f"delivery:{d.pk}")
        if d is paid:
            entry.settlement = slip
            entry.save(_attach_settlement=True)
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    rows = c.get("/farmer/deliveries/").context["deliveries"]
    assert {d.pk: d.paid for d in rows} == {paid.pk: True, waiting.pk: False}


def test_the_pages_read_in_english_too(personas, settings):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = c.get("/farmer/").content.decode()
    assert "Money not yet settled" in body and "Penalties and appeals" in body
    assert "Wrong mobile number or PIN" in Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/farmer/login/", {"phone": personas.farmer_a.phone, "pin": "000000"}).content.decode()
