"""Pages of the collective (intake, farmer pages) — filled in by the books and farmer-pages work."""

urlpatterns = []
