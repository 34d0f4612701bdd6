"""发票 requests on paid orders: asked by the buyer with their invoice details, issued or sent back by a manager.

- **Details.** 个人 (a name) or 单位 (名称 and 纳税人识别号, checked by ``coop.lib.validators.tax_number_problem``:
  15/18/20 characters, the unified social credit code's check character), and an optional e-mail for the
  e-invoice. The form is prefilled with the buyer's saved details; a buyer who orders for an organisation
  (以购代捐: the order's programme organisation, or the buyer's own) gets 单位 and the organisation's
  抬头 by default, since the institution books the 发票, not the person who tapped 支付.
- **One request per order.** Asked under the order's lock (``invoice:order:<id>``), re-read after it, and the
  one-to-one column refuses a second row; a request sent back (已退回) is corrected and sent again as the
  same row, by compare-and-set from "returned".
- **The amount** is what the buyer paid less refunds: ``programmes.counted_amounts``, the rule the pledge,
  statement and dashboard figures use. It is taken when asked, and checked again when issued: the manager
  confirms the amount the page showed, and a refund in between makes the page ask again.
- **Issuing** (已开票, with the invoice's number and optionally its PDF) and **returning** (with a reason)
  are compare-and-set from "requested": of two managers (or a double tap) one does it.
- The buyer is told at each step (``notify``, as the order's status message); each step is in the audit trail.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.lib.locking import lock_keys
from coop.lib.validators import is_ascii_digits, normalize_tax_number, tax_number_problem
from coop.lib.words import in_site_language
from coop.services.audit import log_action
from coop.services.notifications import notify
from orders.models import Buyer, InvoiceError, InvoiceRequest
from orders.models.invoices import COMPANY, KINDS, PERSONAL
from orders.models.programmes import ProgrammeAttribution
from orders.services.programmes import COUNTED_STATUSES, counted_amounts, organisation_of

# Paid and not being refunded: the orders a 发票 may be asked (and issued) for. The programmes' rule of
# which orders count, for the same reason: money that is on its way back is not invoiced.
INVOICEABLE = COUNTED_STATUSES
# What the managers' list and the workbench count: requests waiting to be issued.
TO_ISSUE = {"status": InvoiceRequest.REQUESTED}
MAX_PDF_BYTES = 5 * 1024 * 1024  # an e-invoice PDF is some 100 KB; five megabytes is a scan of a paper one
INVOICE_NUMBER_LENGTHS = (8, 20)  # 8 digits on paper and older e-invoices, 20 on a 数电发票


def invoiced_amount(order):
    """What a 发票 on ``order`` is for: paid less refunds (the one rule, ``counted_amounts``)."""
    return counted_amounts([order])[order.pk]


def can_request(order):
    """``(True, "")`` when a 发票 may be asked for ``order`` now, else ``(False, why)``."""
    if order.status not in INVOICEABLE or order.paid_at is None:
        if order.status == order.PENDING_PAYMENT:
            return False, _("付款后可以申请开票。")
        return False, _("订单%(s)s，不能开票。") % {"s": order.get_status_display()}
    if order.total <= 0:  # an after-sale replacement (补发) is sent for ¥0: nothing was paid for it
        return False, _("补发的订单没有付款，不用开票。")
    if invoiced_amount(order) <= 0:
        return False, _("订单已全部退款，不能开票。")
    return True, ""


def _organisation_for(order):
    """The organisation ``order`` was bought for: its programme's, or else the buyer's own."""
    attribution = ProgrammeAttribution.objects.filter(order=order).select_related("organisation").first()
    if attribution is not None and attribution.organisation is not None:
        return attribution.organisation
    return organisation_of(order.buyer)


def prefill(order):
    """The details the form starts with: the last request's, else the buyer's saved ones, else — for
    an institutional buyer — 单位 with the organisation's 抬头 and number."""
    row = InvoiceRequest.objects.filter(order=order).first()
    if row is not None:
        return {"kind": row.kind, "title": row.title, "tax_number": row.tax_number, "email": row.email}
    buyer = order.buyer
    details = {"kind": buyer.invoice_kind, "title": buyer.invoice_title, "tax_number": buyer.tax_number,
               "email": buyer.invoice_email}
    org = _organisation_for(order)
    institutional = org is not None or buyer.kind in Buyer.INVOICE_KINDS
    if not details["kind"]:
        details["kind"] = COMPANY if institutional else PERSONAL
    if details["kind"] == COMPANY and not details["title"]:
        if org is not None:
            details.update(title=org.invoice_title or org.name, tax_number=org.tax_number)
        else:
            details["title"] = buyer.organisation
    if details["kind"] == PERSONAL and not details["title"]:
        details["title"] = buyer.name
    return details


def clean_details(*, kind, title, tax_number, email):
    """The details as they will be printed, or ``InvoiceError`` naming the field (nothing is written)."""
    if kind not in dict(KINDS):
        raise InvoiceError(_("请选择开给个人还是单位。"), "kind", field="kind")
    title = " ".join(str(title or "").split())
    if not title:
        why = _("请填写发票抬头：单位全称。") if kind == COMPANY else _("请填写发票抬头（您的姓名）。")
        raise InvoiceError(why, "title", field="title")
    if len(title) > 100:
        raise InvoiceError(_("发票抬头最多 100 个字。"), "title", field="title")
    number = normalize_tax_number(tax_number)
    if kind == COMPANY:
        if not number:
            raise InvoiceError(_("开给单位的发票要填纳税人识别号（统一社会信用代码）。"), "tax_number",
                               field="tax_number")
        problem = tax_number_problem(number)
        if problem:
            raise InvoiceError(problem, "tax_number", field="tax_number")
    else:
        number = ""  # a person's 发票 carries no taxpayer number
    email = str(email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvoiceError(_("邮箱格式不对，例如 name@example.com；不填也可以，在订单页下载发票。"), "email",
                               field="email") from None
        if len(email) > 100:
            raise InvoiceError(_("邮箱最多 100 个字符。"), "email", field="email")
    return {"kind": kind, "title": title, "tax_number": number, "email": email}


def request_invoice(order, *, kind, title, tax_number="", email="", save_details=True, user=None):
    """Ask for a 发票 on ``order`` (or send a returned request again) and return the request.

    Raises ``InvoiceError``: bad details (nothing is written), an order that cannot be invoiced, or a
    request already waiting or issued (409)."""
    details = clean_details(kind=kind, title=title, tax_number=tax_number, email=email)
    ok, why = can_request(order)
    if not ok:
        raise InvoiceError(why, "not_invoiceable")
    buyer = order.buyer
    try:
        with transaction.atomic():
            # Taken before reading whether the order has a request: two posts of the form (a double tap, two
            # tabs) otherwise both see none and the second fails on the one-to-one column instead.
            lock_keys(f"invoice:order:{order.pk}")
            amount = invoiced_amount(order)
            row = InvoiceRequest.objects.filter(order=order).first()
            if row is None:
                row = InvoiceRequest.objects.create(cooperative_id=order.cooperative_id, order=order, amount=amount,
                                                    **details)
                action = "invoice.requested"
            elif row.status == InvoiceRequest.RETURNED:
                now = timezone.now()
                done = InvoiceRequest.objects.filter(pk=row.pk, status=InvoiceRequest.RETURNED).update(
                    status=InvoiceRequest.REQUESTED, amount=amount, submissions=row.submissions + 1,
                    submitted_at=now, return_reason="", handled_by=None, handled_at=None, **details)
                if not done:
                    raise _already(row)
                row.refresh_from_db()
                action = "invoice.resubmitted"
            else:
                raise _already(row)
            if save_details:
                Buyer.objects.filter(pk=buyer.pk).update(
                    invoice_kind=details["kind"], invoice_title=details["title"],
                    tax_number=details["tax_number"] or buyer.tax_number, invoice_email=details["email"])
            log_action(row, action, user=user, actor_label=buyer.display_name,
                       data={"order": order.number, "kind": details["kind"], "title": details["title"],
                             "tax_number": details["tax_number"], "amount": str(amount),
                             "submission": row.submissions})
            with in_site_language():
                _tell_buyer(row, _("已收到您的开票申请（%(title)s，¥%(amount)s），合作社开好后会通知您。") % {
                    "title": row.title, "amount": row.amount})
    except IntegrityError:
        # The one-to-one column: only without the lock (SQLite tests, locking off) can a second row get this far.
        raise InvoiceError(_("这个订单已经申请过发票了。"), "exists", status=409) from None
    return row


def _already(row):
    row.refresh_from_db()
    return InvoiceError(_("这个订单已经申请过发票了（%(s)s）。") % {"s": row.get_status_display()}, "exists",
                        status=409)


def _tell_buyer(row, body):
    phone, openid = row.order.buyer.phone or "", row.order.buyer.wechat_openid or ""
    if not (phone or openid):
        return  # nowhere to reach them: the buyer sees the status on the order page
    # Sent as the order's status message (coop.services.sms: every "order." event has its template).
    with in_site_language():
        notify(event=f"order.invoice_{row.status}", key=f"invoice:{row.pk}:{row.submissions}:{row.status}",
               body=_("【绿壳蛋】订单 %(no)s ") % {"no": row.order.number} + body, cooperative=row.order.cooperative,
               phone=phone, wechat_openid=openid,
               sms_params={"no": row.order.number, "status": str(row.get_status_display())})


# --- The manager's side ---------------------------------------------------------------------------

def waiting(user):
    """Requests the manager ``user`` has to issue, oldest first."""
    return (tenancy.scope(InvoiceRequest.objects.filter(**TO_ISSUE), user, roles=(tenancy.Staff.MANAGER,))
            .select_related("order", "order__buyer", "cooperative").order_by("submitted_at", "id"))


def _invoice_number(text):
    number = str(text or "").strip().replace(" ", "")
    if not is_ascii_digits(number) or len(number) not in INVOICE_NUMBER_LENGTHS:
        raise InvoiceError(_("发票号码应为 8 位（纸质发票）或 20 位（数电发票）数字。"), "invoice_number",
                           field="invoice_number")
    return number


def _pdf(upload):
    if upload is None:
        return None
    if upload.size > MAX_PDF_BYTES:
        raise InvoiceError(_("发票文件不能超过 5 MB。"), "pdf", field="pdf")
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise InvoiceError(_("请上传税务系统导出的 PDF 发票文件。"), "pdf", field="pdf")
    return upload


def _confirmed_amount(row, shown):
    """The amount to issue: today's paid-less-refunds, which must be what the manager's page showed."""
    ok, why = can_request(row.order)
    if not ok:
        raise InvoiceError(why, "not_invoiceable", status=409)
    amount = invoiced_amount(row.order)
    try:
        seen = Decimal(str(shown).strip())
    except (InvalidOperation, ValueError):
        seen = None
    if seen != amount:
        raise InvoiceError(_("开票金额已变为 ¥%(n)s（订单有新的退款），请按新金额开票。") % {"n": amount},
                           "amount_changed", status=409)
    return amount


def issue_invoice(row, *, user, invoice_number, amount, pdf=None):
    """Mark ``row`` 已开票 with the invoice's number (and its PDF), once. ``amount`` is the figure the
    manager's page showed. Raises ``InvoiceError``; nothing is written on a refusal."""
    number = _invoice_number(invoice_number)
    upload = _pdf(pdf)
    try:
        return _issue(row, user=user, number=number, amount=amount, upload=upload)
    except IntegrityError:
        # The unique number: only without the lock (locking off) can two orders get this far with one number.
        raise InvoiceError(_("发票号码 %(n)s 已经登记在别的订单上了。") % {"n": number}, "invoice_number",
                           field="invoice_number") from None


def _issue(row, *, user, number, amount, upload):
    with transaction.atomic():
        # Taken before looking for the number on another order: two managers typing one number into two
        # requests would otherwise both find it free.
        lock_keys(f"invoice:number:{row.cooperative_id}:{number}")
        row.refresh_from_db()
        if row.status != InvoiceRequest.REQUESTED:
            raise InvoiceError(_("这个开票申请已经处理过了（%(s)s）。") % {"s": row.get_status_display()}, "handled",
                               status=409)
        value = _confirmed_amount(row, amount)
        clash = (InvoiceRequest.objects.filter(cooperative_id=row.cooperative_id, invoice_number=number)
                 .exclude(pk=row.pk).select_related("order").first())
        if clash is not None:
            raise InvoiceError(_("发票号码 %(n)s 已经登记在订单 %(o)s 上了。") % {"n": number, "o": clash.order.number},
                               "invoice_number", field="invoice_number")
        done = InvoiceRequest.objects.filter(pk=row.pk, status=InvoiceRequest.REQUESTED).update(
            status=InvoiceRequest.ISSUED, invoice_number=number, amount=value, handled_by=user,
            handled_at=timezone.now())
        if not done:
            raise InvoiceError(_("这个开票申请已经处理过了。"), "handled", status=409)
        row.refresh_from_db()
        if upload is not None:
            # Saved after winning the compare-and-set, so a lost race leaves no orphan file behind.
            row.pdf.save(f"{number}.pdf", upload, save=True)
        log_action(row, "invoice.issued", user=user,
                   data={"order": row.order.number, "invoice_number": number, "amount": str(value),
                         "pdf": bool(upload)})
        with in_site_language():
            _tell_buyer(row, _("发票已开好（号码 %(n)s，¥%(v)s），可在订单页下载。") % {"n": number, "v": value})
    return row


def return_invoice(row, *, user, reason):
    """Send ``row`` back to the buyer with ``reason`` (a wrong tax number, a title that is not the
    licence's); the buyer corrects it and sends it again."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvoiceError(_("请写明退回原因，买家好改正后重新申请。"), "reason", field="reason")
    if len(reason) > 200:
        raise InvoiceError(_("退回原因最多 200 字。"), "reason", field="reason")
    with transaction.atomic():
        done = InvoiceRequest.objects.filter(pk=row.pk, status=InvoiceRequest.REQUESTED).update(
            status=InvoiceRequest.RETURNED, return_reason=reason, handled_by=user, handled_at=timezone.now())
        row.refresh_from_db()
        if not done:
            raise InvoiceError(_("这个开票申请已经处理过了（%(s)s）。") % {"s": row.get_status_display()}, "handled",
                               status=409)
        log_action(row, "invoice.returned", user=user, reason=reason, data={"order": row.order.number})
        with in_site_language():
            _tell_buyer(row, _("开票申请被退回：%(why)s。请在订单页修改后重新提交。") % {"why": reason})
    return row


def for_order_page(order):
    """What the buyer's order page shows of the 发票: the request (or none) and whether one may be asked."""
    row = InvoiceRequest.objects.filter(order=order).first()
    may_request, why = can_request(order)
    return {"row": row, "may_request": may_request and (row is None or row.status == InvoiceRequest.RETURNED),
            "why": why}
