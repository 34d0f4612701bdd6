"""Bad-egg reports: receiving them (photos, rate limits, duplicates), investigating, confirming
(attribution → penalties under the charter in force) or dismissing, and the buyer's remedy."""

import datetime
import hashlib
import logging
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import photos, ratelimit, tenancy
from coop.lib.client import client_ip
from coop.lib.locking import lock_keys
from coop.lib.validators import MOBILE_RE, normalize_mobile
from coop.lib.words import in_site_language
from coop.models import Batch
from coop.services.audit import log_action
from coop.services.farmers import household_of
from coop.services.notifications import notify
from orders.models import AfterSale, Order, OrderError, Refund
from orders.services import aftersale
from orders.services.payments import refund
from quality import models as quality_models
from quality.models import DEFECT_CODES, BadEggReport, CharterError, Penalty, ReportPhoto
from quality.models.charter import describe_sanction
from quality.services import charter as rules
from quality.services import penalties as penalty_service
from quality.services import scanpage

logger = logging.getLogger("greenshell.charter")

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud on the phone
# The photo rules live in coop/lib/photos.py (after-sale photos use them too); kept here by name because
# bench/charter.py raises the size limit for its noise picture.
MAX_PHOTO_BYTES = photos.MAX_PHOTO_BYTES
DUPLICATE_WINDOW = datetime.timedelta(hours=24)

# Reports waiting for a manager's decision, as field lookups: the dashboard and the workbench count them and link
# to the admin list with the same lookups as its query string, so the count opens exactly its rows.
WAITING = {"status__in": (BadEggReport.RECEIVED, BadEggReport.INVESTIGATING)}


class RateLimited(CharterError):
    """Too many anonymous reports from one client or about one batch: 429."""

    code = "rate_limited"
    status = 429


# --- Finding the batch ----------------------------------------------------------------------

def batch_for_code(code):
    """The batch a printed code names: a trace code (traceability's model) or the batch number."""
    code = (code or "").strip()
    if not code:
        return None

    trace_model = getattr(quality_models, "TraceCode", None)
    if trace_model is not None:
        trace = trace_model.objects.filter(code__iexact=code).select_related("batch").first()
        if trace is not None and getattr(trace, "batch", None) is not None:
            return trace.batch
    return Batch.objects.filter(code__iexact=code).first()


# --- Photos ---------------------------------------------------------------------------------

def clean_photo(upload):
    """``coop.lib.photos.clean_photo`` with the report's own refusal (``CharterError``): checked, re-encoded,
    no EXIF or GPS."""
    try:
        return photos.clean_photo(upload, max_bytes=MAX_PHOTO_BYTES)
    except photos.PhotoError as exc:
        raise CharterError(exc.message) from None


# --- Rate limits ----------------------------------------------------------------------------

def _hit(key, limit, window):
    """Count one hit on ``key`` (before checking it); True while under ``limit``."""
    return ratelimit.hit(key, window) <= limit


def check_rate(client, batch):
    """Anonymous reports: at most 5 an hour from one client, 30 an hour about one batch."""
    per_client, per_code, window = settings.CHARTER_REPORT_LIMITS
    if not _hit(f"charter:report:client:{client}", per_client, window):
        raise RateLimited(_("提交太频繁了，请一小时后再试。"))
    if not _hit(f"charter:report:batch:{batch.pk}", per_code, window):
        raise RateLimited(_("这个批次最近收到的报告太多了，我们正在处理，请稍后再试。"))


def _salted(*parts):
    return hashlib.sha256("|".join([settings.SECRET_KEY, *parts]).encode()).hexdigest()[:32]


def client_key(request):
    """Who is sending, for the rate limit: the address only (a new browser string must not reset it)."""
    return _salted("rate", client_ip(request))


def fingerprint_for(request):
    """A salted hash of the client's address and browser: enough to spot repeats, useless to anyone else."""
    return _salted("dup", client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:200])


# --- Receiving ------------------------------------------------------------------------------

def _new_reference():
    for _attempt in range(10):
        ref = "BE" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(8))
        if not BadEggReport.objects.filter(reference=ref).exists():
            return ref
    raise RuntimeError("could not draw a free report reference")


def submit_report(*, batch, eggs, defect, source=BadEggReport.SOURCE_SCAN, photos=(), stamp_code="", note="",
                  contact_name="", contact_phone="", trace_code="", order_ref="", user=None, fingerprint="",
                  client="", rate_limited=True):
    """Receive a report and return ``(report, merged)``.

    Anonymous reports are rate-limited per client and per batch. A repeat from the same client about
    the same batch and defect within a day (a double tap, a resend on a weak signal) is merged into
    the first report instead of opening a second case.
    """
    eggs = int(eggs)
    if eggs < 1 or eggs > batch.eggs:
        raise CharterError(_("坏蛋枚数应在 1 到 %(n)s 之间。") % {"n": batch.eggs})
    if defect not in DEFECT_CODES:
        raise CharterError(_("请选择问题类型。"))
    photos = list(photos or [])
    if len(photos) > BadEggReport.MAX_PHOTOS:
        raise CharterError(_("最多上传 %(n)s 张照片。") % {"n": BadEggReport.MAX_PHOTOS})
    # The rate limit is counted before any photo is decoded: a client over its limit costs a counter
    # increment, not three image decodes.
    if rate_limited:
        check_rate(client or fingerprint or "unknown", batch)
    cleaned = [clean_photo(p) for p in photos]  # refuse a bad file before anything is written
    if contact_phone:
        contact_phone = normalize_mobile(contact_phone)
    with transaction.atomic():
        lock_keys(f"report:batch:{batch.pk}")
        dup = None
        if fingerprint or contact_phone:
            dup_q = BadEggReport.objects.filter(
                batch=batch, defect=defect, created_at__gte=timezone.now() - DUPLICATE_WINDOW,
                status__in=[BadEggReport.RECEIVED, BadEggReport.INVESTIGATING])
            dup = (dup_q.filter(client_fingerprint=fingerprint).first() if fingerprint else None) or (
                dup_q.filter(contact_phone=contact_phone).first() if contact_phone else None)
        if dup is not None:
            dup.duplicates_merged += 1
            dup.eggs = max(dup.eggs, eggs)
            if note and note not in dup.note:
                dup.note = (dup.note + " / " + note)[:500] if dup.note else note
            dup.save(update_fields=["duplicates_merged", "eggs", "note"])
            room = BadEggReport.MAX_PHOTOS - dup.photos.count()
            for content in cleaned[:max(room, 0)]:
                ReportPhoto.objects.create(report=dup, image=content)
            log_action(dup, "report.duplicate_merged", user=user, actor_label="" if user else _("顾客"),
                       data={"eggs": eggs, "photos": len(cleaned)})
            return dup, True
        report = BadEggReport.objects.create(
            cooperative=batch.cooperative, reference=_new_reference(), batch=batch, source=source, eggs=eggs,
            defect=defect, stamp_code=(stamp_code or "").strip().upper()[:10], note=(note or "")[:500],
            contact_name=(contact_name or "")[:50], contact_phone=contact_phone, trace_code=trace_code[:40],
            order_ref=order_ref[:40], reporter=user if getattr(user, "is_authenticated", False) else None,
            client_fingerprint=fingerprint,
        )
        for content in cleaned:
            ReportPhoto.objects.create(report=report, image=content)
        log_action(report, "report.received", user=user, actor_label="" if user else _("顾客"),
                   data={"batch": batch.code, "eggs": eggs, "defect": defect, "source": source,
                         "photos": len(cleaned)})
    return report, False


# --- Deciding -------------------------------------------------------------------------------

def _set_status(report, to, *, user, reason=""):
    """The one transition function: checks the table, compare-and-sets, records who/when/why."""
    if to not in BadEggReport.TRANSITIONS[report.status]:
        raise CharterError(_("报告当前状态为“%(s)s”，不能改为“%(t)s”。") % {
            "s": report.get_status_display(), "t": dict(BadEggReport.STATUSES)[to]})
    now = timezone.now()
    changed = BadEggReport.objects.filter(pk=report.pk, status=report.status).update(
        status=to, status_reason=reason[:500], decided_by=user, decided_at=now)
    if not changed:
        raise CharterError(_("报告刚被其他人处理过，请刷新后再看。"))
    previous = report.status
    report.status, report.status_reason, report.decided_by, report.decided_at = to, reason[:500], user, now
    log_action(report, f"report.{to}", user=user, reason=reason, data={"from": previous})
    return report


def start_investigation(report, *, user, reason=""):
    return _set_status(report, BadEggReport.INVESTIGATING, user=user, reason=reason)


def dismiss_report(report, *, user, reason):
    if not (reason or "").strip():
        raise CharterError(_("不予认定时必须写明原因。"))
    _set_status(report, BadEggReport.DISMISSED, user=user, reason=reason.strip())
    _tell_reporter(report)
    return report


def preview_penalties(report, households=None, on_date=None):
    """What confirming would do, household by household, without deciding anything.

    Returns ``(charter, [dict(farmer, eggs, offence, clause, amount, summary)])``.
    """
    on_date = on_date or report.reported_on
    charter = rules.charter_in_force(report.cooperative, on_date)
    if charter is None:
        raise CharterError(_("%(d)s 时本合作社还没有生效的自治公约，不能按公约处罚。") % {"d": on_date})
    shares = rules.attribute(report, charter, households)
    rows = []
    for farmer, eggs in sorted(shares.items(), key=lambda kv: kv[0].member_no):
        offence = rules.offence_number(farmer, on_date, charter, exclude_report=report)
        clause = rules.clause_for(charter, report.defect, offence)
        amount = clause.fine_for(eggs)
        rows.append(dict(farmer=farmer, eggs=eggs, offence=offence, clause=clause, amount=amount,
                         summary=describe_sanction(warning=clause.warning, amount=amount,
                                                         suspension_days=clause.suspension_days,
                                                         public_notice=clause.public_notice)))
    return charter, rows


def confirm_report(report, *, user, reason="", households=None):
    """Confirm the report, create one penalty per household under the clause in force, notify each.

    The household locks serialise offence counting: two reports confirmed at once for the same
    household get offence numbers 1 and 2, never 1 and 1.
    """

    with transaction.atomic():
        named = list(households or [])
        farmer_keys = [f"offence:{f.pk}" for f in [*rules.batch_eggs_by_household(report.batch), *named]]
        lock_keys(f"report:{report.pk}", *farmer_keys)
        report.refresh_from_db()
        charter, rows = preview_penalties(report, households)
        _set_status(report, BadEggReport.CONFIRMED, user=user, reason=reason)
        created = []
        for row in rows:
            clause = row["clause"]
            penalty = Penalty.objects.create(
                cooperative=report.cooperative, farmer=row["farmer"], report=report, charter=charter,
                clause=clause, clause_text=f"{clause.number} {clause.text}", offence_number=row["offence"],
                eggs=row["eggs"], warning=clause.warning or not (row["amount"] or clause.suspension_days),
                proposed_amount=row["amount"], amount=row["amount"], suspension_days=clause.suspension_days,
                public_notice=clause.public_notice, created_by=user,
            )
            log_action(penalty, "penalty.proposed", user=user, data={
                "report": report.reference, "clause": clause.number, "offence": row["offence"],
                "eggs": row["eggs"], "amount": str(row["amount"])})
            created.append(penalty)
        for penalty in created:
            penalty_service.notify_penalty(penalty, user=user)
        # The scan page counts confirmed reports and is cached for minutes: drop it once this is
        # committed, so the next scan shows the new count (as a recall does).
        trace_id = getattr(getattr(report.batch, "trace", None), "pk", None)
        if trace_id is not None:
            transaction.on_commit(lambda: scanpage.invalidate(trace_id))
    # After the commit: the refund talks to the payment provider, which must not roll back with us.
    grant_remedy(report, user=user)
    _tell_reporter(report)
    return created


def _tell_reporter(report):
    """The reporter's contact phone, else the phone (or WeChat) of the buyer whose order the report is
    linked to."""
    phone, openid = report.contact_phone, ""
    if not phone:
        order = linked_order(report)
        if order is not None:
            phone, openid = order.buyer.phone or "", order.buyer.wechat_openid or ""
    if not (phone or openid):
        return
    with in_site_language():
        status = report.get_status_display()
        notify(event="report.decided", key=f"report:{report.pk}:{report.status}", cooperative=report.cooperative,
               phone=phone, wechat_openid=openid,
               body=_("您反映的坏蛋问题（受理编号 %(ref)s）处理结果：%(status)s。%(reason)s") % {
                   "ref": report.reference, "status": status, "reason": report.status_reason},
               sms_params={"ref": report.reference, "status": status})


# --- The buyer's remedy ---------------------------------------------------------------------

def order_for_buyer(user, number, batch):
    """The shop order ``number`` if it belongs to ``user`` and holds eggs of ``batch``; else None.

    quality may import orders (never the reverse).
    """
    if not number or not getattr(user, "is_authenticated", False):
        return None
    return (Order.objects.filter(number=number, buyer__user=user, lines__allocations__batch=batch)
            .distinct().first())


def buyers_order_with(user, batch):
    """The signed-in buyer's latest order whose eggs came from ``batch`` (a report from the scan page is
    then linked to it without asking), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (Order.objects.filter(buyer__user=user, lines__allocations__batch=batch).distinct()
            .order_by("-placed_at", "-pk").first())


class OrderNotFound(CharterError):
    """The order number or phone a customer typed names no order with eggs of this batch."""

    code = "order_not_found"


def order_for_lookup(text, batch):
    """The order a customer names by its number or by the phone it was placed with, if it holds eggs of
    ``batch``; None for a blank answer. Anything else typed raises ``OrderNotFound`` with a message.

    Linking only decides where compensation goes, and a refund always goes back to whoever paid, so a
    number or phone is enough: nobody gains by naming someone else's order."""
    text = "".join((text or "").split())
    if not text:
        return None
    orders = Order.objects.filter(cooperative=batch.cooperative, lines__allocations__batch=batch).distinct()
    found = orders.filter(number=text).first()
    if found is None:
        phone = normalize_mobile(text)
        if MOBILE_RE.match(phone):
            found = (orders.filter(Q(phone=phone) | Q(buyer__phone=phone)).order_by("-placed_at", "-pk").first())
    if found is None:
        raise OrderNotFound(_("没有找到含这批蛋的订单，请核对订单号或下单手机号；不记得的话可以留空，直接提交。"))
    return found


def linked_order(report):
    """The shop order a report is linked to (by its number), or None."""
    if not report.order_ref:
        return None
    return Order.objects.filter(number=report.order_ref, cooperative=report.cooperative).select_related(
        "buyer").first()


def aftersale_of(report):
    """The after-sale request the buyer made from this report, if any (the latest)."""
    return AfterSale.objects.filter(report_reference=report.reference).select_related(
        "refund", "replacement").first()


def bad_egg_value(order, batch, eggs):
    """What the buyer paid for ``eggs`` eggs of ``batch`` in ``order`` (the line's price per egg)."""

    line = order.lines.filter(allocations__batch=batch).order_by("pk").first()
    if line is None:
        return None
    per_egg = Decimal(line.unit_price) / Decimal(line.pack_size)
    return (per_egg * eggs).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grant_remedy(report, *, user=None):
    """A confirmed report linked to an order entitles the buyer to compensation for the bad eggs.

    The refund goes through the shop's own refund service (``orders.services.payments.refund``),
    once: its ``out_refund_no`` is derived from the report, so a retry finds the first refund.
    When no refund can be made (order unpaid, paid offline and already refunded, …) the entitlement
    is recorded on the report for the manager to settle by replacement.
    """
    report.refresh_from_db()
    if report.status != BadEggReport.CONFIRMED or not report.order_ref or report.remedy:
        return None
    order = Order.objects.filter(number=report.order_ref, cooperative=report.cooperative).first()
    if aftersale.report_has_aftersale(report.reference):
        # The buyer asked for after-sale from this report: the manager decides the remedy there, once.
        note = _("买家已就这份报告申请售后（订单 %(o)s），按售后的处理结果补偿。") % {"o": report.order_ref}
        BadEggReport.objects.filter(pk=report.pk, remedy="").update(remedy=note[:200])
        report.remedy = note[:200]
        log_action(report, "report.remedy_entitled", user=user, data={"order": report.order_ref, "aftersale": True})
        return note
    value = bad_egg_value(order, report.batch, report.eggs) if order else None
    data = {"order": report.order_ref, "eggs": report.eggs, "value": str(value) if value is not None else None}
    if order is None or value is None or value <= 0:
        note = _("买家有权就 %(n)s 枚坏蛋获得补发或退款（订单 %(o)s），请管理员处理。") % {
            "n": report.eggs, "o": report.order_ref}
        action = "report.remedy_entitled"
    else:
        try:
            result = refund(order, out_refund_no=f"{report.reference}R", amount=value, user=user,
                            reason=_("坏蛋补偿：报告 %(ref)s，%(n)s 枚") % {"ref": report.reference, "n": report.eggs})
        except OrderError as exc:
            note = _("退款未成功（%(err)s）：买家有权就 %(n)s 枚坏蛋获得补发，请管理员安排。") % {
                "err": exc, "n": report.eggs}
            action = "report.remedy_entitled"
        else:
            if result.status == Refund.AWAITING_OFFLINE:  # paid offline: a manager hands the money back
                note = _("已登记退款 ¥%(v)s（%(n)s 枚坏蛋，退款单 %(r)s），待管理员线下退还并确认。") % {
                    "v": value, "n": report.eggs, "r": result.out_refund_no}
            else:
                note = _("已为买家退款 ¥%(v)s（%(n)s 枚坏蛋，退款单 %(r)s）。") % {
                    "v": value, "n": report.eggs, "r": result.out_refund_no}
            action = "report.remedy_refunded"
            data["refund_status"] = result.status
    BadEggReport.objects.filter(pk=report.pk, remedy="").update(remedy=note[:200])
    report.remedy = note[:200]
    log_action(report, action, user=user, data=data)
    return note


def photos_visible_to(user):
    """The report photos ``user`` may open: any of the cooperatives they work for (all for a superuser), and
    those of the reports behind the household's own decided penalties (a proposal is not shown to it yet,
    as on its penalty page). Everyone else: none — the photo view answers 404, as for a missing one."""
    rule = Q(report__cooperative_id__in=tenancy.cooperative_ids(user))
    household = household_of(user) if getattr(user, "is_authenticated", False) else None
    if household is not None:
        cited = Penalty.objects.filter(farmer=household).exclude(status=Penalty.PROPOSED).values("report_id")
        rule |= Q(report_id__in=cited)
    return ReportPhoto.objects.filter(rule)
