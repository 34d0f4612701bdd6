"""A cadre on a phone brings the village's Excel list in: upload, the preview marks the bad rows, fix, confirm."""

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from coop.models import Farmer
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["社员编号", "户主姓名", "村", "手机号", "帮扶状态", "母鸡数", "收款方式", "喷码", "在册", "入社日期"]


def workbook(rows):
    wb = Workbook()
    wb.active.append(HEADERS)
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows(bad=True):
    out = [[f"EJ{i:03d}", f"阿吉{i}", "尔吉村", f"1390000{i:04d}", "非贫困户", 20 + i, "微信转账", "", "是",
            "2024-03-01"] for i in range(1, 31)]
    if bad:
        out[3][3] = "12"
        out[9][2] = "不存在村"
        out[19][5] = "很多"
    return out


def test_the_preview_on_a_phone_marks_each_bad_row_and_a_fixed_file_is_imported(phone, personas):
    phone.goto(phone.url_for("/admin/login/?next=/books/farmers/import/"))
    phone.fill("input[name=username]", personas.manager_a.username)
    phone.fill("input[name=password]", personas.manager_a.raw_password)
    phone.locator("input[type=submit]").click()
    phone.wait_for_url("**/books/farmers/import/")
    screenshot(phone, "import-upload")
    phone.set_input_files("input[type=file]", files=[{
        "name": "尔吉村花名册.xlsx", "buffer": workbook(rows()),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    phone.get_by_role("button", name="上传并预览").click()
    expect(phone.locator("#errors li")).to_have_count(3)
    expect(phone.locator("#errors")).to_contain_text("第 5 行：手机号“12”不是有效的手机号码")
    expect(phone.locator("td.cell-bad")).to_have_count(3)
    expect(phone.locator("#confirm-form")).to_have_count(0)
    # The wide table scrolls inside its box; the page itself stays 360 px wide.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "import-preview-errors")
    assert not Farmer.objects.filter(member_no__startswith="EJ").exists()

    phone.get_by_role("link", name="重新上传").click()
    phone.set_input_files("input[type=file]", files=[{
        "name": "尔吉村花名册.xlsx", "buffer": workbook(rows(bad=False)),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    phone.get_by_role("button", name="上传并预览").click()
    expect(phone.locator("#summary")).to_contain_text("新增 30 户")
    screenshot(phone, "import-preview-ok")
    phone.get_by_role("button", name="确认导入：新增 30 户，修改 0 户").click()
    expect(phone.locator("#result")).to_contain_text("新增 30 户，修改 0 户")
    screenshot(phone, "import-done")
    assert Farmer.objects.filter(member_no__startswith="EJ").count() == 30
