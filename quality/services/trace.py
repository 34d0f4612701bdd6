"""Trace codes and the URLs printed on labels.

Two URL forms resolve to the same scan page, forever:

- ``SITE_URL/t/<code>`` — the short form, always printed when the cooperative has no GTIN;
- ``SITE_URL/01/<GTIN-14>/10/<batch code>[/21/<box code>]?15=<YYMMDD>`` — GS1 Digital Link, used
  when the cooperative has a real GTIN (AI 10 lot = our batch code, AI 21 serial = a box code,
  AI 15 best-before as a query attribute).
"""

import datetime
import re
import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.errors import DomainError
from coop.lib.validators import gtin14, validate_gtin
from coop.models import Batch
from coop.services.audit import log_action
from quality.models import TRACE_ALPHABET, TRACE_CODE_LENGTH, BoxCode, ComplianceCertificate, TraceCode

# What a typed or scanned code may look like once cleaned (upper-case, no look-alikes).
CODE_RE = re.compile(rf"^[{TRACE_ALPHABET}]{{{TRACE_CODE_LENGTH}}}$")
# GS1 AI 10 (lot) and AI 21 (serial): up to 20 characters of GS1's "AI encodable set 82";
# we accept the URL-safe part of it, which covers every batch and box code we make.
LOT_RE = re.compile(r"^[A-Za-z0-9\-._]{1,20}$")
MAX_BOXES_PER_BATCH = 20000


class TraceError(DomainError):
    """A bad trace request (bad GTIN, too many boxes): the message is shown to the user."""


class MalformedLink(TraceError):
    """A Digital Link that breaks the GS1 syntax: answered with 400, not 404."""

    code = "malformed_link"


class NotTraced(TraceError):
    """A batch without its trace code or certificate (never after packing and migration 0003):
    read-only pages answer 404 with this message instead of making the missing rows on a GET."""


def new_code():
    return "".join(secrets.choice(TRACE_ALPHABET) for _i in range(TRACE_CODE_LENGTH))


def clean_code(raw):
    """What a person typed → the code as stored: upper-case, spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def ensure_trace_code(batch):
    """The batch's trace code, made on first call. Safe under concurrent calls."""
    existing = TraceCode.objects.filter(batch_id=batch.pk).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return TraceCode.objects.create(batch=batch, code=new_code())
        except IntegrityError:
            # Either another request made this batch's code first, or (once in 10^11) the random
            # code is taken: look for the first, retry for the second.
            existing = TraceCode.objects.filter(batch_id=batch.pk).first()
            if existing is not None:
                return existing
    raise TraceError("could not allocate a unique trace code")


def trace_code_of(batch):
    """The batch's trace code, read only: made when the batch is packed, never on a GET."""
    try:
        return batch.trace
    except TraceCode.DoesNotExist:  # Batch.trace.RelatedObjectDoesNotExist subclasses it
        raise NotTraced(_("批次 %(code)s 还没有溯源码。") % {"code": batch.code}) from None


def certificate_of(batch):
    """The batch's 承诺达标合格证, read only: issued when the batch is packed, never on a GET."""
    try:
        return batch.certificate
    except ComplianceCertificate.DoesNotExist:
        raise NotTraced(_("批次 %(code)s 还没有开具承诺达标合格证。") % {"code": batch.code}) from None


def trace_packed_batch(batch, *, user=None):
    """Everything a packed batch needs before anyone prints or scans it: its trace code, one box code
    per box and its certificate. Called once the batch's contributions are written (the certificate
    copies the villages from them); idempotent, so calling it twice makes nothing twice."""
    trace = ensure_trace_code(batch)
    if batch.boxes > 0:
        issue_box_codes(trace, min(batch.boxes, MAX_BOXES_PER_BATCH), user=user)
    issue_certificate(batch, user=user)
    return trace


def issue_box_codes(trace, count, *, user=None):
    """Make serialised box codes 1..count for a batch (idempotent: existing serials are kept)."""

    if count < 1 or count > MAX_BOXES_PER_BATCH:
        raise TraceError(_("盒码数量应在 1 到 %(max)s 之间。") % {"max": MAX_BOXES_PER_BATCH})
    have = set(trace.boxes.values_list("serial", flat=True))
    missing = [n for n in range(1, count + 1) if n not in have]
    if not missing:
        return 0
    for _attempt in range(5):
        rows = [BoxCode(trace=trace, serial=n, code=new_code()) for n in missing]
        try:
            with transaction.atomic():
                BoxCode.objects.bulk_create(rows)
            break
        except IntegrityError:
            # A random code collided, or a concurrent call made some serials: recompute and retry.
            have = set(trace.boxes.values_list("serial", flat=True))
            missing = [n for n in range(1, count + 1) if n not in have]
            if not missing:
                return 0
    else:
        raise TraceError("could not allocate unique box codes")
    log_action(trace.batch, "batch.box_codes_issued", user=user, data={"count": len(missing), "upto": count})
    return len(missing)


# --- URLs -----------------------------------------------------------------------------------------


def site_url():
    return settings.SITE_URL.rstrip("/")


def short_url(code):
    return f"{site_url()}/t/{code}"


def digital_link(gtin, lot, best_before, serial=None):
    path = f"/01/{gtin14(gtin)}/10/{lot}"
    if serial:
        path += f"/21/{serial}"
    return f"{site_url()}{path}?15={best_before:%y%m%d}"


def label_url(batch, trace, box=None):
    """The URL printed in a label's QR code for ``batch`` (and ``box``, for box labels)."""
    gtin = batch.cooperative.gtin
    if gtin:
        return digital_link(gtin, batch.code, batch.best_before, serial=box.code if box else None)
    return short_url(box.code if box else trace.code)


def scan_path(trace, box=None):
    return f"/t/{box.code if box else trace.code}"


# --- resolving ------------------------------------------------------------------------------------


@dataclass
class Resolved:
    trace: TraceCode
    box: BoxCode | None
    via: str


def resolve_code(code):
    """A cleaned code → ``Resolved`` or ``None``. Batch codes first, then box codes."""
    if not CODE_RE.match(code):
        return None
    trace = TraceCode.objects.select_related("batch").filter(code=code).first()
    if trace is not None:
        return Resolved(trace, None, "short")
    box = BoxCode.objects.select_related("trace__batch").filter(code=code).first()
    if box is not None:
        return Resolved(box.trace, box, "short")
    return None


def parse_digital_link(gtin, lot, serial=None, query=None):
    """Check a Digital Link's syntax; return ``(gtin14, lot, serial, best_before_or_None)``.

    Raises ``MalformedLink`` for anything GS1 would reject: a GTIN of the wrong length or check
    digit, an empty or over-long lot/serial, a best-before that is not a YYMMDD date.
    """

    if not re.fullmatch(r"\d{14}", gtin or ""):
        raise MalformedLink(_("GTIN 应为 14 位数字。"))
    try:
        validate_gtin(gtin)
    except Exception:
        raise MalformedLink(_("GTIN 校验位不正确。")) from None
    if not LOT_RE.match(lot or ""):
        raise MalformedLink(_("批号格式不正确。"))
    if serial is not None and not LOT_RE.match(serial):
        raise MalformedLink(_("序列号格式不正确。"))
    best_before = None
    raw = (query or {}).get("15")
    if raw is not None:
        if not re.fullmatch(r"\d{6}", raw):
            raise MalformedLink(_("保质期（15）应为 YYMMDD 格式。"))
        yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:])
        try:
            # GS1: day 00 means the last day of the month.
            if dd == 0:
                first_next = datetime.date(2000 + yy + (mm == 12), mm % 12 + 1, 1)
                best_before = first_next - datetime.timedelta(days=1)
            else:
                best_before = datetime.date(2000 + yy, mm, dd)
        except ValueError:
            raise MalformedLink(_("保质期（15）不是有效日期。")) from None
    return gtin, lot, serial, best_before


def resolve_digital_link(gtin, lot, serial=None, query=None):
    """A Digital Link → ``Resolved`` or ``None``; ``MalformedLink`` for bad syntax."""
    gtin, lot, serial, _bb = parse_digital_link(gtin, lot, serial, query)
    batch = (Batch.objects.select_related("trace").filter(code=lot, cooperative__gtin__in=[gtin, gtin.lstrip("0")])
             .first())
    if batch is None or not hasattr(batch, "trace"):
        return None
    trace = batch.trace
    box = None
    if serial is not None:
        box = BoxCode.objects.filter(trace=trace, code=serial).first()
        if box is None:
            return None
    return Resolved(trace, box, "dl")


# --- the lookup box: what people type or paste ---------------------------------------------------

# A pasted GS1 Digital Link (any host) and a pasted short link /t/<code>.
PASTED_DIGITAL_LINK = re.compile(r"/01/(\d{14})/10/([^/?#\s]+)(?:/21/([^/?#\s]+))?/?(?:\?([^#\s]*))?")
PASTED_SHORT_LINK = re.compile(r"/t/([^/?#\s]+)")


def batch_by_number(text):
    """The batch whose number (printed on every label, e.g. HBLA-00032) is ``text``, with its trace code;
    ``None`` when there is none or it has no trace code."""
    number = re.sub(r"\s", "", text or "").upper()
    if not number or not LOT_RE.match(number):
        return None
    batch = Batch.objects.select_related("trace").filter(code__iexact=number).first()
    return batch if batch is not None and hasattr(batch, "trace") else None


def typed_code(raw):
    """The code in what was typed or pasted: NFKC-folded (full-width → ASCII), a pasted short link's code."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    short = PASTED_SHORT_LINK.search(text)
    return short.group(1) if short else text


def lookup_path(raw):
    """What a person typed or pasted into the lookup box → the path of its scan page, or ``None``.

    Phones type full-width letters and digits (ＡＢＣ１２３: folded by NFKC), people paste the whole link
    they were sent (``https://…/t/<code>/`` or the Digital Link ``/01/…/10/<lot>``), or copy the batch
    number printed beside the QR code: each finds the page the label's QR code opens."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    pasted = PASTED_DIGITAL_LINK.search(text)
    if pasted:
        gtin, lot, serial, query = pasted.groups()
        try:
            resolved = resolve_digital_link(gtin, lot, serial, QueryDict(query or ""))
        except MalformedLink:
            resolved = None
        return scan_path(resolved.trace, resolved.box) if resolved else None
    text = typed_code(text)
    resolved = resolve_code(clean_code(text))
    if resolved is not None:
        return scan_path(resolved.trace, resolved.box)
    batch = batch_by_number(text)
    return scan_path(batch.trace) if batch else None


# --- certificate ----------------------------------------------------------------------------------


def issue_certificate(batch, *, basis=ComplianceCertificate.QUALITY_CONTROL, user=None):
    """The batch's 承诺达标合格证, issued on first call with the producer's details of the day."""

    existing = ComplianceCertificate.objects.filter(batch=batch).first()
    if existing is not None:
        return existing
    coop = batch.cooperative
    villages = sorted({c.delivery.farmer.village.name
                       for c in batch.contributions.select_related("delivery__farmer__village")})
    origin = f"{coop.province}{coop.prefecture}{coop.county}{coop.township}" + ("、".join(villages) if villages else "")
    try:
        with transaction.atomic():
            cert = ComplianceCertificate.objects.create(
                batch=batch, number=f"HG-{batch.code}", product_name=coop.product_name,
                # A legal document in Chinese, whatever the manager's language.
                quantity=f"{batch.eggs} 枚（{batch.boxes} 盒 × {batch.pack_size} 枚）",
                producer_name=coop.name, origin=origin[:200], phone=coop.phone or "",
                basis=basis, issued_on=timezone.localdate(batch.packed_at),
                issued_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        return ComplianceCertificate.objects.get(batch=batch)
    log_action(batch, "batch.certificate_issued", user=user, data={"number": cert.number, "basis": basis})
    return cert
