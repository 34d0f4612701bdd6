"""Root URLs. The public ones (/t/, /01/, /shop/, /farmer/, /v/, /notice/) are printed on paper
and shared in chats: they must never change."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from coop import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("lookup/", views.trace_lookup, name="trace-lookup"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/dashboard/", include("quality.dashboard")),  # before the admin: its catch-all would 404 it
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("coop.api.urls")),
    path("api/", include("quality.api_urls")),
    path("api/", include("orders.api_urls")),
    path("", include("coop.site_urls")),
    path("", include("quality.urls")),
    path("", include("orders.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
