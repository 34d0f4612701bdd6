"""Public trace URLs — printed on paper, they must never change — and managers' label downloads."""

from django.urls import path, re_path

from quality import views_trace as views

urlpatterns = [
    re_path(r"^t/(?P<code>[A-Za-z0-9\-]{1,40})/?$", views.scan_page, name="trace-scan"),
    path("t/<str:code>/epcis.json", views.epcis_export, name="trace-epcis"),
    path("t/<str:code>/certificate.pdf", views.certificate_pdf, name="trace-certificate"),
    # GS1 Digital Link: /01/<GTIN-14>/10/<lot>[/21/<serial>]?15=YYMMDD
    re_path(r"^01/(?P<gtin>[^/]*)/10/(?P<lot>[^/]*)(?:/21/(?P<serial>[^/]*))?/?$", views.digital_link,
            name="trace-digital-link"),
    re_path(r"^01/(?P<rest>.*)$", views.malformed_digital_link, name="trace-digital-link-malformed"),
    path("trace/batches/<int:batch_id>/labels.pdf", views.labels_pdf, name="trace-labels-pdf"),
    path("trace/batches/<int:batch_id>/label.png", views.label_png, name="trace-label-png"),
    path("trace/sheets/<int:sheet_id>.pdf", views.label_sheet_file, name="trace-sheet-file"),
]
