"""Bringing a village's past deliveries (交蛋台账) in from Excel/CSV, beside the household list (issue 16 item 6):
a preview with each row's errors in Chinese, nothing written until the whole file is valid, and a delivery
imported is a normal recorded delivery — priced on its day, credited once, paid once by the settlement; the
same file imported again records nothing twice."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coop.models import AuditEvent, Delivery, LedgerEntry, Notification, Settlement
from coop.services import imports
from coop.services.exports import deliveries_table
from coop.services.settlements import settle_period
from tests.coop.test_imports_households import csv_bytes, xlsx
from tests.factories import make_farmer, set_prices

pytestmark = pytest.mark.django_db

URL = "/books/deliveries/import/"
CONFIRM = "/books/deliveries/import/confirm/"
HEADERS = ["社员编号", "户主姓名", "交蛋日期", "合格·L", "合格·M", "裂纹蛋"]


@pytest.fixture
def book(personas):
    """Cooperative A with prices and three households; ``book.rows`` a month of their deliveries."""
    set_prices(personas.coop_a)
    households = [personas.farmer_a] + [make_farmer(personas.coop_a, personas.village_a, head_name=f"阿吉{i}",
                                                    member_no=f"EJ{i:03d}", hens=40) for i in range(1, 3)]
    day = timezone.localdate() - datetime.timedelta(days=3)
    rows = [[f.member_no, f.head_name, (day - datetime.timedelta(days=d)).isoformat(), 20, 5, 1]
            for d in range(10) for f in households]
    return households, rows


def _manager(personas):
    c = Client()
    c.force_login(personas.manager_a)
    return c


def _upload(client, content, name="台账.xlsx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, content)})


def test_a_good_book_previews_then_records_each_delivery_once_and_pays_it_once(personas, book):
    households, rows = book
    c = _manager(personas)
    preview = _upload(c, xlsx(rows, HEADERS))
    page = preview.content.decode()
    assert preview.status_code == 200 and "新记 30 次交蛋" in page
    assert Delivery.objects.count() == 0 and not AuditEvent.objects.filter(action="delivery.recorded").exists()
    # 30 deliveries × (20 L × ¥1.50 + 5 M × ¥1.20) = 30 × ¥36.00
    assert "¥1,080.00" in page
    digest = re.search(r'name="digest" value="(\w+)"', page).group(1)
    token = re.search(r'name="token" value="([\w-]+)"', page).group(1)
    done = c.post(CONFIRM, {"token": token, "digest": digest}, follow=True)
    assert "记了 30 次交蛋，共 ¥1,080.00" in done.content.decode()
    assert Delivery.objects.count() == 30
    d = Delivery.objects.filter(farmer=households[1]).order_by("received_at").first()
    assert d.accepted_l == 20 and d.accepted_m == 5 and d.rejected_cracked == 1 and d.amount_due == Decimal("36.00")
    assert timezone.localtime(d.received_at).time() == datetime.time(12, 0) and d.laid_from == d.laid_to
    assert LedgerEntry.objects.filter(source_type="coop.delivery").count() == 30
    assert not Notification.objects.filter(event="delivery.receipt").exists()  # no text about old eggs
    event = AuditEvent.objects.get(action="deliveries.imported")
    assert event.actor == personas.manager_a and event.data["added"] == 30 and event.data["amount"] == "1080.00"

    # The same file again: nothing to record, nothing recorded.
    again = _upload(c, xlsx(rows, HEADERS)).content.decode()
    assert "30 次已经导入过，不再记" in again and 'id="confirm-form"' not in again
    assert imports.apply_delivery_import(personas.coop_a, imports.read_table(
        "台账.xlsx", xlsx(rows, HEADERS), imports.DELIVERIES)[0], user=personas.manager_a).counts[imports.ADD] == 0
    assert Delivery.objects.count() == 30

    # Paid once: the settlement of those days pays each credit once, and the next one pays none of them again.
    start = min(timezone.localdate(x.received_at) for x in Delivery.objects.all())
    end = timezone.localdate()
    settle_period(period_start=start.replace(day=1), period_end=end)
    slips = Settlement.objects.filter(cooperative=personas.coop_a)
    assert sum(s.gross for s in slips) == Decimal("1080.00")
    assert not LedgerEntry.objects.filter(source_type="coop.delivery", settlement__isnull=True).exists()


def test_three_bad_rows_are_named_in_chinese_and_nothing_is_written(personas, book):
    _households, rows = book
    future = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    rows[2][0] = "EJ999"  # no such household
    rows[5][2] = "十一月三号"  # a date nobody can read
    rows[7][3] = "二十"  # a count in words
    rows[9][2] = future  # a day not yet come
    page = _upload(_manager(personas), xlsx(rows, HEADERS)).content.decode()
    assert "有 4 行不对" in page and 'id="confirm-form"' not in page
    assert "第 4 行：社员编号“EJ999”不是本社的农户" in page  # Excel's row numbers: the header is row 1
    assert "第 7 行：交蛋日期“十一月三号”看不懂" in page
    assert "第 9 行：" in page and "第 11 行：收蛋时间不能晚于现在" in page
    assert Delivery.objects.count() == 0 and LedgerEntry.objects.count() == 0


def test_a_day_without_a_price_or_a_wrong_name_is_refused_by_row(personas, book):
    households, rows = book
    old = [[households[0].member_no, households[0].head_name, "2019-06-01", 10, 0, 0],  # before any price
           [households[1].member_no, "别人", rows[0][2], 10, 0, 0]]
    page = _upload(_manager(personas), xlsx(old, HEADERS)).content.decode()
    assert "第 2 行：2019-06-01 没有“L”的收购价" in page
    assert f"第 3 行：社员 {households[1].member_no} 的户主是“{households[1].head_name}”" in page
    assert Delivery.objects.count() == 0


def test_two_identical_deliveries_in_one_book_stay_two_and_a_gbk_csv_reads(personas, book):
    households, rows = book
    twice = [rows[0], list(rows[0])]
    plan = imports.plan_delivery_import(personas.coop_a, imports.read_table(
        "台账.csv", csv_bytes(twice, "gb18030", HEADERS), imports.DELIVERIES)[0])
    assert plan.counts[imports.ADD] == 2 and len({r.key for r in plan.rows}) == 2
    imports.apply_delivery_import(personas.coop_a, imports.read_table(
        "台账.csv", csv_bytes(twice, "gb18030", HEADERS), imports.DELIVERIES)[0], user=personas.manager_a)
    assert Delivery.objects.filter(farmer=households[0]).count() == 2


def test_the_deliveries_export_reads_back_as_the_same_deliveries(personas, book):
    _households, rows = book
    imports.apply_delivery_import(personas.coop_a, imports.read_table(
        "台账.xlsx", xlsx(rows[:6], HEADERS), imports.DELIVERIES)[0], user=personas.manager_a)
    _title, headers, table = deliveries_table([personas.coop_a.pk])
    exported = xlsx([list(r) for r in table], [str(h) for h in headers])
    plan = imports.plan_delivery_import(personas.coop_a, imports.read_table("export.xlsx", exported,
                                                                            imports.DELIVERIES)[0])
    # Its columns are understood (time, grades, defects); with the time given it keys differently from the
    # day-only book, so it is a new book to the importer — which is why the preview shows what it will record.
    assert plan.valid and plan.counts[imports.ADD] == 6
    assert sum(r.amount for r in plan.rows) == Decimal("216.00")


def test_only_managers_of_the_cooperative_import(personas, book):
    _households, rows = book
    for user in (personas.inspector_a, personas.committee_a, personas.farmer_a.user):
        c = Client()
        c.force_login(user)
        response = c.post(URL, {"file": SimpleUploadedFile("台账.xlsx", xlsx(rows, HEADERS))})
        assert response.status_code in (302, 403, 404), user.username
    c = Client()
    c.force_login(personas.manager_b)
    c.post(URL, {"file": SimpleUploadedFile("台账.xlsx", xlsx(rows, HEADERS))})
    assert Delivery.objects.count() == 0  # B's manager sees none of A's households: every row is an error


def test_a_book_longer_than_a_request_can_take_is_refused_whole(personas, book):
    households, _rows = book
    day = timezone.localdate() - datetime.timedelta(days=1)
    long_book = [[households[0].member_no, "", day.isoformat(), 1, 0, 0]] * (imports.DELIVERIES.max_rows + 1)
    with pytest.raises(imports.ImportFileError, match="一次最多导入 1000 行交蛋"):
        imports.read_table("台账.xlsx", xlsx(long_book, HEADERS), imports.DELIVERIES)


def test_a_price_removed_after_the_preview_refuses_the_whole_confirm(personas, book):
    from coop.models import PriceSchedule

    _households, rows = book
    table = imports.read_table("台账.xlsx", xlsx(rows, HEADERS), imports.DELIVERIES)[0]
    preview = imports.plan_delivery_import(personas.coop_a, table)
    assert preview.valid
    PriceSchedule.objects.filter(cooperative=personas.coop_a, weight_class="M").delete()
    with pytest.raises(imports.ImportRefused) as refused:
        imports.apply_delivery_import(personas.coop_a, table, user=personas.manager_a, expected_digest=preview.digest)
    assert "没有“M”的收购价" in " ".join(refused.value.plan.error_messages())
    assert Delivery.objects.count() == 0 and LedgerEntry.objects.count() == 0
