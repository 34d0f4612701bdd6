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
from decimal import Decimal

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
from coop.models import REJECT_DEFECTS, WEIGHT_CLASS_CODES, Delivery, Farmer, Village
from coop.services.audit import log_action
from coop.services.farmers import create_farmer, update_farmer
from coop.services.intake import DeliveryError, record_delivery

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


def _header_key(text, columns=None):
    """The column a header names: spaces, "*" and anything in brackets ("手机号（必填）") ignored."""
    def norm(value):
        value = unicodedata.normalize("NFKC", str(value or ""))
        return re.sub(r"\(.*?\)|\[.*?\]|[\s*:]", "", value).lower()

    text = norm(text)
    for column in columns or COLUMNS:
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


def _sheet_rows(data, *, data_only, too_many=None, max_rows=None):
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
                if filled > (max_rows or MAX_ROWS) + HEADER_SEARCH_ROWS:
                    raise ImportFileError(too_many or _("一次最多导入 %(n)s 户，请分几个文件导入。") % {"n": MAX_ROWS})
            rows.append(list(row))
        return rows
    finally:
        wb.close()


def _xlsx_rows(data, too_many=None, max_rows=None):
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
        rows = _sheet_rows(data, data_only=False, too_many=too_many, max_rows=max_rows)
        if any(isinstance(v, str) and v.startswith("=") for row in rows for v in row):
            computed = _sheet_rows(data, data_only=True, too_many=too_many, max_rows=max_rows)
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


@dataclass(frozen=True)
class TableKind:
    """What a file of one kind holds: its columns, the two headers that find the header row, and what its
    refusals say (a household list counts 户, a delivery book 行)."""

    columns: list
    anchor: tuple
    too_many: object
    no_header: object
    no_rows: object
    max_rows: int = None  # None: MAX_ROWS, read when a file is read


HOUSEHOLDS = TableKind(
    COLUMNS, ("member_no", "head_name"), gettext_lazy("一次最多导入 %(n)s 户，请分几个文件导入。"),
    gettext_lazy("找不到列名：表的第一行应写“社员编号、户主姓名、村、手机号”等列名（可下载模板照着填）。"),
    gettext_lazy("表里只有列名，没有农户。"))


def read_table(filename, data, kind=HOUSEHOLDS):
    """``(rows, ignored)``: the data rows of an uploaded list as ``[{"row": n, "cells": {key: text}}]`` (``n`` the
    row number Excel shows) and the headers of columns that are not ours (ignored). ``ImportFileError`` when
    the file as a whole cannot be used."""
    columns = kind.columns
    max_rows = kind.max_rows or MAX_ROWS
    too_many = str(kind.too_many) % {"n": max_rows}
    name = (filename or "").lower()
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("文件太大（最多 %(mb)s MB）。") % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data:
        raise ImportFileError(_("文件是空的。"))
    if name.endswith(".xlsx"):
        source = _xlsx_rows(data, too_many, max_rows)
    elif name.endswith(".csv"):
        source = _csv_rows(data)
    elif name.endswith(".xls"):
        raise ImportFileError(_("这是旧版 Excel（.xls）文件：请在 Excel 里“另存为”.xlsx 再上传。"))
    else:
        raise ImportFileError(_("只能上传 Excel（.xlsx）或 CSV 文件。"))
    header, ignored, rows = None, [], []
    for number, raw in enumerate(source, start=1):
        if header is None:
            keys = [_header_key(v, columns) if v is not FORMULA else None for v in raw]
            if all(key in keys for key in kind.anchor):
                header = {}
                for i, key in enumerate(keys):
                    if key and key not in header.values():
                        header[i] = key
                    elif _cell_text(raw[i]) and raw[i] is not FORMULA:
                        ignored.append(_cell_text(raw[i]))
                missing = [str(c.header) for c in columns if c.required and c.key not in header.values()]
                if missing:
                    raise ImportFileError(_("表里缺少这几列：%(cols)s。") % {"cols": "、".join(missing)})
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        cells = {key: (FORMULA if i < len(raw) and raw[i] is FORMULA else _cell_text(raw[i] if i < len(raw) else None))
                 for i, key in header.items()}
        if all(v == "" for v in cells.values()):
            continue  # blank lines between villages are common
        if len(rows) >= max_rows:
            raise ImportFileError(too_many)
        rows.append({"row": number, "cells": {k: ("=" if v is FORMULA else v) for k, v in cells.items()},
                     "formulas": [k for k, v in cells.items() if v is FORMULA]})
    if header is None:
        raise ImportFileError(str(kind.no_header))
    if not rows:
        raise ImportFileError(str(kind.no_rows))
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


# --- past deliveries (交蛋台账) ------------------------------------------------------------------------
#
# A cadre's delivery book: one delivery a row — who (社员编号), when (交蛋日期), how many eggs of each grade
# were accepted and of each defect refused; the columns of the deliveries export (dashboard), so an export
# reads back in. Each row is recorded through ``coop.services.intake.record_delivery``, the one path of every
# delivery: the price of its day, the laying-capacity check (a row over it is held 待核查, as at the scale),
# the ledger credit that the next settlement pays once. No text goes to the household about old eggs.
#
# Re-importing the same file writes nothing twice: each row's idempotency key is a hash of the cooperative,
# the household, the time and the counts, and of how many identical rows came before it in the file (two
# identical deliveries on one day stay two); ``record_delivery`` turns a known key into the first delivery.

DELIVERY_COLUMNS = [
    Column("member_no", gettext_lazy("社员编号"), True, ("编号", "社员号"), gettext_lazy("必填；本社已有的农户")),
    Column("head_name", gettext_lazy("户主姓名"), False, ("姓名", "户主"), gettext_lazy("可空；填了就核对")),
    Column("received_on", gettext_lazy("交蛋日期"), True, ("收蛋时间", "交蛋时间", "日期", "时间", "收蛋日期"),
           gettext_lazy("必填；如 2026-11-03 或 2026-11-03 08:30")),
    Column("laid_on", gettext_lazy("产蛋日期"), False, ("下蛋日期",), gettext_lazy("可空；空着按交蛋那天")),
    Column("eggs_brought", gettext_lazy("交来枚数"), False, ("交来", "总枚数"), gettext_lazy("可空；填了就核对合计")),
    *[Column(f"accepted_{code.lower()}", gettext_lazy("合格·%(c)s") % {"c": code}, False, (f"合格{code}", code),
             gettext_lazy("合格蛋枚数")) for code in WEIGHT_CLASS_CODES],
    *[Column(f"rejected_{code}", label, False, (), gettext_lazy("不合格枚数（不付钱）"))
      for code, label in REJECT_DEFECTS],
    Column("note", gettext_lazy("备注"), False, (), gettext_lazy("可空")),
]
DELIVERIES = TableKind(
    DELIVERY_COLUMNS, ("member_no", "received_on"), gettext_lazy("一次最多导入 %(n)s 行交蛋，请分几个文件导入。"),
    gettext_lazy("找不到列名：表的第一行应写“社员编号、交蛋日期、合格·L”等列名（可下载模板照着填）。"),
    gettext_lazy("表里只有列名，没有交蛋记录。"),
    # Each row goes through the intake service (tried in the preview, recorded at confirm): 1,000 rows preview in
    # 9 s (SQLite) / 20 s (PostgreSQL) and confirm in 11 s / 18 s on the shared dev box, inside the 60 s a request
    # may take (gunicorn --timeout 60); a season's book comes in a few files.
    max_rows=1000)
DELIVERY_KEYS = [c.key for c in DELIVERY_COLUMNS]
NOON = datetime.time(12, 0)  # a book that gives only the day: recorded at noon of that day


class _DryRun(Exception):
    """Raised inside a savepoint to undo a row's trial recording (the preview writes nothing)."""


@dataclass
class DeliveryRowPlan:
    row: int
    cells: dict
    action: str = ADD
    errors: dict = field(default_factory=dict)
    key: str = ""
    farmer: Farmer = None
    fields: dict = field(default_factory=dict)  # record_delivery's arguments
    amount: object = None  # what the delivery pays (from the trial recording)
    held: bool = False  # over the hens' capacity: recorded 待核查, credited only once a manager confirms

    def messages(self):
        return [_("第 %(row)s 行：%(msg)s") % {"row": self.row, "msg": msg} for msg in self.errors.values()]


@dataclass
class DeliveryPlan(Plan):
    def total(self):
        return sum((r.amount for r in self.rows if r.action == ADD and r.amount is not None), Decimal("0.00"))

    @property
    def digest(self):
        return hashlib.sha256(json.dumps(sorted(r.key for r in self.rows if r.action == ADD)).encode()).hexdigest()[:32]


def _parse_moment(text):
    """``(aware datetime, what the book says)`` for a day ("2026-11-03", "2026年11月3日", an Excel date) or a day
    and time ("2026-11-03 08:30"); ``(None, "")`` when unreadable. A day alone is recorded at noon, or now if
    that is today and noon has not come; what the book says (not that time) keys the row, so it stays stable."""
    text = unicodedata.normalize("NFKC", text).strip()
    day, _sep, clock = text.partition(" ")
    date = _parse_date(day)
    if date is None:
        return None, ""
    moment, said = NOON, date.isoformat()
    if clock and clock != "00:00:00":
        for fmt in ("%H:%M", "%H:%M:%S"):
            try:
                moment = datetime.datetime.strptime(clock, fmt).time()
                break
            except ValueError:
                continue
        else:
            return None, ""
        said = f"{said} {moment:%H:%M:%S}"
        return timezone.make_aware(datetime.datetime.combine(date, moment)), said
    noon = timezone.make_aware(datetime.datetime.combine(date, moment))
    return (min(noon, timezone.now()) if date == timezone.localdate() else noon), said


def _check_delivery_row(cells, farmers):
    """``(fields for record_delivery, errors)`` for one row's cells (the service's own checks come after)."""
    errors, counts = {}, {}
    member_no = unicodedata.normalize("NFKC", cells.get("member_no", "")).strip()
    farmer = farmers.get(member_no)
    if not member_no:
        errors["member_no"] = _("社员编号不能空着。")
    elif farmer is None:
        errors["member_no"] = _("社员编号“%(no)s”不是本社的农户：请先导入农户名单，或改正编号。") % {
            "no": member_no[:30]}
    name = cells.get("head_name", "").strip()
    if farmer is not None and name and name != farmer.head_name:
        errors["head_name"] = _("社员 %(no)s 的户主是“%(real)s”，表里写的是“%(name)s”：请核对是哪一户。") % {
            "no": member_no, "real": farmer.head_name, "name": name[:30]}
    received = cells.get("received_on", "")
    received_at, said = _parse_moment(received) if received else (None, "")
    if not received:
        errors["received_on"] = _("交蛋日期不能空着。")
    elif received_at is None:
        errors["received_on"] = _("交蛋日期“%(value)s”看不懂，请写成 2026-11-03。") % {"value": received[:30]}
    laid = cells.get("laid_on", "")
    laid_on = _parse_date(laid) if laid else (timezone.localdate(received_at) if received_at else None)
    if laid and laid_on is None:
        errors["laid_on"] = _("产蛋日期“%(value)s”看不懂，请写成 2026-11-03。") % {"value": laid[:30]}
    for column in DELIVERY_COLUMNS:
        if not column.key.startswith(("accepted_", "rejected_", "eggs_brought")):
            continue
        text = unicodedata.normalize("NFKC", cells.get(column.key, "")).strip()
        if not text:
            continue
        try:
            counts[column.key] = parse_int(text, minimum=0, maximum=1_000_000, label=str(column.header))
        except InvalidNumber as exc:
            errors[column.key] = _("%(msg)s（现在是“%(value)s”）。") % {
                "msg": exc.message.rstrip("。"), "value": text[:30]}
    note = cells.get("note", "").strip()
    if _has_control(note):
        errors["note"] = _("备注里有换行或看不见的字符，请改正。")
    fields = {
        "farmer": farmer, "received_at": received_at, "laid_from": laid_on, "eggs_brought": counts.get("eggs_brought"),
        "accepted": {code: counts.get(f"accepted_{code.lower()}", 0) for code in WEIGHT_CLASS_CODES},
        "rejected": {code: counts.get(f"rejected_{code}", 0) for code, _l in REJECT_DEFECTS},
        "note": (note or _("台账导入"))[:200],
    }
    return fields, said, errors


def _delivery_key(cooperative, fields, said, occurrence):
    facts = [cooperative.pk, fields["farmer"].member_no, said,
             fields["laid_from"].isoformat(), sorted(fields["accepted"].items()), sorted(fields["rejected"].items()),
             occurrence]
    return f"import:{hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()[:48]}"


def plan_delivery_import(cooperative, rows, *, ignored=(), trial=True):
    """What importing ``rows`` of a delivery book into ``cooperative`` would do, row by row. Each good row is
    recorded for real inside a savepoint that is then undone, so the preview says exactly what the service
    would say (a missing price, a suspended household, a day in the future) and writes nothing."""
    farmers = {f.member_no: f for f in Farmer.objects.filter(cooperative=cooperative)}
    seen, plans = {}, []
    for raw in rows:
        fields, said, errors = _check_delivery_row(raw["cells"], farmers)
        for key in raw.get("formulas", []):
            errors[key] = _("这一格是公式，没有算好的值：请在 Excel 里复制这一列，再“选择性粘贴→数值”。")
        plan = DeliveryRowPlan(row=raw["row"], cells=raw["cells"], errors=errors, farmer=fields["farmer"])
        if not errors:
            base = _delivery_key(cooperative, fields, said, 0)
            seen[base] = seen.get(base, -1) + 1
            plan.key = _delivery_key(cooperative, fields, said, seen[base]) if seen[base] else base
            plan.fields = fields
            if not trial:  # confirming: the rows are recorded next, for real; a refusal then undoes them all
                plans.append(plan)
                continue
            try:
                with transaction.atomic():
                    delivery = record_delivery(**fields, idempotency_key=plan.key, send_receipt=False)
                    plan.amount, plan.held = delivery.amount_due, delivery.flagged
                    if delivery.replayed:
                        plan.action = SAME
                    raise _DryRun
            except _DryRun:
                pass
            except DeliveryError as exc:
                plan.errors[exc.field or ""] = exc.message
        if plan.errors:
            plan.action = ERROR
        plans.append(plan)
    if not trial:
        # The same ADD / SAME split as the trial's (a known key replays): one query for the whole file.
        keys_known = set(Delivery.objects.filter(idempotency_key__in=[p.key for p in plans if p.key])
                         .values_list("idempotency_key", flat=True))
        for p in plans:
            if p.key in keys_known and not p.errors:
                p.action = SAME
    return DeliveryPlan(rows=plans, ignored=list(ignored))


@transaction.atomic
def apply_delivery_import(cooperative, rows, *, user, expected_digest=None, filename=""):
    """Record the book's deliveries: re-checked here, all or nothing, audited as ``deliveries.imported``.
    Rows already imported (the same file again) are left as they are: never recorded, nor paid, twice."""
    lock_keys(f"deliveries-import:{cooperative.pk}")
    plan = plan_delivery_import(cooperative, rows, trial=False)
    if not plan.valid:
        raise ImportRefused(_("有 %(n)s 行不对，什么也没有导入。请改正后重新上传。") % {"n": plan.count(ERROR)}, plan)
    if expected_digest is not None and plan.digest != expected_digest:
        raise ImportRefused(_("预览之后交蛋记录有了变动，什么也没有导入。请看一遍新的预览再确认。"), plan)
    ids = []
    for row in plan.rows:
        if row.action != ADD:
            continue
        try:
            delivery = record_delivery(**row.fields, idempotency_key=row.key, send_receipt=False)
        except DeliveryError as exc:  # changed since the preview (a price, a suspension): all of it undone
            row.errors[exc.field or ""] = exc.message
            row.action = ERROR
            raise ImportRefused(_("有 %(n)s 行不对，什么也没有导入。请改正后重新上传。") % {"n": 1}, plan) from None
        row.amount, row.held = delivery.amount_due, delivery.flagged
        ids.append(delivery.pk)
    counts = plan.counts
    plan.event = log_action(cooperative, "deliveries.imported", user=user, cooperative=cooperative, data={
        "file": (filename or "")[:100], "rows": len(plan.rows), "added": counts[ADD], "unchanged": counts[SAME],
        "held": sum(1 for r in plan.rows if r.action == ADD and r.held), "amount": str(plan.total()),
        "deliveries": ids[:3000]})
    return plan


def delivery_template_file():
    """An empty delivery book to fill in, the columns in the order of the deliveries export."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("交蛋台账")
    ws.append([str(c.header) for c in DELIVERY_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].number_format = "@"
    help_ws = wb.create_sheet(_("填写说明"))
    help_ws.append([_("列名"), _("怎么填")])
    for column in DELIVERY_COLUMNS:
        help_ws.append([str(column.header), str(column.hint)])
    help_ws.append([])
    help_ws.append([_("每次交蛋一行。导入的交蛋在下次结算时付钱：已经付过钱的交蛋不要导入。同一个文件再导入一次不会重复记账。")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
