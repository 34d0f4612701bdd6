from django.urls import include, path

urlpatterns = [
    path("", include("quality.urls_trace")),
    path("", include("quality.urls_charter")),
]
