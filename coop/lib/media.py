"""Private media: uploads only the right people may read (bad-egg and after-sale photos, label sheets,
programme agreements), kept apart from the public ones (product photos, trademarks) and answered only
by a view that has checked who asks.

Private files live under ``MEDIA_ROOT/private/`` (so backups, which take every file under ``MEDIA_ROOT``,
still hold them). Nothing serves that directory directly: nginx marks ``/media/private/`` ``internal``
(deploy/nginx-greenshell.conf) and the DEBUG ``/media/`` view of ``coop/urls.py`` refuses it
(``serve_public_media``). A view that has checked the person answers with ``private_file_response``:
with ``PRIVATE_MEDIA_X_ACCEL`` on (production) an empty response whose ``X-Accel-Redirect`` tells nginx
to send the file itself (no gunicorn worker held by a slow phone on 3G); off (development, tests) Django
streams the file with ``FileResponse``.
"""

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.forms import ClearableFileInput
from django.http import FileResponse, Http404, HttpResponse
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.views.static import serve

PRIVATE_DIR = "private"
# Long enough for a page of photos to be scrolled twice, short enough that a revoked person loses them soon;
# ``private`` keeps them out of every shared cache (a proxy, a CDN) between the phone and us.
CACHE_CONTROL = "private, max-age=600"


class PrivateStorage(FileSystemStorage):
    """``MEDIA_ROOT/private/``, following ``MEDIA_ROOT`` when a test or a deploy changes it (Django clears
    these cached properties on ``setting_changed`` for ``MEDIA_ROOT``). Its ``url()`` points into
    ``/media/private/``, which answers 404 everywhere: a forgotten ``.url`` in a template is a dead
    link, never a leak. Pages link to the checked views instead (each model's ``private_url``)."""

    @cached_property
    def base_location(self):
        return str(Path(settings.MEDIA_ROOT) / PRIVATE_DIR)

    @cached_property
    def base_url(self):
        return f"{settings.MEDIA_URL.rstrip('/')}/{PRIVATE_DIR}/"


def private_storage():
    """The storage of every private file field (a callable, so migrations name it instead of a path)."""
    return storages["private"]


def private_root():
    return Path(private_storage().location)


def private_file_response(fieldfile, *, filename=None, content_type=None):
    """The file of ``fieldfile`` for a person the caller has already checked; 404 when it is missing.

    ``filename`` (for a download name) defaults to the stored file's own name; ``content_type`` to the type
    its ending suggests (a caller that checked the content passes what it found: ``.webm`` guesses video)."""
    name = fieldfile.name if fieldfile else ""
    storage = private_storage()
    if not name or not storage.exists(name):
        raise Http404
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.PRIVATE_MEDIA_X_ACCEL:
        response = HttpResponse(content_type=content_type)
        # nginx serves the file from its internal location and keeps our Content-Type and Cache-Control.
        response["X-Accel-Redirect"] = settings.PRIVATE_MEDIA_X_ACCEL_PREFIX + quote(name)
    else:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, filename or posixpath.basename(name))
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve_public_media(request, path, document_root=None, show_indexes=False):
    """Django's development ``serve`` for ``/media/`` (DEBUG only), except for anything inside the private
    directory: checked on the resolved path, so ``./private``, ``a/../private`` or a symlink cannot reach it."""
    root = Path(document_root or settings.MEDIA_ROOT).resolve()
    target = (root / posixpath.normpath(path).lstrip("/")).resolve()
    if target == private_root().resolve() or private_root().resolve() in target.parents:
        raise Http404
    return serve(request, path, document_root=document_root, show_indexes=show_indexes)


class _CheckedFile:
    """What ``PrivateFileInput`` shows as the current file: its name, linked to the checked view."""

    def __init__(self, name, url):
        self.name, self.url = name, url

    def __str__(self):
        return posixpath.basename(self.name)


class PrivateFileInput(ClearableFileInput):
    """The admin's file box for a private file: its "currently" link goes to the checked view (``checked_url``,
    set per object by the admin) instead of the storage's ``/media/private/…``, which answers 404."""

    checked_url = None

    def format_value(self, value):
        value = super().format_value(value)
        if value and self.checked_url:
            return _CheckedFile(value.name, self.checked_url)
        return value
