"""URLs of the quality app: ``urlpatterns`` (pages), ``api_urlpatterns`` (under /api/) and
``dashboard_urlpatterns`` (under /admin/dashboard/) and ``workbench_urlpatterns`` (the staff's home and sign-in).

Public trace URLs are printed on paper; /notice/<village> goes on paper notices in the village; /farmer/…
is linked from the farmer home page and from penalty notifications. Never change them.
"""

from django.contrib import admin
from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from quality.api import appeals as appeals_api
from quality.api import charter as charter_api
from quality.api import labels as labels_api
from quality.api import penalties as penalties_api
from quality.api import reports as reports_api
from quality.api import trace as trace_api
from quality.views import appeals, charter, dashboard, labels, metrics, notice, penalties, reports, trace, workbench

urlpatterns = [
    # the operator's Prometheus (a token or an allowed address; 404 to anyone else)
    path("metrics", metrics.metrics, name="metrics"),
    # trace
    path("lookup/", trace.trace_lookup, name="trace-lookup"),  # the box on the landing and 404 pages
    re_path(r"^t/(?P<code>[A-Za-z0-9\-]{1,40})/?$", trace.scan_page, name="trace-scan"),
    path("t/<str:code>/epcis.json", trace.epcis_export, name="trace-epcis"),
    path("t/<str:code>/certificate.pdf", trace.certificate_pdf, name="trace-certificate"),
    # GS1 Digital Link: /01/<GTIN-14>/10/<lot>[/21/<serial>]?15=YYMMDD
    re_path(r"^01/(?P<gtin>[^/]*)/10/(?P<lot>[^/]*)(?:/21/(?P<serial>[^/]*))?/?$", trace.digital_link,
            name="trace-digital-link"),
    re_path(r"^01/(?P<rest>.*)$", trace.malformed_digital_link, name="trace-digital-link-malformed"),
    # managers' label downloads
    path("trace/batches/<int:batch_id>/labels.pdf", labels.labels_pdf, name="trace-labels-pdf"),
    path("trace/batches/<int:batch_id>/label.png", labels.label_png, name="trace-label-png"),
    path("trace/batches/<int:batch_id>/labels.tspl", labels.labels_printer, {"language": "tspl"},
         name="trace-labels-tspl"),
    path("trace/batches/<int:batch_id>/labels.zpl", labels.labels_printer, {"language": "zpl"},
         name="trace-labels-zpl"),
    path("trace/batches/<int:batch_id>/print/", labels.print_labels, name="trace-labels-print"),
    path("trace/sheets/<int:sheet_id>.pdf", labels.label_sheet_file, name="trace-sheet-file"),
    # bad-egg reports (linked from the scan page) and the village notice board
    path("t/<str:code>/report/", reports.report_form, name="charter-report"),
    path("report/", reports.report_lookup, name="charter-report-lookup"),
    path("report/<str:reference>/", reports.report_status, name="charter-report-status"),
    path("files/report-photos/<int:pk>/", reports.report_photo, name="report-photo"),
    path("files/appeal-voice/<int:pk>/", appeals.voice_note, name="appeal-voice"),
    path("notice/<str:village>", notice.notice_board, name="charter-notice"),
    path("notice/<str:village>/", notice.notice_board),
    # a household's penalties, appeals and charter
    path("farmer/penalties/", penalties.penalties, name="farmer-penalties"),
    path("farmer/penalties/<int:pk>/", penalties.penalty_detail, name="farmer-penalty"),
    path("farmer/penalties/<int:pk>/appeal/", appeals.appeal, name="farmer-appeal"),
    path("farmer/charter/", charter.charter, name="farmer-charter"),
]

router = SimpleRouter()
router.register("trace/batches", trace_api.TraceBatchViewSet, basename="trace-batch")
router.register("trace/label-sheets", labels_api.LabelSheetViewSet, basename="trace-label-sheet")
router.register("reports", reports_api.ReportViewSet, basename="report")
router.register("penalties", penalties_api.PenaltyViewSet, basename="penalty")
router.register("charters", charter_api.CharterViewSet, basename="charter")
router.register("appeals", appeals_api.AppealViewSet, basename="appeal")
api_urlpatterns = router.urls

dashboard_urlpatterns = [
    path("", admin.site.admin_view(dashboard.dashboard), name="admin-dashboard"),
    path("export/<slug:what>.<slug:fmt>", admin.site.admin_view(dashboard.export), name="admin-dashboard-export"),
]

# Mounted by coop/urls.py before the admin: /admin/workbench/ (the staff's home) and /admin/login/ (landing there).
workbench_urlpatterns = [
    path("admin/workbench/", admin.site.admin_view(workbench.workbench), name="staff-workbench"),
    path("admin/login/", workbench.staff_login, name="staff-login"),
]
