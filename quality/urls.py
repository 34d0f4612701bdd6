from django.urls import include, path

urlpatterns = [
    path("", include("quality.urls_trace")),
    path("", include("quality.urls_charter")),
    path("", include("quality.urls_farmer")),  # household penalty/charter pages (issue 8)
]
