import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
django_application = get_wsgi_application()

# Warm scan pages (/t/<code>, GS1 Digital Link) are answered before Django's middleware and URL
# resolver; everything else, and any scan the shortcut is unsure of, goes to Django unchanged.
from quality.views.scanfast import ScanFastPath  # noqa: E402 - needs django.setup() above

application = ScanFastPath(django_application)
