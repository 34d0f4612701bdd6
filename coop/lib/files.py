"""Files handed to the browser (payslips, labels, certificates, Excel exports): one way to answer them.

The file name goes through Django's ``content_disposition_header``, which encodes a non-ASCII name
(RFC 6266 / 5987) instead of letting a Chinese name break the header.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    # Printer programs (TSPL, ZPL): bytes for the label printer, never shown in the browser.
    "tspl": "application/octet-stream",
    "zpl": "application/octet-stream",
}


def file_response(content, filename, *, download=False):
    """``content`` (bytes or str) as ``filename``; shown in the browser unless ``download`` is set.
    The type comes from the name's ending (pdf, png, csv, xlsx)."""
    response = HttpResponse(content, content_type=TYPES[filename.rsplit(".", 1)[-1].lower()])
    response["Content-Disposition"] = content_disposition_header(download, filename)
    return response


# A cell whose text starts with one of these is read as a formula by Excel, WPS and LibreOffice (OWASP
# "CSV injection"); tab and carriage return too, since some spreadsheets strip them and read what follows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sheet_cell(value):
    """``value`` as a spreadsheet cell that never runs: user-typed text (a name, a payment reference such
    as ``=HYPERLINK(…)``) starting like a formula gets a leading apostrophe, the spreadsheets' own
    "this is text" mark. Numbers, dates and ``None`` pass unchanged. Every export writes its cells
    through this (or ``sheet_row``): openpyxl stores any string starting with ``=`` as a live formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_row(values):
    return [sheet_cell(v) for v in values]
