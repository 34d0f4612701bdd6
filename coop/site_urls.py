"""Pages of the collective: intake at the collection point, receipts, payslips, settlement runs."""

from django.urls import include, path

from coop import views_books, views_intake

urlpatterns = [
    path("intake/", views_intake.intake, name="books-intake"),
    path("intake/receipt/<int:pk>/", views_intake.receipt, name="books-receipt"),
    path("books/pack/", views_books.pack, name="books-pack"),
    path("books/settle/", views_books.settle, name="books-settle"),
    path("books/settle/run/<int:pk>/", views_books.run_progress, name="books-run"),
    path("books/settlements/", views_books.settlements, name="books-settlements"),
    path("books/settlements/export.xlsx", views_books.export_xlsx, name="books-export"),
    path("books/payslip/<int:pk>/", views_books.payslip, name="books-payslip"),
    path("books/payslip/<int:pk>.pdf", views_books.payslip_pdf, name="books-payslip-pdf"),
    path("", include("coop.farmer.urls")),  # farmer pages + offline intake (issue 8, coop/farmer/)
]

