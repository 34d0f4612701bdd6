"""A second code request within the minute keeps the code box and says how long to wait (issue 17 defect 6)."""

import datetime
import re

from orders.models import LoginCode


def test_a_repeated_request_keeps_the_code_box_and_says_how_long(db, client):
    client.post("/shop/login/", {"phone": "13800138002", "action": "send"})
    page = client.post("/shop/login/", {"phone": "13800138002", "action": "send"})
    html = page.content.decode()
    assert 'id="code"' in html and 'value="verify"' in html  # the code already sent can still be typed
    assert re.search(r"请 (60|59) 秒后再获取", html)


def test_the_wait_counts_down_from_the_code_sent(db, client):
    client.post("/shop/login/", {"phone": "13800138003", "action": "send"})
    LoginCode.objects.filter(phone="13800138003").update(
        created_at=LoginCode.objects.get(phone="13800138003").created_at - datetime.timedelta(seconds=35))
    html = client.post("/shop/login/", {"phone": "13800138003", "action": "send"}).content.decode()
    wait = int(re.search(r"请 (\d+) 秒后再获取", html).group(1))
    assert 24 <= wait <= 25 and 'id="code"' in html


def test_a_bad_number_still_shows_no_code_box(db, client):
    html = client.post("/shop/login/", {"phone": "12345", "action": "send"}).content.decode()
    assert 'id="code"' not in html
