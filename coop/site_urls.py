"""Pages of the collective: intake at the collection point, receipts, payslips, settlement runs."""

from django.urls import include, path

from coop import views_intake

urlpatterns = [
    path("intake/", views_intake.intake, name="books-intake"),
    path("intake/receipt/<int:pk>/", views_intake.receipt, name="books-receipt"),
    path("", include("coop.farmer.urls")),  # farmer pages + offline intake (issue 8, coop/farmer/)
]

