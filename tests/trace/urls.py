# Temporary: the trace URLs alone, while other areas' site URLs are mid-edit in the shared tree.
from django.urls import include, path

from coop import views

urlpatterns = [
    path("lookup/", views.trace_lookup, name="trace-lookup"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("quality.urls_trace")),
]
urlpatterns += [path("api/", include("quality.api_trace")), path("admin/", __import__("django.contrib.admin", fromlist=["site"]).site.urls)]
