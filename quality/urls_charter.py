from django.urls import path

from quality import views_charter

# Public URLs: /t/<code>/report/ is linked from the scan page and printed nowhere else, but
# /notice/<village> goes on paper notices in the village. Never change them.
urlpatterns = [
    path("t/<str:code>/report/", views_charter.report_form, name="charter-report"),
    path("report/", views_charter.report_lookup, name="charter-report-lookup"),
    path("report/<str:reference>/", views_charter.report_status, name="charter-report-status"),
    path("notice/<str:village>", views_charter.notice_board, name="charter-notice"),
    path("notice/<str:village>/", views_charter.notice_board),
]
