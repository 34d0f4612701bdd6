"""Households sign in with mobile + 6-digit PIN; five wrong PINs lock them out for 15 minutes."""

import datetime

from django.test import Client
from django.utils import timezone

from coop.models import AuditEvent, FarmerLogin
from coop.services import farmers as pin_service
from tests.factories import give_pin, sign_in


def test_it_signs_in_with_the_pin_from_the_card_and_stays_signed_in_for_weeks(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    r = sign_in(c, personas.farmer_a)
    assert r.status_code == 302 and r["Location"] == "/farmer/"
    assert c.session.get_expiry_age() >= 30 * 24 * 3600
    page = c.get("/farmer/")
    assert page.status_code == 200
    assert personas.farmer_a.head_name in page.content.decode()


def test_it_accepts_the_number_typed_with_spaces(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    spaced = f"{personas.farmer_a.phone[:3]} {personas.farmer_a.phone[3:7]} {personas.farmer_a.phone[7:]}"
    assert c.post("/farmer/login/", {"phone": spaced, "pin": "246810"}).status_code == 302


def test_a_wrong_pin_says_the_number_or_pin_is_wrong_and_no_more(personas):
    # No "还可以再试 4 次": a stranger's number cannot say it, so saying it tells who is a member (issue 15).
    give_pin(personas.farmer_a, personas.manager_a)
    r = sign_in(Client(), personas.farmer_a, pin="111111")
    assert r.status_code == 400
    assert "手机号或密码不对" in r.content.decode() and "还可以再试" not in r.content.decode()


def test_five_wrong_pins_lock_for_fifteen_minutes_even_with_the_right_pin(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    for _ in range(5):
        r = sign_in(c, personas.farmer_a, pin="000000")
    assert r.status_code == 429
    assert "已锁定" in r.content.decode()
    login = FarmerLogin.objects.get(farmer=personas.farmer_a)
    assert login.locked_until - timezone.now() > datetime.timedelta(minutes=14)
    r = sign_in(c, personas.farmer_a)  # the right PIN, still locked
    assert r.status_code == 429 and "已锁定" in r.content.decode()
    assert c.get("/farmer/").status_code == 302
    assert AuditEvent.objects.filter(action="farmer.pin_locked", object_id=str(personas.farmer_a.pk)).exists()


def test_the_lock_ends_after_fifteen_minutes(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    for _ in range(5):
        sign_in(Client(), personas.farmer_a, pin="000000")
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    assert pin_service.authenticate_pin(personas.farmer_a.phone, "246810", now=later) == personas.farmer_a


def test_a_manager_reset_gives_a_new_pin_and_lifts_the_lock(personas, client_for):
    give_pin(personas.farmer_a, personas.manager_a)
    for _ in range(5):
        sign_in(Client(), personas.farmer_a, pin="000000")
    r = client_for(personas.manager_a).post("/admin/coop/farmer/", {
        "action": "reset_pin_and_print_card", "_selected_action": [personas.farmer_a.pk]})
    assert r.status_code == 200
    assert "no-store" in r["Cache-Control"]
    new_pin = r.context["cards"][0]["pin"]
    assert len(new_pin) == 6 and new_pin.isdigit()
    assert new_pin in r.content.decode()  # printed on the card
    assert sign_in(Client(), personas.farmer_a, pin="246810").status_code == 400  # the old PIN is gone
    assert sign_in(Client(), personas.farmer_a, pin=new_pin).status_code == 302
    assert AuditEvent.objects.filter(action="farmer.pin_reset", actor=personas.manager_a).exists()


def test_another_cooperatives_manager_cannot_reset_a_pin(personas, client_for):
    give_pin(personas.farmer_a, personas.manager_a)
    client_for(personas.manager_b).post("/admin/coop/farmer/", {
        "action": "reset_pin_and_print_card", "_selected_action": [personas.farmer_a.pk]})
    assert sign_in(Client(), personas.farmer_a).status_code == 302  # the PIN is unchanged


def test_an_unknown_number_gets_the_same_words_as_a_wrong_pin(personas):
    r = Client().post("/farmer/login/", {"phone": "13712345678", "pin": "123456"})
    assert r.status_code == 400 and "手机号或密码不对" in r.content.decode()


def test_bad_input_is_told_plainly(personas):
    r = Client().post("/farmer/login/", {"phone": "12345", "pin": "12ab"})
    body = r.content.decode()
    assert r.status_code == 400 and "不是有效的手机号码" in body and "6位数字" in body


def test_the_member_card_qr_opens_sign_in_with_the_number_filled_in(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    card = c.get("/farmer/card/")
    assert card.status_code == 200 and "<svg" in card.content.decode()
    url = card.context["cards"][0]["url"]
    assert url.endswith(f"/farmer/login/?phone={personas.farmer_a.phone}")
    form = Client().get(url.split("127.0.0.1", 1)[-1].split(":", 1)[-1].lstrip("0123456789"))
    assert f'value="{personas.farmer_a.phone}"' in form.content.decode()


def test_staff_and_strangers_are_sent_to_the_sign_in(personas, client_for):
    for user in (None, personas.manager_a, personas.outsider):
        r = client_for(user).get("/farmer/money/")
        assert r.status_code == 302 and r["Location"].startswith("/farmer/login/")


def test_trying_one_pin_on_many_numbers_from_one_phone_is_stopped(personas):
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    for n in range(pin_service.IP_FAILURES):
        c.post("/farmer/login/", {"phone": f"137{n:08d}", "pin": "246810"})
    r = sign_in(c, personas.farmer_a)  # even the right PIN for a real household
    assert r.status_code == 429 and "试得太多" in r.content.decode()
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), personas.farmer_a).status_code == 302  # another phone
