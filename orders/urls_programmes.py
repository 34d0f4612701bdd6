"""URLs of the pairing programmes. ``/shop/p/<code>`` and ``/v/<code>`` are printed on posters and
certificates: they must never change."""

from django.urls import path

from orders import views_programmes as views

urlpatterns = [
    path("shop/p/<str:code>", views.programme_link, name="programme-link"),
    path("shop/p/<str:code>/", views.programme_link),  # typed with a slash (digits are the shop's products)
    path("shop/p/<str:code>/programme-poster.png", views.programme_poster, name="programme-poster"),
    path("shop/statements/", views.my_programmes, name="programme-mine"),
    path("shop/statements/rate/<str:number>", views.rate_order, name="programme-rate"),
    path("shop/statements/terms/<str:number>", views.order_terms, name="programme-terms"),
    path("v/<str:code>", views.verify, name="programme-verify"),
    path("programmes/login/", views.CoordinatorLoginView.as_view(), name="programme-login"),
    path("programmes/", views.programme_list, name="programme-list"),
    path("programmes/monitoring/", views.monitoring_report, name="programme-monitoring"),
    path("programmes/<int:pk>/", views.programme_report, name="programme-report"),
    path("programmes/<int:pk>/report.xlsx", views.programme_report_xlsx, name="programme-report-xlsx"),
    path("programmes/<int:pk>/statements/issue", views.issue_statement, name="programme-issue"),
    path("programmes/statements/<str:code>.pdf", views.statement_pdf, name="programme-statement-pdf"),
]
