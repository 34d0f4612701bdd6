"""Validators for values Chinese users type: mobile numbers, GTINs, and numbers from a request (``parse_int``)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coop.lib.errors import DomainError

# Mainland mobile numbers: 11 digits starting 13–19 (carrier prefixes), optional +86/86 prefix.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋－　", "0123456789+- ")


def normalize_mobile(value):
    """Strip spaces, dashes and a +86 prefix so '+86 138-0000-1234' is stored as '13800001234'."""
    # A Chinese keyboard in full-width mode types １３８…: read those as the digits they are.
    digits = re.sub(r"[\s\-]", "", str(value or "").translate(_FULLWIDTH_DIGITS))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def validate_mobile(value):
    if not MOBILE_RE.match(normalize_mobile(value)):
        raise ValidationError(
            _("“%(value)s”不是有效的手机号码（11位，以1开头）。"), code="invalid_mobile", params={"value": value}
        )


# --- A recipient's phone: mainland mobile or landline -----------------------------------------
# Why phonenumbers (Google's libphonenumber metadata) rather than another regex: a landline is an area
# code of 3 or 4 digits (010, 0834) and a subscriber number of 7 or 8 whose valid lengths depend on the
# area code, and carriers add mobile prefixes every year; the library keeps that table up to date, and
# it reads full-width digits (１３８…), +86 / 0086 prefixes, spaces, dashes and brackets as people type them.

PHONE_MAX = 20  # the phone columns (Order.phone, Address.phone) are CharField(max_length=20)
_PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidPhone(DomainError):
    """A recipient phone that is neither a mainland mobile nor a mainland landline: 400, nothing is saved."""

    code = "invalid_phone"


def normalize_phone(value, *, field="phone"):
    """``value`` as the one stored form of a mainland number, or ``InvalidPhone``.

    A mobile is stored as its 11 digits (``13800001234``, as ``normalize_mobile`` gives), a landline as
    area code, dash, number (``010-12345678``, ``0834-2123456``) — what a courier dials. Blank,
    letters, too short or long (“12”), a foreign or a 400/800 number raise ``InvalidPhone`` naming ``field``.
    """
    text = str(value or "").strip()
    if not text:
        raise InvalidPhone(_("请填写手机号或固定电话。"), field=field)
    message = _("“%(value)s”不是有效的电话号码：请填写 11 位手机号，或带区号的固定电话（如 0834-2123456）。")
    if len(text) > 40:  # the library parses anything; a paragraph pasted in the field is refused unread
        raise InvalidPhone(message % {"value": text[:20] + "…"}, field=field)
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(message % {"value": text}, field=field) from None
    if (number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in _PHONE_TYPES):
        raise InvalidPhone(message % {"value": text}, field=field)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return str(number.national_number)
    area, _sep, rest = national.partition(" ")
    return f"{area}-{rest.replace(' ', '')}"


def too_long(model, name, value, label):
    """The message for a typed ``value`` longer than ``model``'s column ``name`` (``None`` if it fits).
    Services refuse such a value with this message instead of cutting it short unseen; the form's
    ``maxlength`` (the same number) stops most of them in the browser already."""
    limit = model._meta.get_field(name).max_length
    if len(value) > limit:
        return _("%(label)s最多 %(n)s 个字，现在是 %(m)s 个。") % {"label": label, "n": limit, "m": len(value)}
    return None


def format_mobile(value):
    """Chinese readers group a mobile number 3-4-4: 138 0000 1234."""
    digits = normalize_mobile(value)
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return value


def mask_mobile(value):
    digits = normalize_mobile(value)
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[7:]}"
    return "****"


def gtin_check_digit(body):
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def validate_gtin(value):
    if not value:
        return
    if not re.fullmatch(r"\d{8}|\d{12,14}", value):
        raise ValidationError(_("GTIN 应为 8、12、13 或 14 位数字。"), code="invalid_gtin")
    if gtin_check_digit(value[:-1]) != value[-1]:
        raise ValidationError(_("GTIN 校验位不正确。"), code="invalid_gtin")


def gtin14(value):
    """GS1 Digital Link always uses the 14-digit form of a GTIN."""
    return value.zfill(14) if value else value


# --- Numbers from a request -------------------------------------------------------------------
# ``str``'s own digit test and ``int()`` accept far more than a person types as a number: "²" passes that
# test and ``int("²")`` then fails; ``int("٣")`` is 3; ``int("1_0")`` is 10; a 5,000-digit string
# exceeds Python's int-conversion limit; a JSON ``1e400`` is infinity. Every number that comes from a
# request (path, query string, form, JSON) goes through ``parse_int`` instead.

ASCII_DIGITS_RE = re.compile(r"[0-9]+")
ASCII_INT_RE = re.compile(r"[+-]?[0-9]{1,18}", re.ASCII)
ID_MAX = 2**31 - 1  # the largest primary key of an AutoField (PostgreSQL integer)
MAX_BOXES = 999  # boxes on one line of an order: far above any offer's limit, far below an overflow


class InvalidNumber(DomainError):
    """A number from a request that is not a whole number within its bounds: 400, nothing changes."""

    code = "invalid_number"


def is_ascii_digits(text):
    """``text`` is one or more of 0–9 and nothing else. str's own digit test also says yes to "²" and "٣",
    which ``int()`` refuses or reads as another number; every digits-only check goes through this."""
    return isinstance(text, str) and ASCII_DIGITS_RE.fullmatch(text) is not None


def parse_int(value, *, minimum=None, maximum=None, field=None, label=None):
    """``value`` (a string of ASCII digits, or a JSON integer) as an ``int`` within ``[minimum, maximum]``.

    ``None`` and ``""`` give ``None`` (not given). Anything else that is not such a number — ``"²"``,
    ``"1.5"``, ``[1]``, ``True``, ``1e400``, 5,000 digits, a number out of bounds — raises ``InvalidNumber``
    with a Chinese message naming ``label`` (or ``field``).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    name = str(label or field or _("数字"))
    if isinstance(value, bool):  # JSON true is an int to Python, never a count to a person
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():  # a JSON 3.0; inf and nan are not integers
        number = int(value)
    elif isinstance(value, str) and ASCII_INT_RE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = None
    if number is None:
        raise InvalidNumber(_("%(name)s应为整数。") % {"name": name}, field=field)
    if minimum is not None and number < minimum:
        raise InvalidNumber(_("%(name)s不能小于 %(n)s。") % {"name": name, "n": minimum}, field=field)
    if maximum is not None and number > maximum:
        raise InvalidNumber(_("%(name)s不能大于 %(n)s。") % {"name": name, "n": maximum}, field=field)
    return number


def parse_id(value, *, field=None, label=None):
    """A row's id from a request (1 … ``ID_MAX``), or ``None`` if not given; ``InvalidNumber`` otherwise."""
    return parse_int(value, minimum=1, maximum=ID_MAX, field=field, label=label or _("编号"))


def optional_id(value):
    """An id picking one of several (``?coop=``, ``?village=``): ``None`` when absent *or* malformed,
    so a mangled link falls back to the default choice as a missing one does."""
    try:
        return parse_id(value)
    except InvalidNumber:
        return None


# --- Taxpayer numbers (纳税人识别号) on a 发票 -----------------------------------------------------
# A 单位's number is its 18-character unified social credit code (统一社会信用代码, GB 32100-2015) or, for
# registrations older than 2015, a 15- or 20-character tax registration number. The code's last character
# is a check character over the first 17, so a mistyped character is caught before a 发票 is issued with it.
#
# Written here by hand: python-stdnum (``stdnum.cn.uscc``, maintained) does the same check, but it is not in
# requirements.txt and the environment cannot add a package now; the rule is short and fixed by the
# standard, and tests/coop/test_tax_numbers.py pins it with codes printed on real licences.

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 §4.2: 0–9 and A–Z without I, O, S, V, Z
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
TAX_NUMBER_LENGTHS = (15, 18, 20)
_TAX_NUMBER_RE = re.compile(r"[0-9A-Z]+", re.ASCII)
_FULLWIDTH_ALNUM = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x41 + i) for i in range(26)})


def uscc_check_char(body):
    """The check character of the first 17 characters of a unified social credit code (GB 32100-2015
    §4.3: weights 3^i mod 31, check = 31 − sum mod 31, where 31 is written 0)."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_uscc(code):
    """``code`` is a well-formed unified social credit code: 18 characters of the code's alphabet, the
    registration authority's region (characters 3–8) in digits, and its check character right."""
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        return False
    return is_ascii_digits(code[2:8]) and uscc_check_char(code[:17]) == code[17]


def normalize_tax_number(value):
    """A typed 纳税人识别号 as it is printed: full-width letters and digits made plain, spaces and dashes
    dropped, upper case. Not checked: see ``tax_number_problem``."""
    text = str(value or "").translate(_FULLWIDTH_ALNUM).upper()
    return re.sub(r"[\s\-\u3000]", "", text)


def tax_number_problem(number):
    """Why the normalised ``number`` cannot be a taxpayer number (a translated sentence), or "" when it can."""
    if len(number) not in TAX_NUMBER_LENGTHS or not _TAX_NUMBER_RE.fullmatch(number):
        return _("纳税人识别号应为 15、18 或 20 位数字或大写字母，请对照营业执照或税务登记证填写。")
    if len(number) == 18 and not is_uscc(number):
        return _("这个统一社会信用代码（18 位）有一位不对，请对照营业执照逐位核对。")
    return ""
