"""Validators for values Chinese users type: mobile numbers, GTINs."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers: 11 digits starting 13–19 (carrier prefixes), optional +86/86 prefix.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(value):
    """Strip spaces, dashes and a +86 prefix so '+86 138-0000-1234' is stored as '13800001234'."""
    digits = re.sub(r"[\s\-]", "", str(value or ""))
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
