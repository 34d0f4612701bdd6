"""Offline intake: the service worker and the web-app manifest (filled in with the intake page)."""

urlpatterns = []
