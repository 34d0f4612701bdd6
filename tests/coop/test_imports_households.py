"""Bringing a village's household list in from Excel/CSV: preview, row errors in Chinese, all or nothing,
the same shape back out, each manager only into their own cooperative (issue 16 item 6)."""

import csv
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from coop.models import AuditEvent, Farmer, Staff
from coop.services import imports
from coop.services.farmers import update_farmer
from coop.views.imports import SESSION_KEY
from tests.factories import make_village

pytestmark = pytest.mark.django_db

HEADERS = ["社员编号", "户主姓名", "村", "手机号", "帮扶状态", "母鸡数", "收款方式", "喷码", "在册", "入社日期"]
URL = "/books/farmers/import/"
CONFIRM = "/books/farmers/import/confirm/"


def household_rows(n=30, village="尔吉村"):
    return [[f"EJ{i:03d}", f"阿吉{i}", village, f"1390000{i:04d}", "建档立卡贫困户" if i % 3 == 0 else "非贫困户",
             20 + i, "微信转账", "", "是", "2024-03-01"] for i in range(1, n + 1)]


def xlsx(rows, headers=HEADERS, title=None):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding, headers=HEADERS):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def upload(client, content, name="花名册.xlsx", **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(URL + (f"?{qs}" if qs else ""), {"file": _file(content, name)})


def _file(content, name):
    return SimpleUploadedFile(name, content)


def confirm_from(client, response):
    html = response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    return client.post(CONFIRM, {"token": token, "digest": digest})


def imported_events():
    return AuditEvent.objects.filter(action="farmers.imported")


def test_it_shows_exactly_the_three_bad_rows_and_writes_nothing_then_writes_all_thirty_when_fixed(
        personas, client_for):
    client = client_for(personas.manager_a)
    before = Farmer.objects.count()
    rows = household_rows()
    rows[3][3] = "12"  # Excel row 5 (header is row 1)
    rows[9][2] = "不存在村"  # row 11: a village the cooperative does not have
    rows[19][5] = "很多"  # row 21: hens not a number
    response = upload(client, xlsx(rows))
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.findall(r"<li>(第 \d+ 行：.*?)</li>", html)
    assert errors == ["第 5 行：手机号“12”不是有效的手机号码（11 位，以 1 开头）。",
                      "第 11 行：村“不存在村”不是本社的村（本社有：尔吉村）。请先在后台添加这个村，或改正村名。",
                      "第 21 行：母鸡数应为整数（现在是“很多”）。"]
    assert html.count('class="cell-bad"') == 3  # each error marked on its own cell
    assert 'data-col="phone"' in html and "confirm-form" not in html  # no confirm button while rows are wrong
    assert Farmer.objects.count() == before and not imported_events().exists()

    # Even a hand-made confirm of the stored preview writes nothing while rows are wrong.
    pending = client.session[SESSION_KEY]
    digest = imports.plan_import(personas.coop_a, pending["rows"]).digest  # the plan's own digest
    refused = client.post(CONFIRM, {"token": pending["token"], "digest": digest})
    assert refused.status_code == 409 and "什么也没有导入" in refused.content.decode()
    assert Farmer.objects.count() == before and not imported_events().exists()

    fixed = household_rows()
    preview = upload(client, xlsx(fixed))
    assert "新增 30 户" in preview.content.decode()
    done = confirm_from(client, preview)
    assert done.status_code == 302
    assert Farmer.objects.filter(cooperative=personas.coop_a).count() == before - 1 + 30  # farmer_b is coop B's
    event = imported_events().get()
    assert event.actor == personas.manager_a and event.cooperative == personas.coop_a
    assert event.data == {"file": "花名册.xlsx", "rows": 30, "added": 30, "changed": 0, "unchanged": 0}
    page = client.get(done["Location"])
    assert "新增 30 户，修改 0 户" in page.content.decode()
    f = Farmer.objects.get(cooperative=personas.coop_a, member_no="EJ003")
    assert (f.head_name, f.village, f.phone, f.poverty_status, f.hens, f.name_initials) == (
        "阿吉3", personas.village_a, "13900000003", Farmer.POVERTY_REGISTERED, 23, "aj3")
    assert AuditEvent.objects.filter(action="farmer.created", object_id=str(f.pk)).exists()


def test_a_gbk_csv_from_chinese_excel_is_read(personas, client_for):
    client = client_for(personas.manager_a)
    content = csv_bytes(household_rows(3), "gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # it really is GBK, not UTF-8
    preview = upload(client, content, name="农户.csv")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "阿吉2" in html and "新增 3 户" in html
    confirm_from(client, preview)
    assert Farmer.objects.get(member_no="EJ002").head_name == "阿吉2"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16"])
def test_utf8_and_unicode_csv_are_read_too(personas, encoding):
    rows, _ignored = imports.read_table("a.csv", csv_bytes(household_rows(2), encoding))
    assert [r["cells"]["head_name"] for r in rows] == ["阿吉1", "阿吉2"]


def test_round_trip_of_an_unchanged_export_changes_nothing_and_an_edited_row_updates_that_household(
        personas, client_for):
    client = client_for(personas.manager_a)
    imports.apply_import(personas.coop_a, imports.read_table("a.xlsx", xlsx(household_rows(5)))[0],
                         user=personas.manager_a)
    Farmer.objects.filter(member_no="EJ002").update(stamp_code="=A1")  # formula-looking text survives the trip
    for fmt in ("xlsx", "csv"):
        exported = client.get(f"/books/farmers/export.{fmt}")
        assert exported.status_code == 200
        preview = upload(client, exported.content, name=f"export.{fmt}")
        html = preview.content.decode()
        assert "新增 0 户" in html and "修改 0 户" in html and "不变 6 户" in html, fmt
        assert 'id="nothing"' in html
    changed_before = AuditEvent.objects.filter(action="farmer.changed").count()

    wb = load_workbook(io.BytesIO(client.get("/books/farmers/export.xlsx").content))
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "EJ004":
            row[3].value = "13812345678"
            row[5].value = 99
    out = io.BytesIO()
    wb.save(out)
    preview = upload(client, out.getvalue(), name="改过的.xlsx")
    html = preview.content.decode()
    assert "修改 1 户" in html and "不变 5 户" in html and "13900000004</s> → 13812345678" in html
    confirm_from(client, preview)
    f = Farmer.objects.get(member_no="EJ004")
    assert (f.phone, f.hens) == ("13812345678", 99)
    events = AuditEvent.objects.filter(action="farmer.changed")
    assert events.count() == changed_before + 1
    assert events.first().data == {"fields": ["hens", "phone"]} and events.first().object_id == str(f.pk)
    assert imported_events().first().data["changed"] == 1


def test_another_cooperatives_manager_cannot_import_into_yours(personas, client_for):
    client = client_for(personas.manager_b)
    farmer_a = personas.farmer_a
    rows = household_rows(2)
    rows[0][0] = farmer_a.member_no  # coop A's member number, coop A's village
    preview = upload(client, xlsx(rows), coop=personas.coop_a.pk)  # ?coop= of a cooperative not theirs
    html = preview.content.decode()
    assert personas.coop_b.name in html and personas.coop_a.name not in html  # falls back to their own
    # coop A's 尔吉村 is not coop B's: an error on both rows, never a new village
    assert len(re.findall(r"<li>第 \d 行：村“尔吉村”不是本社的村", html)) == 2
    make_village(personas.coop_b, name="尔吉村")
    preview = upload(client, xlsx(rows), coop=personas.coop_a.pk)
    confirm_from(client, preview)
    farmer_a.refresh_from_db()
    assert farmer_a.head_name == "吉克拉哈"  # untouched: the number matched nothing in coop A
    assert Farmer.objects.filter(cooperative=personas.coop_b, member_no=farmer_a.member_no).exists()
    assert Farmer.objects.filter(cooperative=personas.coop_a).count() == 1
    # Only managers import: an inspector and a stranger are refused, signed-out people sent to sign in.
    assert client_for(personas.inspector_a).get(URL).status_code == 403
    assert client_for(personas.outsider).post(URL, {"file": _file(xlsx(rows), "a.xlsx")}).status_code == 403
    assert client_for(None).get(URL).status_code == 302
    assert client_for(personas.inspector_a).get("/books/farmers/export.csv").status_code == 403
    exported = client.get(f"/books/farmers/export.csv?coop={personas.coop_a.pk}").content.decode("utf-8-sig")
    assert farmer_a.head_name not in exported and personas.farmer_b.head_name in exported  # their own list only


def test_a_preview_made_stale_by_an_edit_is_refused_and_writes_nothing(personas, client_for):
    client = client_for(personas.manager_a)
    rows = household_rows(2)
    rows[0][0] = personas.farmer_a.member_no
    preview = upload(client, xlsx(rows))
    assert "修改 1 户" in preview.content.decode()
    update_farmer(personas.farmer_a, {"hens": 7}, user=personas.manager_a)  # someone edits it in the admin
    refused = confirm_from(client, preview)
    assert refused.status_code == 409 and "预览之后农户资料有了变动" in refused.content.decode()
    assert not Farmer.objects.filter(member_no="EJ002").exists() and not imported_events().exists()
    again = confirm_from(client, refused)  # the new preview is shown: confirming it now works
    assert again.status_code == 302 and Farmer.objects.filter(member_no="EJ002").exists()
    assert client.post(CONFIRM, {"token": "old", "digest": ""}).status_code == 409  # a used preview is gone


def test_get_never_writes(personas, client_for):
    client = client_for(personas.manager_a)
    events = AuditEvent.objects.count()
    assert client.get(CONFIRM).status_code == 405
    for path in (URL, "/books/farmers/template.xlsx", "/books/farmers/export.xlsx", "/books/farmers/export.csv"):
        assert client.get(path).status_code == 200, path
    assert client.get("/books/farmers/export.pdf").status_code == 404
    assert AuditEvent.objects.count() == events and SESSION_KEY not in client.session


@pytest.mark.parametrize("name, content, message", [
    ("a.xls", b"\xd0\xcf\x11\xe0rest", "旧版 Excel"),
    ("a.xlsx", b"\xd0\xcf\x11\xe0rest", "旧版 Excel"),
    ("a.xlsx", b"not a zip", "不是有效的 .xlsx"),
    ("a.txt", b"x", "只能上传 Excel（.xlsx）或 CSV 文件"),
    ("a.csv", b"\xff\xfe\x00\xd8", "认不出这个 CSV 文件的文字编码"),
    ("a.csv", xlsx([]), "认不出这个 CSV 文件的文字编码"),  # an Excel file renamed .csv
    ("a.csv", "名字,电话\n张三,1\n".encode(), "找不到列名"),
    ("a.csv", "社员编号,户主姓名,村\n1,张三,尔吉村\n".encode(), "表里缺少这几列：手机号"),
    ("a.csv", ",".join(HEADERS).encode(), "表里只有列名，没有农户"),
])
def test_a_file_that_cannot_be_used_is_refused_in_words(personas, client_for, name, content, message):
    response = upload(client_for(personas.manager_a), content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert SESSION_KEY not in response.wsgi_request.session


def test_too_big_a_file_and_a_zip_bomb_are_refused_unread(personas, client_for, monkeypatch):
    client = client_for(personas.manager_a)
    response = upload(client, b"a" * (imports.MAX_BYTES + 1), name="a.csv")
    assert response.status_code == 400 and "文件太大" in response.content.decode()
    monkeypatch.setattr(imports, "MAX_UNZIPPED", 1000)
    with pytest.raises(imports.ImportFileError, match="解压后太大"):
        imports.read_table("a.xlsx", xlsx(household_rows(30)))


def test_a_formula_without_a_value_is_a_row_error_and_a_title_row_above_the_header_is_skipped(personas):
    rows = household_rows(2)
    rows[1][3] = "=A1&B1"  # openpyxl writes a formula with no computed value, as a program would
    table, _ignored = imports.read_table("a.xlsx", xlsx(rows, title="尔吉村农户花名册"))
    assert [r["row"] for r in table] == [3, 4]
    plan = imports.plan_import(personas.coop_a, table)
    assert plan.error_messages() == [
        "第 4 行：手机号是公式，没有算好的值：请在 Excel 里复制这一列，再“选择性粘贴→数值”。"]


def test_numbers_as_excel_stores_them_full_width_digits_and_duplicates_in_the_file(personas):
    rows = household_rows(3)
    rows[0][3] = 13900000001  # a phone typed into a number cell
    rows[1][3] = "１３９０００００００２"  # full-width digits
    rows[1][5] = 12.0
    rows[2][0] = "EJ001"  # the same member number twice
    plan = imports.plan_import(personas.coop_a, imports.read_table("a.xlsx", xlsx(rows))[0])
    assert plan.rows[0].values["phone"] == "13900000001" and plan.rows[1].values["phone"] == "13900000002"
    assert plan.rows[1].values["hens"] == 12
    assert plan.error_messages() == ["第 4 行：社员编号“EJ001”和第 2 行重复了。"]


def test_the_template_has_the_columns_in_chinese_and_the_household_list_links_to_the_import(personas, client_for):
    client = client_for(personas.manager_a)
    response = client.get("/books/farmers/template.xlsx")
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert wb.sheetnames == ["农户", "填写说明"]
    admin_list = client.get("/admin/coop/farmer/")
    assert 'id="farmer-import-link"' in admin_list.content.decode()


def test_a_list_exported_in_english_and_a_chinese_list_both_import_for_a_manager_reading_english(personas):
    imports.apply_import(personas.coop_a, imports.read_table("a.xlsx", xlsx(household_rows(3)))[0],
                         user=personas.manager_a)
    with translation.override("en"):
        headers, rows = imports.export_rows(personas.coop_a)
        assert headers[0] != "社员编号" and rows[1][4] != "非贫困户"  # really English
        plan = imports.plan_import(personas.coop_a, imports.read_table("a.xlsx", xlsx(rows, headers=headers))[0])
        assert plan.counts == {"add": 0, "change": 0, "same": 4, "error": 0}
        chinese = imports.plan_import(personas.coop_a, imports.read_table("a.xlsx", xlsx(household_rows(4)))[0])
        assert chinese.counts == {"add": 1, "change": 0, "same": 3, "error": 0}


def test_formatted_empty_rows_down_the_sheet_end_the_list_and_a_broken_sheet_is_refused_in_words(personas):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in household_rows(3):
        ws.append(row)
    for r in range(10, 5000):  # Excel keeps the formatting of rows nobody typed in
        ws.cell(row=r, column=1).font = Font(bold=True)
    ws.cell(row=6000, column=1, value="EJ999")  # past 200 blank rows: not part of the list
    out = io.BytesIO()
    wb.save(out)
    rows, _ignored = imports.read_table("a.xlsx", out.getvalue())
    assert [r["cells"]["member_no"] for r in rows] == ["EJ001", "EJ002", "EJ003"]

    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(household_rows(2)))) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item, body[: len(body) // 2] if item.filename == "xl/worksheets/sheet1.xml" else body)
    with pytest.raises(imports.ImportFileError, match="不是有效的 .xlsx"):
        imports.read_table("a.xlsx", broken.getvalue())


def test_more_rows_than_one_import_takes_is_refused(personas, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    for name, content in (("a.xlsx", xlsx(household_rows(6))), ("a.csv", csv_bytes(household_rows(6), "utf-8"))):
        with pytest.raises(imports.ImportFileError, match="一次最多导入 5 户"):
            imports.read_table(name, content)


def test_a_manager_who_lost_the_role_after_the_preview_cannot_confirm_it(personas, client_for):
    client = client_for(personas.manager_a)
    preview = upload(client, xlsx(household_rows(2)))
    Staff.objects.filter(user=personas.manager_a).delete()
    assert confirm_from(client, preview).status_code == 403
    assert not Farmer.objects.filter(member_no__startswith="EJ").exists() and not imported_events().exists()


def test_a_formula_excel_has_computed_is_read_as_the_value_the_cadre_sees(personas):
    rows = household_rows(2)
    rows[1][3] = '="139"&"00000099"'
    content = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(rows))) as src, zipfile.ZipFile(content, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # as Excel saves it: the formula and its result
                body = body.replace(b"</f><v />", b"</f><v>13900000099</v>")
                body = body.replace(b'<c r="D3">', b'<c r="D3" t="str">')
            dst.writestr(item, body)
    plan = imports.plan_import(personas.coop_a, imports.read_table("a.xlsx", content.getvalue())[0])
    assert plan.valid and plan.rows[1].values["phone"] == "13900000099"
