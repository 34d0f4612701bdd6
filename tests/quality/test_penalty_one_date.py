"""Issue 16 item 3: "the same date for the same penalty everywhere". A penalty's date is its report's day
(Penalty.dated_on); the farmer page showed that, but the payslip (and its PDF) showed the day the fine was
taken — a week later, when the appeal window closed — the admin list showed no date at all, the hearing page
the day the report was confirmed, and the messages none. Now each shows the one date."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from coop.models import Notification, Settlement
from coop.services.payslips import render_pdf
from coop.services.settlements import month_bounds, settle_period
from quality.models import BadEggReport
from quality.services import appeals, penalties
from tests.coop.test_payslips_plain_reading import pdf_layout_text
from tests.factories import close_window, confirm, give_pin, report_on, set_prices, sign_in

pytestmark = pytest.mark.django_db


def _report_days_ago(batch, days):
    report = report_on(batch)
    BadEggReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    report.refresh_from_db()
    return report


def test_a_penalty_shows_its_reports_day_on_every_page_and_message(personas, charter, farmer_a_batch, tmp_path):
    set_prices(personas.coop_a)
    farmer, manager = personas.farmer_a, personas.manager_a
    confirm(_report_days_ago(farmer_a_batch, 12), manager)  # first offence: a warning
    (fine,) = confirm(_report_days_ago(farmer_a_batch, 11), manager)  # second: 2 eggs × ¥2
    day = fine.dated_on
    assert day == timezone.localdate() - datetime.timedelta(days=11)
    close_window(fine)
    assert penalties.apply_due_penalties() == 1
    fine.refresh_from_db()
    assert timezone.localdate(fine.applied_at) != day  # the day the money was taken is another day

    # The messages name it.
    words = date_format(day, "DATE_FORMAT")
    for event in ("penalty.notified", "penalty.applied"):
        assert words in Notification.objects.get(dedupe_key=f"penalty:{fine.pk}:{event.split('.')[1]}").body, event

    # The farmer's page and the admin list.
    give_pin(farmer, manager)
    household = Client()
    sign_in(household, farmer)
    assert f"{day.year}年{day.month}月{day.day}日" in household.get(f"/farmer/penalties/{fine.pk}/").content.decode()
    staff = Client()
    staff.force_login(manager)
    listing = staff.get("/admin/quality/penalty/").content.decode()
    row = re.search(rf'<tr>.*?href="/admin/quality/penalty/{fine.pk}/change/.*?</tr>', listing, re.S).group(0)
    assert date_format(day, "DATE_FORMAT") in row

    # The payslip (phone and PDF): the fine line is dated by the penalty, not by the day it was taken.
    start, end = month_bounds(timezone.localdate())
    settle_period(period_start=start, period_end=end)
    slip = Settlement.objects.get(farmer=farmer)
    phone = household.get(f"/farmer/payslips/{slip.pk}/").content.decode()
    deductions = re.search(r'<ul class="ledger" id="deductions">(.*?)</ul>', phone, re.S).group(1)
    assert f'<span class="when">{day.month}月{day.day}日</span>' in deductions
    text = pdf_layout_text(render_pdf(slip), tmp_path)
    dated = [line.strip() for line in text.splitlines() if "罚 ¥4.00" in line and re.match(r"\s*\d\d-\d\d", line)]
    assert dated and all(line.startswith(f"{day:%m-%d}") for line in dated), dated

    # The hearing page of a later penalty lists this one under the same date.
    (third,) = confirm(report_on(farmer_a_batch), manager)
    appeal = appeals.file_appeal(third, user=farmer.user, grounds="运输坏的")
    committee = Client()
    committee.force_login(personas.committee_a)
    hearing = committee.get(f"/admin/quality/appeal/{appeal.pk}/change/").content.decode()
    assert f"{day:%Y-%m-%d} {fine.report.reference}" in hearing
