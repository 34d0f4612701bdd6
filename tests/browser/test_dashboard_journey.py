"""The manager opens the dashboard on a phone: the week's numbers and three SVG charts render."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.quality.test_dashboard import _records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_sees_the_week_at_a_glance_on_a_phone(phone, personas):
    _records(personas)
    phone.goto(phone.url_for("/admin/login/?next=/admin/"))
    phone.fill("input[name=username]", personas.manager_a.username)
    phone.fill("input[name=password]", personas.manager_a.raw_password)
    phone.locator("input[type=submit]").click()
    phone.get_by_role("link", name="本周概况（仪表盘）").click()
    phone.wait_for_url("**/admin/dashboard/")
    expect(phone.locator("#kpi-eggs")).to_have_text("100")
    expect(phone.locator("#kpi-rate")).to_have_text("10.0%")
    for chart in ("#chart-eggs", "#chart-villages", "#chart-scans"):
        box = phone.locator(chart).bounding_box()
        assert box and box["width"] > 250 and box["height"] > 40, chart
    assert phone.locator("#chart-villages rect.bad").count() == 2
    # Nothing sticks out sideways on a 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "dashboard-phone")
    phone.locator("#chart-villages").scroll_into_view_if_needed()
    with phone.expect_download() as download:
        phone.locator(".gsd-exports a").first.click()
    assert download.value.suggested_filename.startswith("farmers-")
