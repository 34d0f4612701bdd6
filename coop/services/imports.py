"""Bringing the village's own books in: households from an Excel (.xlsx) or CSV list, and the same list back out.

Why openpyxl (already a dependency) and the project's validators rather than ``django-import-export``: every
household must be saved through ``coop.services.farmers`` (pinyin keys, the audit trail, the tenant's
villages), every error must be a Chinese sentence about a row and a column a cadre can find in Excel, and the
files come from Chinese Excel (GBK CSV, title rows above the header, phone numbers stored as numbers, formula
cells). django-import-export would bring tablib and its own admin preview (desktop-only, English-shaped
errors, model fields as column names) and save rows through ``Resource.save_instance``, which bypasses our
services; overriding enough of it to get this behaviour is more code than the reading below.

The steps: ``read_table`` turns the uploaded bytes into rows of text (or raises ``ImportFileError`` for the
whole file); ``plan_import`` checks every row against the cooperative as it is now and says what each would
do (add / change / unchanged / error); ``apply_import`` re-plans inside one transaction, under the
cooperative's lock, refuses if any row is wrong or the plan differs from the one previewed, and writes.
Nothing is written until the whole file is valid.
"""

import csv
import datetime
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from coop.lib.errors import DomainError
from coop.lib.files import FORMULA_STARTS, sheet_row
from coop.lib.locking import lock_keys
from coop.lib.validators import InvalidNumber, normalize_mobile, parse_int, too_long, validate_mobile
from coop.models import Farmer, Village
from coop.services.audit import log_action
from coop.services.farmers import create_farmer, update_farmer

MAX_BYTES = 2 * 1024 * 1024  # a village's list of a few thousand households is ~200 KB
MAX_UNZIPPED = 40 * 1024 * 1024  # an .xlsx is a zip: refuse a small file that unpacks to gigabytes
MAX_ROWS = 3000
MAX_HENS = 100_000
HEADER_SEARCH_ROWS = 10  # cadres' lists often have a title ("尔吉村农户花名册") above the column names


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple = ()
    hint: str = ""


# The order of the template and the export. Headers are the words on the admin's household form.
COLUMNS = [
    Column("member_no", gettext_lazy("社员编号"), True, ("编号", "社员号"), gettext_lazy("必填；按它找到已有的农户")),
    Column("head_name", gettext_lazy("户主姓名"), True, ("姓名", "户主"), gettext_lazy("必填")),
    Column("village", gettext_lazy("村"), True, ("村名", "所在村", "村庄"), gettext_lazy("必填；本社已有的村")),
    Column("phone", gettext_lazy("手机号"), True, ("手机", "电话", "联系电话", "手机号码"),
           gettext_lazy("必填；11 位手机号")),
    Column("poverty_status", gettext_lazy("帮扶状态"), False, ("帮扶类型", "贫困户类型"),
           gettext_lazy("非贫困户 / 建档立卡贫困户 / 脱贫监测户")),
    Column("hens", gettext_lazy("母鸡数"), False, ("鸡数", "养鸡数"), gettext_lazy("整数")),
    Column("payout_method", gettext_lazy("收款方式"), False, (), gettext_lazy("微信转账 / 银行卡 / 现金")),
    Column("stamp_code", gettext_lazy("喷码"), False, (), gettext_lazy("印在蛋上的代码，可空")),
    Column("active", gettext_lazy("在册"), False, ("是否在册",), gettext_lazy("是 / 否")),
    Column("joined_on", gettext_lazy("入社日期"), False, ("入社时间",), gettext_lazy("如 2024-03-01")),
]
KEYS = [c.key for c in COLUMNS]
BY_KEY = {c.key: c for c in COLUMNS}

ADD, CHANGE, SAME, ERROR = "add", "change", "same", "error"


class ImportFileError(DomainError):
    """The file as a whole cannot be read (type, size, encoding, no header): nothing is looked at further."""

    code = "import_file"


class ImportRefused(DomainError):
    """Confirming found rows with errors, or a plan that differs from the preview: nothing was written."""

    code = "import_refused"

    def __init__(self, message, plan):
        super().__init__(message)
        self.plan = plan


# --- reading the file ------------------------------------------------------------------------------

def _in_both(text):
    """``text`` (a lazy Chinese string) in the page's language and in Chinese: a list exported by a manager who
    reads English has English headers and words, and a Chinese one must still import for them."""
    with translation.override(settings.LANGUAGE_CODE):
        source = str(text)
    return {str(text), source}


def _header_key(text):
    """The column a header names: spaces, "*" and anything in brackets ("手机号（必填）") ignored."""
    def norm(value):
        value = unicodedata.normalize("NFKC", str(value or ""))
        return re.sub(r"\(.*?\)|\[.*?\]|[\s*:]", "", value).lower()

    text = norm(text)
    for column in COLUMNS:
        if text in {norm(name) for name in (*_in_both(column.header), *column.aliases)}:
            return column.key
    return None


def _cell_text(value):
    """A cell as the text a person sees: Excel stores 13800001234 and 12 as numbers (12.0), dates as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    # Our exports write text that starts like a formula with a leading apostrophe (coop.lib.files.sheet_cell);
    # read it back as the text it was, so an exported list re-imports unchanged.
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        text = text[1:]
    return text


FORMULA = object()  # a formula cell whose value was never computed (a file written by a program)


MAX_BLANK_RUN = 200  # Excel keeps formatted empty rows to row 1,048,576: that many blank rows is the list's end


def _sheet_rows(data, *, data_only):
    """The first sheet's rows as lists of values (read-only mode: streamed, never the whole sheet's cells)."""
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        rows, filled, blank_run = [], 0, 0
        for row in wb.worksheets[0].iter_rows(values_only=True):
            if all(v is None or v == "" for v in row):
                blank_run += 1
                if blank_run > MAX_BLANK_RUN:
                    break
            else:
                blank_run = 0
                filled += 1
                if filled > MAX_ROWS + HEADER_SEARCH_ROWS:
                    raise ImportFileError(_("一次最多导入 %(n)s 户，请分几个文件导入。") % {"n": MAX_ROWS})
            rows.append(list(row))
        return rows
    finally:
        wb.close()


def _xlsx_rows(data):
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise ImportFileError(_("这是旧版 Excel（.xls）文件或加了密码的文件：请在 Excel 里“另存为”.xlsx 再上传。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise ImportFileError(_("这个 Excel 文件解压后太大，不像是农户名单。"))
        # openpyxl parses through defusedxml (installed), so entity tricks in the XML are refused. First as
        # written (a formula reads "=…"); only if there are formulas, again for the values Excel computed (what
        # the cadre sees) — a formula with no computed value (a file written by a program) is a row error,
        # never an empty cell. A text cell "=…" has that text as its computed value too, so it stays text.
        rows = _sheet_rows(data, data_only=False)
        if any(isinstance(v, str) and v.startswith("=") for row in rows for v in row):
            computed = _sheet_rows(data, data_only=True)
            for r, row in enumerate(rows):
                for i, written in enumerate(row):
                    if isinstance(written, str) and written.startswith("="):
                        value = computed[r][i] if r < len(computed) and i < len(computed[r]) else None
                        row[i] = FORMULA if value is None else value
        return rows
    except ImportFileError:
        raise
    except Exception:  # BadZipFile, KeyError (no workbook part), XML and cell errors: all mean "not an .xlsx"
        raise ImportFileError(_("读不了这个文件：它不是有效的 .xlsx 表格。请在 Excel 里“另存为”.xlsx 或 CSV 再上传。")
                              ) from None


def _decode_csv(data):
    """The text of a CSV file. Excel on Chinese Windows saves "CSV" in GBK (code page 936), "CSV UTF-8" with a
    BOM, "Unicode text" in UTF-16. Why not charset-normalizer: on a short list of names its guess wavers between
    GBK, Big5 and others, while strict UTF-8 first and then GB18030 (a superset of GBK and GB2312) is exact
    for what Excel writes — GBK text is almost never valid UTF-8, so the first strict decode that works is right."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError(_("认不出这个 CSV 文件的文字编码：请在 Excel 里“另存为”.xlsx 或“CSV UTF-8”再上传。"))


def _csv_rows(data):
    text = _decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error:
        raise ImportFileError(_("CSV 文件格式有误（引号没有配对）：请在 Excel 里打开后重新保存。")) from None


def read_table(filename, data):
    """``(rows, ignored)``: the data rows of an uploaded list as ``[{"row": n, "cells": {key: text}}]`` (``n`` the
    row number Excel shows) and the headers of columns that are not ours (ignored). ``ImportFileError`` when
    the file as a whole cannot be used."""
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("文件太大（最多 %(mb)s MB）。") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data:
        raise ImportFileError(_("文件是空的。"))
    if name.endswith(".xlsx"):
        source = _xlsx_rows(data)
    elif name.endswith(".csv"):
        source = _csv_rows(data)
    elif name.endswith(".xls"):
        raise ImportFileError(_("这是旧版 Excel（.xls）文件：请在 Excel 里“另存为”.xlsx 再上传。"))
    else:
        raise ImportFileError(_("只能上传 Excel（.xlsx）或 CSV 文件。"))
    header, ignored, rows = None, [], []
    for number, raw in enumerate(source, start=1):
        if header is None:
            keys = [_header_key(v) if v is not FORMULA else None for v in raw]
            if "member_no" in keys and "head_name" in keys:
                header = {}
                for i, key in enumerate(keys):
                    if key and key not in header.values():
                        header[i] = key
                    elif _cell_text(raw[i]) and raw[i] is not FORMULA:
                        ignored.append(_cell_text(raw[i]))
                missing = [str(BY_KEY[c].header) for c in KEYS if BY_KEY[c].required and c not in header.values()]
                if missing:
                    raise ImportFileError(_("表里缺少这几列：%(cols)s。") % {"cols": "、".join(missing)})
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        cells = {key: (FORMULA if i < len(raw) and raw[i] is FORMULA else _cell_text(raw[i] if i < len(raw) else None))
                 for i, key in header.items()}
        if all(v == "" for v in cells.values()):
            continue  # blank lines between villages are common
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("一次最多导入 %(n)s 户，请分几个文件导入。") % {"n": MAX_ROWS})
        rows.append({"row": number, "cells": {k: ("=" if v is FORMULA else v) for k, v in cells.items()},
                     "formulas": [k for k, v in cells.items() if v is FORMULA]})
    if header is None:
        raise ImportFileError(
            _("找不到列名：表的第一行应写“社员编号、户主姓名、村、手机号”等列名（可下载模板照着填）。"))
    if not rows:
        raise ImportFileError(_("表里只有列名，没有农户。"))
    return rows, ignored


# --- checking the rows -----------------------------------------------------------------------------

@dataclass
class RowPlan:
    row: int
    cells: dict
    action: str = ADD
    values: dict = field(default_factory=dict)  # what the household will have (new) or will change to
    changes: dict = field(default_factory=dict)  # {key: (old text, new text)} for a changed household
    errors: dict = field(default_factory=dict)  # {key or "": message}
    farmer: Farmer = None

    def messages(self):
        """The row's errors as a cadre reads them: "第 5 行：手机号“12”不是有效的手机号码……"."""
        return [_("第 %(row)s 行：%(msg)s") % {"row": self.row, "msg": msg} for msg in self.errors.values()]


@dataclass
class Plan:
    rows: list
    ignored: list = field(default_factory=list)
    event: object = None  # the audit event, once applied

    def count(self, action):
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self):
        return {a: self.count(a) for a in (ADD, CHANGE, SAME, ERROR)}

    @property
    def valid(self):
        return not any(r.errors for r in self.rows)

    def error_messages(self):
        return [m for r in self.rows for m in r.messages()]

    @property
    def digest(self):
        """What confirming would write, as a short hash: the confirm step refuses a plan that differs."""
        # A change counts with the value it replaces: an edit made after the preview makes a different plan.
        facts = [(r.row, r.action, sorted((k, str(v)) for k, v in r.values.items()),
                  sorted((k, list(v)) for k, v in r.changes.items())) for r in self.rows if r.action in (ADD, CHANGE)]
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()[:32]


def _choice_words(choices):
    """{label: code} for a model's choices, in the page's language and in Chinese (read at call time, not at
    import time, when no language is active yet)."""
    return {word: code for code, label in choices for word in sorted(_in_both(label))}

YES = {"是", "在册", "y", "yes", "true", "1"}
NO = {"否", "不在册", "n", "no", "false", "0"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def _parse_date(text):
    text = unicodedata.normalize("NFKC", text).strip()
    if " " in text:
        text = text.split(" ", 1)[0]  # "2024-03-01 00:00:00" from a date cell written as text
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _has_control(text):
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _words():
    """The words a row's choice columns may hold, computed once per file (a language switch is not free)."""
    return {"poverty_status": _choice_words(Farmer.POVERTY_STATUSES),
            "payout_method": _choice_words(Farmer.PAYOUT_METHODS),
            "yes": YES | {w.lower() for w in _in_both(gettext_lazy("是"))},
            "no": NO | {w.lower() for w in _in_both(gettext_lazy("否"))}}


def _check_row(cells, villages, today, words):
    """``(values, errors)`` for one row's cells: values are model values for the columns given (blank optional
    cells are left out: a new household gets the default, an existing one keeps what it has)."""
    values, errors = {}, {}

    def text_field(key, *, nfkc=False):
        text = cells.get(key, "")
        if nfkc:
            text = unicodedata.normalize("NFKC", text).strip()
        label = str(BY_KEY[key].header)
        if not text:
            if BY_KEY[key].required:
                errors[key] = _("%(label)s不能空着。") % {"label": label}
            return
        if _has_control(text):
            errors[key] = _("%(label)s里有换行或看不见的字符，请改正。") % {"label": label}
            return
        message = too_long(Farmer, key, text, label)
        if message:
            errors[key] = message
            return
        values[key] = text

    text_field("member_no", nfkc=True)
    text_field("head_name")
    text_field("stamp_code", nfkc=True)

    village = cells.get("village", "")
    if not village:
        errors["village"] = _("村不能空着。")
    elif village not in villages:
        errors["village"] = _("村“%(name)s”不是本社的村（本社有：%(known)s）。请先在后台添加这个村，或改正村名。") % {
            "name": village, "known": "、".join(sorted(villages)) or _("还没有村")}
    else:
        values["village"] = villages[village]

    phone = cells.get("phone", "")
    if not phone:
        errors["phone"] = _("手机号不能空着。")
    else:
        try:
            validate_mobile(phone)
        except ValidationError:
            errors["phone"] = _("手机号“%(value)s”不是有效的手机号码（11 位，以 1 开头）。") % {"value": phone[:30]}
        else:
            values["phone"] = normalize_mobile(phone)

    def choice(key, choices):
        known = words[key]
        text = cells.get(key, "")
        if not text:
            return
        if text in known:
            values[key] = known[text]
        elif text in known.values():  # the code itself ("cash"), as an older export may have written it
            values[key] = text
        else:
            errors[key] = _("%(label)s“%(value)s”看不懂，应填：%(choices)s。") % {
                "label": BY_KEY[key].header, "value": text[:30],
                "choices": "、".join(str(label) for _code, label in choices)}

    choice("poverty_status", Farmer.POVERTY_STATUSES)
    choice("payout_method", Farmer.PAYOUT_METHODS)

    hens = unicodedata.normalize("NFKC", cells.get("hens", "")).strip()
    if hens:
        try:
            values["hens"] = parse_int(hens, minimum=0, maximum=MAX_HENS, label=_("母鸡数"))
        except InvalidNumber as exc:
            errors["hens"] = _("%(msg)s（现在是“%(value)s”）。") % {"msg": exc.message.rstrip("。"), "value": hens[:30]}

    active = cells.get("active", "").strip().lower()
    if active:
        if active in words["yes"]:
            values["active"] = True
        elif active in words["no"]:
            values["active"] = False
        else:
            errors["active"] = _("在册应填“是”或“否”（现在是“%(value)s”）。") % {"value": cells["active"][:30]}

    joined = cells.get("joined_on", "")
    if joined:
        day = _parse_date(joined)
        if day is None:
            errors["joined_on"] = _("入社日期“%(value)s”看不懂，请写成 2024-03-01。") % {"value": joined[:30]}
        elif day > today:
            errors["joined_on"] = _("入社日期 %(day)s 还没到。") % {"day": day.isoformat()}
        else:
            values["joined_on"] = day
    return values, errors


def _shown(key, value):
    """A model value as the export writes it (and the preview shows it)."""
    if key == "village":
        return value.name
    if key == "poverty_status":
        return str(dict(Farmer.POVERTY_STATUSES)[value])
    if key == "payout_method":
        return str(dict(Farmer.PAYOUT_METHODS)[value])
    if key == "active":
        return _("是") if value else _("否")
    if key == "joined_on":
        return value.isoformat()
    return str(value)


def plan_import(cooperative, rows, *, ignored=()):
    """What importing ``rows`` (from ``read_table``) into ``cooperative`` would do, row by row, checked against
    the cooperative's villages and households as they are now. Writes nothing."""
    today = timezone.localdate()
    villages = {v.name: v for v in Village.objects.filter(cooperative=cooperative)}
    existing = {f.member_no: f for f in Farmer.objects.filter(cooperative=cooperative).select_related("village")}
    stamps = {f.stamp_code: f.member_no for f in existing.values() if f.stamp_code}
    seen_no, seen_stamp = {}, {}
    words = _words()
    plans = []
    for raw in rows:
        cells = raw["cells"]
        values, errors = _check_row(cells, villages, today, words)
        for key in raw.get("formulas", []):
            errors[key] = _("%(label)s是公式，没有算好的值：请在 Excel 里复制这一列，再“选择性粘贴→数值”。") % {
                "label": BY_KEY[key].header}
            values.pop(key, None)
        member_no = values.get("member_no")
        if member_no:
            if member_no in seen_no:
                errors["member_no"] = _("社员编号“%(no)s”和第 %(row)s 行重复了。") % {
                    "no": member_no, "row": seen_no[member_no]}
            seen_no.setdefault(member_no, raw["row"])
        stamp = values.get("stamp_code")
        if stamp:
            owner = stamps.get(stamp)
            if stamp in seen_stamp:
                errors["stamp_code"] = _("喷码“%(code)s”和第 %(row)s 行重复了。") % {
                    "code": stamp, "row": seen_stamp[stamp]}
            elif owner and owner != member_no:
                errors["stamp_code"] = _("喷码“%(code)s”已是社员 %(no)s 的。") % {"code": stamp, "no": owner}
            seen_stamp.setdefault(stamp, raw["row"])
        plan = RowPlan(row=raw["row"], cells=cells, errors=errors)
        farmer = existing.get(member_no) if member_no else None
        plan.farmer = farmer
        if farmer is not None:
            changes = {k: v for k, v in values.items()
                       if k != "member_no" and (farmer.village if k == "village" else getattr(farmer, k)) != v}
            plan.values = changes
            plan.changes = {k: (_shown(k, farmer.village if k == "village" else getattr(farmer, k)), _shown(k, v))
                            for k, v in changes.items()}
            plan.action = CHANGE if changes else SAME
        else:
            plan.values = values
            plan.action = ADD
        if errors:
            plan.action = ERROR
        plans.append(plan)
    return Plan(rows=plans, ignored=list(ignored))


@transaction.atomic
def apply_import(cooperative, rows, *, user, expected_digest=None, filename=""):
    """Import ``rows`` into ``cooperative``: re-checked here (the preview may be stale), all or nothing, one
    transaction, audited as ``farmers.imported`` with who and how many. ``ImportRefused`` (nothing written)
    when a row is wrong or what would be written differs from the preview's ``expected_digest``."""
    # One import per cooperative at a time: two confirms of the same file would both see "new" and the
    # second would fail on the unique member number half-way instead of finding nothing to do.
    lock_keys(f"farmers-import:{cooperative.pk}")
    plan = plan_import(cooperative, rows)
    if not plan.valid:
        raise ImportRefused(_("有 %(n)s 行不对，什么也没有导入。请改正后重新上传。") % {"n": plan.count(ERROR)}, plan)
    if expected_digest is not None and plan.digest != expected_digest:
        raise ImportRefused(_("预览之后农户资料有了变动，什么也没有导入。请看一遍新的预览再确认。"), plan)
    for row in plan.rows:
        if row.action == ADD:
            create_farmer(Farmer(cooperative=cooperative, **row.values), user=user)
        elif row.action == CHANGE:
            update_farmer(row.farmer, row.values, user=user)
    counts = plan.counts
    plan.event = log_action(cooperative, "farmers.imported", user=user, cooperative=cooperative, data={
        "file": (filename or "")[:100], "rows": len(plan.rows), "added": counts[ADD], "changed": counts[CHANGE],
        "unchanged": counts[SAME]})
    return plan


# --- the same shape back out -------------------------------------------------------------------------

def export_rows(cooperative):
    """``(headers, rows)`` of the cooperative's households in the import's columns: export, edit in Excel,
    re-import. The payout account is left out: its full number only ever leaves in the transfer list."""
    headers = [str(c.header) for c in COLUMNS]
    farmers = Farmer.objects.filter(cooperative=cooperative).select_related("village").order_by("member_no")
    rows = [[_shown(k, f.village if k == "village" else getattr(f, k)) if k != "hens" else f.hens for k in KEYS]
            for f in farmers]
    return headers, rows


def export_file(cooperative, fmt):
    """The list as .xlsx or CSV bytes (the CSV with a BOM, which Chinese Excel needs to read UTF-8). Not audited:
    it is a GET, which writes nothing, and the dashboard's farmers export already gives the same phones unaudited;
    the payout accounts, which the transfer list's audited export guards, are not in it."""
    headers, rows = export_rows(cooperative)
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(sheet_row(r) for r in rows)
        return buf.getvalue().encode("utf-8")
    return _workbook(headers, rows)


def template_file():
    """An empty list to fill in: the columns in Chinese, a second sheet saying what each takes."""
    return _workbook([str(c.header) for c in COLUMNS], [], notes=True)


def _workbook(headers, rows, *, notes=False):
    wb = Workbook()
    ws = wb.active
    ws.title = _("农户")
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(sheet_row(row))
    # Member numbers and phones as text: else Excel shows 13800001234 as 1.38E+10 and drops leading zeros.
    for key in ("member_no", "phone", "stamp_code"):
        letter = chr(ord("A") + KEYS.index(key))
        for cell in ws[letter][1:]:
            cell.number_format = "@"
        ws.column_dimensions[letter].number_format = "@"
    for i in range(len(headers)):
        ws.column_dimensions[chr(ord("A") + i)].width = 14
    if notes:
        help_ws = wb.create_sheet(_("填写说明"))
        help_ws.append([_("列名"), _("怎么填")])
        for column in COLUMNS:
            help_ws.append([str(column.header), str(column.hint)])
        help_ws.append([])
        help_ws.append([_("空着的格子：新农户用默认值，已有农户保持不变。表里没有的农户不会被删除。")])
        help_ws.column_dimensions["A"].width = 12
        help_ws.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
