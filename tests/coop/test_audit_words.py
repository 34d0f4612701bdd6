"""Words a person understands: the audit trail and the notification log read "交蛋已登记", "交蛋记录", "短信"
(not ``delivery.recorded``, ``coop.delivery``, ``console``), and money reads "−¥6.00", never "¥-6.00"."""

import ast
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from coop.lib.words import ACTION_LABELS, GENERIC_VERBS, action_label, channel_label, yuan
from coop.models import Batch, LedgerEntry, Notification, NotificationAttempt, Settlement
from coop.services.audit import log_action
from tests.factories import deliver, set_prices

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def visible_text(html):
    """What a person sees on the page: no tags (links may carry codes in their query strings)."""
    return re.sub(r"<[^>]+>", " ", html)


def literal_actions():
    """Every action the code writes as a literal: ``log_action(obj, "x.y")``, ``… "a" if c else "b"``,
    ``AuditEvent.objects.create(action="x.y")`` and ``action = "x.y"`` before a ``log_action(obj, action)``."""
    found = set()
    for path in [*ROOT.glob("coop/**/*.py"), *ROOT.glob("orders/**/*.py"), *ROOT.glob("quality/**/*.py")]:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "log_action", "_log_version") and len(node.args) >= 2:
                found |= {c.value for c in ast.walk(node.args[1]) if isinstance(c, ast.Constant)
                          and isinstance(c.value, str) and "." in c.value}
            elif isinstance(node, ast.keyword) and node.arg == "action" and isinstance(node.value, ast.Constant):
                found.add(node.value.value)
            elif (isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["action"]
                  and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                found.add(node.value.value)
    return {a for a in found if re.fullmatch(r"[a-z_]+\.[a-z_]+", a)}


def status_actions():
    """The actions written as f"<noun>.{status}": every status a transition can reach."""
    from orders.models import Order
    from quality.models import Appeal, BadEggReport, Penalty

    return ({f"batch.{s}" for s, _label in Batch.STATUSES if s != Batch.PACKED}
            | {f"settlement.{s}" for s in (Settlement.APPROVED, Settlement.PAID)}
            | {f"order.{s}" for s, _label in Order.STATUSES}
            | {f"penalty.{s}" for s, _label in Penalty.STATUSES}
            | {f"report.{s}" for s, _label in BadEggReport.STATUSES}
            | {f"appeal.{s}" for s, _label in Appeal.DECISIONS})


def test_every_action_the_code_writes_has_words():
    actions = literal_actions()
    assert {"delivery.recorded", "farmer.pin_reset", "signin.locked", "report.remedy_refunded",
            "charter.adopted"} <= actions  # the scan sees each way an action is written
    missing = sorted((actions | status_actions()) - set(ACTION_LABELS))
    assert missing == []
    # The programme admin writes "<model>.created/changed": named by the model.
    assert str(action_label("pledge.created", "orders.pledge")) == "预留份额已新建"  # the model's own name
    assert "." not in str(action_label("something.new", "coop.delivery"))  # never the code
    assert set(GENERIC_VERBS) == {"created", "changed"}


def test_the_audit_trail_reads_in_words(personas, client_for):
    set_prices(personas.coop_a)
    deliver(personas.farmer_a, inspector=personas.inspector_a)
    page = client_for(personas.manager_a).get("/admin/coop/auditevent/")
    text = visible_text(page.content.decode())
    assert page.status_code == 200 and "交蛋已登记" in text and "交蛋记录" in text
    assert "delivery.recorded" not in text and "coop.delivery" not in text
    event = personas.farmer_a  # any object: the change page names the action too
    entry = log_action(event, "farmer.pin_reset", user=personas.manager_a)
    detail = visible_text(client_for(personas.manager_a).get(f"/admin/coop/auditevent/{entry.pk}/change/")
                          .content.decode())
    assert "已重设登录密码" in detail and "farmer.pin_reset" not in detail and "coop.farmer" not in detail


def test_the_notification_log_names_the_channel(personas, client_for):
    sms = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a, event="delivery.receipt",
                                      dedupe_key="k-sms", channel="sms", body="【收蛋回执】…")
    Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a, event="settlement.paid",
                                dedupe_key="k-console", channel="console", body="【结算到账】…")
    NotificationAttempt.objects.create(notification=sms, channel="sms", ok=True, provider_ref="m-1")
    c = client_for(personas.manager_a)
    text = visible_text(c.get("/admin/coop/notification/").content.decode())
    assert "短信" in text and "不发送（只记日志）" in text and "交蛋回执" in text and "工资已付" in text
    assert "console" not in text and "delivery.receipt" not in text
    detail = visible_text(c.get(f"/admin/coop/notification/{sms.pk}/change/").content.decode())
    assert "短信" in detail and "delivery.receipt" not in detail
    assert channel_label("sms") == "短信" and channel_label("myproject.sms.AliyunSms") == "其他渠道"


def test_money_reads_minus_yuan_never_yuan_minus():
    assert yuan(Decimal("-6")) == "−¥6.00"
    assert yuan(Decimal("1250.5")) == "¥1,250.50"
    assert yuan(Decimal("-0.00")) == "¥0.00"
    assert yuan(None) == ""


def test_a_fine_in_the_ledger_reads_minus_yuan(personas, client_for):
    fine = LedgerEntry.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                      kind=LedgerEntry.FINE, amount=Decimal("-6.00"), reason="罚款",
                                      occurred_on=timezone.localdate(), dedupe_key="fine-1")
    assert str(fine).endswith("−¥6.00")
    text = visible_text(client_for(personas.manager_a).get("/admin/coop/ledgerentry/").content.decode())
    assert "−¥6.00" in text and "-6.00" not in text and "¥-6" not in text


def test_a_negative_settlement_reads_minus_yuan_on_the_books_page(personas, client_for):
    day = datetime.date(2026, 11, 1)
    Settlement.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a, period_start=day,
                              period_end=datetime.date(2026, 11, 30), gross=Decimal("0"), fines=Decimal("-6.00"),
                              net=Decimal("-6.00"))
    page = client_for(personas.manager_a).get("/books/settlements/", {"month": "2026-11",
                                                                       "coop": personas.coop_a.pk})
    text = page.content.decode()
    # A negative net is paid ¥0.00 and carried over, in words (issue 14: one definition of a carried balance).
    assert page.status_code == 200 and "本期应扣 ¥6.00" in text and "¥-6.00" not in text
