"""The manager's page for bringing a household list in from Excel/CSV: upload → preview → confirm → result,
and the same list (or an empty template) to download.

The preview keeps the file's rows in the session (server side: the database session), not the file and not
hidden form fields, so the confirm step needs no second upload and cannot be handed rows the manager never saw.
Confirming re-checks every row against the cooperative as it is then and writes only if the result is the one
previewed (``expected_digest``); GET never writes.
"""

import secrets

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coop.forms import HouseholdImportForm
from coop.lib import tenancy
from coop.lib.files import file_response
from coop.models import AuditEvent, Cooperative, Staff
from coop.services import imports
from coop.views.base import LOGIN, manager_cooperative

SESSION_KEY = "farmer_import"
DELIVERIES_SESSION_KEY = "delivery_import"
SHOWN_ROWS = 200


def _preview_context(coop, plan, *, token, filename, refusal=None):
    for r in plan.rows:  # one tuple per cell: the template needs no lookups by key
        r.display = [(c.key, r.cells.get(c.key, ""), r.errors.get(c.key), r.changes.get(c.key))
                     for c in imports.COLUMNS]
    errors = plan.error_messages()
    rows = sorted(plan.rows, key=lambda r: ({imports.ERROR: 0, imports.ADD: 1, imports.CHANGE: 2}.get(r.action, 3),
                                            r.row))
    writes = [r for r in rows if r.action in (imports.ADD, imports.CHANGE)]
    wrong = [r for r in rows if r.action == imports.ERROR]
    return {
        "coop": coop, "plan": plan, "token": token, "filename": filename, "refusal": refusal,
        "columns": imports.COLUMNS, "counts": plan.counts,
        # With errors the table shows the wrong rows only (what the cadre must fix); the good ones fold away.
        "shown": wrong or writes, "others": writes if wrong else [],
        "unchanged": [r for r in rows if r.action == imports.SAME],
        "errors": errors,
    }


@login_required(login_url=LOGIN)
def upload(request):
    """GET: the upload form. POST: read the file, check every row, show the preview (nothing written)."""
    coop = manager_cooperative(request)
    form = HouseholdImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            if upload_file.size > imports.MAX_BYTES:  # before reading it: the size the browser sent
                raise imports.ImportFileError(_("文件太大（最多 %(mb)s MB）。") % {
                    "mb": imports.MAX_BYTES // (1024 * 1024)})
            rows, ignored = imports.read_table(upload_file.name, upload_file.read())
        except imports.ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            plan = imports.plan_import(coop, rows, ignored=ignored)
            token = secrets.token_urlsafe(16)
            # One pending import per session: a new upload replaces the last one's preview.
            request.session[SESSION_KEY] = {"token": token, "coop": coop.pk, "file": upload_file.name[:100],
                                            "rows": rows, "ignored": ignored}
            return render(request, "coop/books/import_preview.html",
                          _preview_context(coop, plan, token=token, filename=upload_file.name))
    return render(request, "coop/books/import.html", {"coop": coop, "form": form, "columns": imports.COLUMNS,
                                                      "max_mb": imports.MAX_BYTES // (1024 * 1024),
                                                      "max_rows": imports.MAX_ROWS},
                  status=400 if request.method == "POST" else 200)


@login_required(login_url=LOGIN)
@require_POST
def confirm(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or not secrets.compare_digest(str(pending.get("token")), request.POST.get("token", "")):
        # An old tab, or a second confirm after the first one's success: say so, write nothing.
        return render(request, "coop/books/import_gone.html", status=409)
    if pending["coop"] not in tenancy.cooperative_ids(request.user, (Staff.MANAGER,)):
        raise PermissionDenied(_("只有本社的管理员可以导入农户。"))
    coop = Cooperative.objects.get(pk=pending["coop"])
    try:
        plan = imports.apply_import(coop, pending["rows"], user=request.user,
                                    expected_digest=request.POST.get("digest", ""), filename=pending["file"])
    except imports.ImportRefused as exc:
        exc.plan.ignored = pending["ignored"]
        return render(request, "coop/books/import_preview.html",
                      _preview_context(coop, exc.plan, token=pending["token"], filename=pending["file"],
                                       refusal=exc.message), status=409)
    del request.session[SESSION_KEY]
    return redirect("books-import-done", pk=plan.event.pk)


@login_required(login_url=LOGIN)
@require_GET
def done(request, pk):
    ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    event = get_object_or_404(AuditEvent.objects.select_related("cooperative"), pk=pk,
                              action__in=("farmers.imported", "deliveries.imported"), cooperative__in=ids)
    template = ("coop/books/import_deliveries_done.html" if event.action == "deliveries.imported"
                else "coop/books/import_done.html")
    return render(request, template, {"event": event, "coop": event.cooperative, "data": event.data})


@login_required(login_url=LOGIN)
@require_GET
def template(request):
    manager_cooperative(request)
    return file_response(imports.template_file(), "农户名单模板.xlsx", download=True)


@login_required(login_url=LOGIN)
@require_GET
def export(request, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Http404()
    coop = manager_cooperative(request)
    content = imports.export_file(coop, fmt)
    name = f"农户名单-{coop.producer_code}-{timezone.localdate():%Y%m%d}.{fmt}"
    return file_response(content, name, download=True)


# --- past deliveries (交蛋台账): the same steps, the same session-held preview -------------------------------

def _deliveries_context(coop, plan, *, token, filename, refusal=None):
    rows = sorted(plan.rows, key=lambda r: ({imports.ERROR: 0, imports.ADD: 1}.get(r.action, 2), r.row))
    shown = [r for r in rows if r.action == imports.ERROR] or [r for r in rows if r.action == imports.ADD]
    return {"coop": coop, "plan": plan, "token": token, "filename": filename, "refusal": refusal,
            "counts": plan.counts, "errors": plan.error_messages(), "total": plan.total(),
            "held": sum(1 for r in plan.rows if r.action == imports.ADD and r.held),
            # A season's book is thousands of rows: the first ones shown, the rest counted (the totals cover all).
            "shown": shown[:SHOWN_ROWS], "more": max(0, len(shown) - SHOWN_ROWS),
            "columns": imports.DELIVERY_COLUMNS}


@login_required(login_url=LOGIN)
def deliveries_upload(request):
    """GET: the upload form. POST: read the delivery book, try every row, show the preview (nothing written)."""
    coop = manager_cooperative(request)
    form = HouseholdImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            if upload_file.size > imports.MAX_BYTES:
                raise imports.ImportFileError(_("文件太大（最多 %(mb)s MB）。") % {
                    "mb": imports.MAX_BYTES // (1024 * 1024)})
            rows, ignored = imports.read_table(upload_file.name, upload_file.read(), imports.DELIVERIES)
        except imports.ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            plan = imports.plan_delivery_import(coop, rows, ignored=ignored)
            token = secrets.token_urlsafe(16)
            request.session[DELIVERIES_SESSION_KEY] = {"token": token, "coop": coop.pk, "file": upload_file.name[:100],
                                                       "rows": rows, "ignored": ignored}
            return render(request, "coop/books/import_deliveries_preview.html",
                          _deliveries_context(coop, plan, token=token, filename=upload_file.name))
    return render(request, "coop/books/import_deliveries.html",
                  {"coop": coop, "form": form, "columns": imports.DELIVERY_COLUMNS,
                   "max_mb": imports.MAX_BYTES // (1024 * 1024), "max_rows": imports.DELIVERIES.max_rows},
                  status=400 if request.method == "POST" else 200)


@login_required(login_url=LOGIN)
@require_POST
def deliveries_confirm(request):
    pending = request.session.get(DELIVERIES_SESSION_KEY)
    if not pending or not secrets.compare_digest(str(pending.get("token")), request.POST.get("token", "")):
        return render(request, "coop/books/import_gone.html", status=409)
    if pending["coop"] not in tenancy.cooperative_ids(request.user, (Staff.MANAGER,)):
        raise PermissionDenied(_("只有本社的管理员可以导入交蛋台账。"))
    coop = Cooperative.objects.get(pk=pending["coop"])
    try:
        plan = imports.apply_delivery_import(coop, pending["rows"], user=request.user,
                                             expected_digest=request.POST.get("digest", ""), filename=pending["file"])
    except imports.ImportRefused as exc:
        exc.plan.ignored = pending["ignored"]
        return render(request, "coop/books/import_deliveries_preview.html",
                      _deliveries_context(coop, exc.plan, token=pending["token"], filename=pending["file"],
                                          refusal=exc.message), status=409)
    del request.session[DELIVERIES_SESSION_KEY]
    return redirect("books-import-done", pk=plan.event.pk)


@login_required(login_url=LOGIN)
@require_GET
def deliveries_template(request):
    manager_cooperative(request)
    return file_response(imports.delivery_template_file(), "交蛋台账模板.xlsx", download=True)
