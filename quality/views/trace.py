"""The public scan page (/t/<code>, GS1 Digital Link), the lookup box behind it (/lookup/), its EPCIS export
and certificate, and the managers' label downloads. The public views show nothing a cooperative did not
choose to publish."""

import re

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from coop.lib import tenancy
from coop.lib.files import file_response
from coop.lib.replica import reads_from_replica
from quality.models import TraceCode
from quality.services import scanpage, scans
from quality.services.epcis import batch_document
from quality.services.labels import certificate_pdf as make_pdf
from quality.services.trace import (
    MalformedLink,
    NotTraced,
    batch_by_number,
    certificate_of,
    clean_code,
    lookup_path,
    parse_digital_link,
    resolve_code,
    resolve_digital_link,
    scan_path,
    typed_code,
)
from quality.views import scanfast

LANG_CODES = {code for code, _name in settings.LANGUAGES}


def _language(request):
    """``?lang=en`` switches language without JavaScript or a POST form (so the page can be cached
    without a CSRF token in it); the choice is kept in Django's language cookie."""
    wanted = request.GET.get("lang", "")
    if wanted in LANG_CODES:
        translation.activate(wanted)
        request.LANGUAGE_CODE = wanted
        return wanted, True
    return translation.get_language() or settings.LANGUAGE_CODE, False


def _unknown(request, code, status=404, message=""):
    return render(request, "quality/trace/unknown.html", {"code": code, "message": message}, status=status)


def _entry_for(resolved):
    batch = resolved.trace.batch
    return {
        "trace": resolved.trace.pk,
        "code": resolved.trace.code,
        "box": resolved.box.pk if resolved.box else None,
        "serial": resolved.box.serial if resolved.box else None,
        "box_code": resolved.box.code if resolved.box else "",
        "best_before": batch.best_before.isoformat(),
        "via": resolved.via,
    }


def _serve(request, entry):
    lang, switched = _language(request)
    today = timezone.localdate()
    line = None
    if request.method == "GET":  # HEAD (link previews, monitors) is answered but not counted
        line = scans.scan_line(trace_id=entry["trace"], box_id=entry["box"], via=entry["via"], request=request,
                               past_best_before=today.isoformat() > entry["best_before"],
                               uid=request.META.get(scanfast.FAST_UID))
    html = scanpage.fetch_and_record(entry["trace"], lang, today, line)
    if html is None:
        trace = TraceCode.objects.get(pk=entry["trace"])
        html = render_to_string("quality/trace/scan.html", scanpage.page_context(trace), request=request)
        scanpage.store_page(entry["trace"], lang, today, html)
    if entry["serial"]:
        html = scanfast.with_box(html, lang, entry["serial"], entry.get("box_code", ""))
    response = HttpResponse(html)
    # Every visit must reach us to be counted; nothing here is secret, but nothing may be cached.
    response["Cache-Control"] = "no-cache"
    if switched:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite="Lax")
    return response


@require_safe
@reads_from_replica
def scan_page(request, code):
    cleaned = clean_code(code)
    key = f"c:{cleaned}"
    entry = scanpage.recall_entry(key)
    if entry is None:
        resolved = resolve_code(cleaned)
        if resolved is None:
            batch = batch_by_number(code)  # the batch number printed beside the QR code, typed into the link
            if batch is not None:
                return redirect(scan_path(batch.trace))
            return _unknown(request, code)
        entry = _entry_for(resolved)
        scanpage.remember(key, entry)
    return _serve_or_forget(request, key, entry)


def _serve_or_forget(request, key, entry):
    try:
        return _serve(request, entry)
    except TraceCode.DoesNotExist:
        # A remembered code whose row is gone (a test database rolled back; never in production,
        # where trace codes are protected): forget it and answer as for an unknown code.
        scanpage.forget(key)
        return _unknown(request, key.split(":", 1)[-1])


@require_safe
@reads_from_replica
def digital_link(request, gtin, lot, serial=None):
    try:  # the syntax is checked on every request: a bad date is a bad link even for a known lot
        parse_digital_link(gtin, lot, serial, request.GET)
    except MalformedLink as exc:
        return _unknown(request, f"{lot}", status=400, message=str(exc))
    key = f"dl:{gtin}:{lot}:{serial or ''}"
    entry = scanpage.recall_entry(key)
    if entry is None:
        resolved = resolve_digital_link(gtin, lot, serial, request.GET)
        if resolved is None:
            return _unknown(request, lot)
        entry = _entry_for(resolved)
        scanpage.remember(key, entry)
    return _serve_or_forget(request, key, entry)


@require_safe
def malformed_digital_link(request, rest=""):

    return _unknown(request, "", status=400, message=_("GS1 数字链接格式不正确：需要 /01/<14位GTIN>/10/<批号>。"))


def _public_trace(code):
    resolved = resolve_code(clean_code(code))
    if resolved is None:
        raise Http404
    return resolved


@require_safe
@reads_from_replica
def epcis_export(request, code):

    resolved = _public_trace(code)
    batch = resolved.trace.batch
    private = request.user.is_authenticated and batch.cooperative_id in tenancy.cooperative_ids(request.user)
    doc = batch_document(batch, include_private=private and request.GET.get("private") == "1")
    response = JsonResponse(doc, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Type"] = "application/ld+json; charset=utf-8"
    return response


@require_safe
@reads_from_replica
def certificate_pdf(request, code):

    resolved = _public_trace(code)
    try:  # read only: the certificate was issued when the batch was packed (old batches: migration 0003)
        cert = certificate_of(resolved.trace.batch)
    except NotTraced as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    pdf = make_pdf(cert)
    response = file_response(pdf, f"certificate-{resolved.trace.batch.code}.pdf")
    return response


@require_GET
def trace_lookup(request):
    """The box on the landing and 404 pages: for when the camera cannot read a QR code."""
    raw = request.GET.get("code", "")
    found = lookup_path(raw)
    if found is not None:
        return redirect(found)
    # Not found: the scan page's own "not found" page, with what was typed (folded to what a code can hold).
    code = re.sub(r"[^0-9A-Za-z\-]", "", typed_code(raw)).upper()[:40]
    if not code:
        return render(request, "coop/trace_lookup.html", {"error": _("请输入标签上的溯源码。") if raw else ""},
                      status=400 if raw else 200)
    return redirect(f"/t/{code}")
