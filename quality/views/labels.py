"""Managers' label downloads: label PDF, label PNG, printer files (TSPL, ZPL), generated sheets."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from coop.lib import tenancy
from coop.lib.files import file_response
from coop.models import Batch
from quality.models import LabelSheet
from quality.services.labels import LabelRequestError, labels_for_request, refuse_recalled
from quality.services.labels import label_png as make_png
from quality.services.printers import printer_file
from quality.services.trace import NotTraced, trace_code_of


def manager_batch(request, batch_id):
    """A batch of one of the caller's cooperatives, else 404 (another cooperative's ids reveal nothing)."""
    ids = tenancy.cooperative_ids(request.user)
    return get_object_or_404(Batch.objects.select_related("cooperative"), pk=batch_id, cooperative_id__in=ids)


@login_required
@require_safe
def labels_pdf(request, batch_id):

    batch = manager_batch(request, batch_id)
    try:
        pdf, filename = labels_for_request(batch, request.GET)
    except LabelRequestError as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    except NotTraced as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    response = file_response(pdf, filename)
    return response


@login_required
@require_safe
def labels_printer(request, batch_id, language):
    """``labels.tspl`` / ``labels.zpl``: the batch's labels as a file for a thermal label printer."""
    batch = manager_batch(request, batch_id)
    try:
        body, filename = printer_file(batch, language, request.GET)
    except LabelRequestError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    except NotTraced as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    return file_response(body, filename, download=True)


@login_required
@require_safe
def print_labels(request, batch_id):
    """``/trace/batches/<id>/print/``: the batch's label form (format, copies) — the packing page links here by
    path, as coop links to quality. Read only: the sheet is made when that form is posted."""
    batch = manager_batch(request, batch_id)
    try:
        trace = trace_code_of(batch)
    except NotTraced as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    return redirect("admin:quality_tracecode_sheet", trace.pk)


@login_required
@require_safe
def label_png(request, batch_id):

    batch = manager_batch(request, batch_id)
    try:  # read only: the trace code was made when the batch was packed
        trace = trace_code_of(batch)
    except NotTraced as exc:
        return HttpResponseNotFound(str(exc), content_type="text/plain; charset=utf-8")
    try:
        png = make_png(batch, trace)
    except LabelRequestError as exc:  # a recalled batch
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    response = file_response(png, f"label-{batch.code}.png")
    return response


@login_required
@require_safe
def label_sheet_file(request, sheet_id):

    ids = tenancy.cooperative_ids(request.user)
    sheet = get_object_or_404(LabelSheet, pk=sheet_id, batch__cooperative_id__in=ids, status=LabelSheet.DONE)
    try:  # a sheet made before the recall must not be printed after it
        refuse_recalled(sheet.batch)
    except LabelRequestError as exc:
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    with sheet.file.open("rb") as stored:
        response = file_response(stored.read(), f"labels-{sheet.batch.code}-{sheet.pk}.pdf")
    return response
