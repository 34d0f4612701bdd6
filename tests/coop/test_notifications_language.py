"""A message for a household or a buyer is written in the site's language, whatever language the staff
member who caused it reads the site in (coop.lib.words.in_site_language).

Found when the English translations were compiled: a manager browsing in English recorded a delivery and
the household's receipt SMS went out in English.
"""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from coop.models import LedgerEntry, Notification
from orders.services.buyers import send_login_code
from tests.factories import deliver, make_cooperative, make_farmer, set_prices

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_receipt_caused_by_a_staff_member_reading_english_is_in_chinese():
    coop = make_cooperative()
    set_prices(coop)
    farmer = make_farmer(coop, phone="13800001111")
    with translation.override("en"):
        assert translation.gettext("交蛋已登记") != "交蛋已登记"  # English is really active and compiled
        deliver(farmer)
    body = Notification.objects.get(farmer=farmer, event="delivery.receipt").body
    assert body.startswith("【收蛋回执】"), body


@pytest.mark.django_db
def test_a_sign_in_code_asked_for_on_an_english_page_is_in_chinese():
    with translation.override("en"):
        send_login_code("13900002222")
    body = Notification.objects.get(phone="13900002222").body
    assert "登录验证码" in body and "sign-in" not in body, body


def _notify_calls_outside_site_language(path, names=("notify",)):
    """Every ``notify(...)`` (or other ``names``) call sits inside ``with in_site_language():``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    covered = set()
    for node in ast.walk(tree):
        calls = [item.context_expr for item in getattr(node, "items", []) if isinstance(item.context_expr, ast.Call)]
        if isinstance(node, ast.With) and any(getattr(call.func, "id", "") == "in_site_language" for call in calls):
            covered |= {id(n) for n in ast.walk(node)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and id(node) not in covered
            and (getattr(node.func, "id", "") in names or getattr(node.func, "attr", "") in names)]


def test_every_message_is_built_in_the_site_language():
    offenders = []
    for path in sorted(ROOT.glob("*/services/**/*.py")):
        if path.name == "notifications.py":
            continue  # the service itself: it receives the text already written
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _notify_calls_outside_site_language(path)]
    assert offenders == [], "wrap the message and its notify() in `with in_site_language():`"


def test_every_ledger_line_is_written_in_the_site_language():
    """A ledger line's reason is read by the household on the money page and the payslip: written in the
    site's language, like a message, whoever posted it."""
    offenders = []
    for path in sorted(ROOT.glob("*/services/**/*.py")):
        if path.name == "ledger.py":
            continue  # the service itself: it receives the reason already written
        offenders += [f"{path.relative_to(ROOT)}:{line}"
                      for line in _notify_calls_outside_site_language(path, names=("post_entry",))]
    assert offenders == [], "wrap the reason and its post_entry() in `with in_site_language():`"


@pytest.mark.django_db
def test_a_delivery_credited_by_a_staff_member_reading_english_reads_in_chinese():
    coop = make_cooperative()
    set_prices(coop)
    farmer = make_farmer(coop, phone="13800003333")
    with translation.override("en"):
        deliver(farmer)
    [line] = LedgerEntry.objects.filter(farmer=farmer)
    assert line.reason.startswith("交蛋 "), line.reason
