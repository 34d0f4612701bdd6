from django.urls import include, path

urlpatterns = [
    path("", include("quality.api_trace")),
    path("", include("quality.api_charter")),
]
