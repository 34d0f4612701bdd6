"""Pages of the collective (intake, farmer pages) — filled in by the books and farmer-pages work."""

from django.urls import include, path

urlpatterns = [
    path("", include("coop.farmer.urls")),  # farmer pages + offline intake (issue 8, coop/farmer/)
]
