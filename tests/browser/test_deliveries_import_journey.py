"""A manager brings a delivery book in on a 360×640 phone: upload, the preview with a bad row named, fixed,
confirmed. Screenshots in bench/out/screens/."""

import pytest
from playwright.sync_api import expect

from coop.models import Delivery
from tests.browser.conftest import screenshot
from tests.browser.test_books_journey import sign_in
from tests.coop.test_imports_deliveries import HEADERS, book  # noqa: F401 (fixture)
from tests.coop.test_imports_households import xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_imports_a_delivery_book_on_a_phone(phone, personas, book, tmp_path):  # noqa: F811
    _households, rows = book
    bad = [list(r) for r in rows]
    bad[1][0] = "EJ999"
    (tmp_path / "bad.xlsx").write_bytes(xlsx(bad, HEADERS))
    (tmp_path / "good.xlsx").write_bytes(xlsx(rows, HEADERS))
    sign_in(phone, personas.manager_a, "/books/deliveries/import/")
    phone.set_input_files("input[type=file]", str(tmp_path / "bad.xlsx"))
    phone.get_by_role("button", name="上传并预览").click()
    expect(phone.locator("#errors")).to_contain_text("第 3 行：社员编号“EJ999”不是本社的农户")
    screenshot(phone, "books-deliveries-import-errors")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_role("link", name="重新上传").click()
    phone.set_input_files("input[type=file]", str(tmp_path / "good.xlsx"))
    phone.get_by_role("button", name="上传并预览").click()
    screenshot(phone, "books-deliveries-import-preview")
    phone.locator("#confirm-form button").click()
    expect(phone.locator("#result")).to_contain_text("记了 30 次交蛋")
    screenshot(phone, "books-deliveries-import-done")
    assert Delivery.objects.count() == 30
