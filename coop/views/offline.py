"""Offline intake at the collection point: service worker, web-app manifest, and the sync endpoint.

The inspector's phone keeps each delivery in a local queue (static/js/offline-intake.js) when
there is no signal, each with an idempotency key made on the phone, and sends the queue here when
the signal returns. ``record_delivery`` turns a resend of the same key into a lookup of the first
delivery, so replaying the queue twice — or two tabs replaying it at once — records each once.

The service worker is served from /intake/sw.js so its scope (/intake/) covers the intake page
without a ``Service-Worker-Allowed`` header; it is rendered by Django so that it can name the
static files by their (hashed, in production) URLs.
"""

import datetime
import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from coop.forms import IntakeForm
from coop.services.intake import DeliveryError, record_delivery
from coop.views.intake import intake_cooperative

# Bump when the worker's code changes: the new worker replaces the old caches.
SW_VERSION = "intake-v2"  # v2: offline-intake.js makes every key on the phone
# A queued delivery older than this is refused: a forgotten phone should not post last month's eggs.
MAX_QUEUE_AGE = datetime.timedelta(days=7)

SW_TEMPLATE = """/* Greenshell intake service worker (%(version)s): the intake page and its files work offline.
   Navigations: network first (fresh farmer list, fresh CSRF), the cached page when offline.
   Static files: cache first. POSTs are never touched here: offline-intake.js queues them. */
"use strict";
var CACHE = "%(version)s";
var PAGE = "/intake/";
var ASSETS = %(assets)s;
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS).then(function () {
      return fetch(PAGE, {credentials: "same-origin"}).then(function (r) { if (r.ok) return cache.put(PAGE, r); })
        .catch(function () {});
    });
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    var old = keys.filter(function (k) { return k !== CACHE; });
    return Promise.all(old.map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(fetch(req).then(function (r) {
      if (r.ok && !r.redirected) { var copy = r.clone(); caches.open(CACHE).then(function (c) { c.put(PAGE, copy); }); }
      return r;
    }).catch(function () {
      return caches.match(PAGE).then(function (r) { return r || new Response("offline", {status: 503}); });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.match(url.pathname).then(function (r) { return r || fetch(req); }));
  }
});
"""


def _assets():
    return [static(name) for name in (
        "css/site.css", "css/books.css", "js/intake.js", "js/offline-intake.js", "img/egg.svg",
    )] + ["/jsi18n/"]


@require_GET
def service_worker(request):
    body = SW_TEMPLATE % {"version": SW_VERSION, "assets": json.dumps(_assets())}
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    # Browsers re-check the worker at most daily anyway; no-cache makes an update reach phones at once.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/intake/"
    return response


@require_GET
def manifest(request):
    data = {
        "name": _("收蛋验收"), "short_name": _("收蛋"), "start_url": "/intake/", "scope": "/intake/",
        "display": "standalone", "background_color": "#f7faf7", "theme_color": "#2f6b3c", "lang": "zh-CN",
        "icons": [{"src": static("img/egg.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def _error(message, *, code, fields=None, status=400):
    # A plain Django view, not DRF, so the API's exception handler never sees it. Its answers are the
    # offline queue's own sync protocol (static/js/offline-intake.js keys off the status and shows
    # error.message; "fields" is always present, codes "refused"/"too_old"/"not_signed_in" are this
    # endpoint's own), so the body is built here, on purpose, rather than by the DRF handler.
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": fields or {}}}, status=status)


@never_cache
@require_POST
def sync(request):
    """Record one queued delivery. Same fields as the intake form, plus ``received_at`` (ISO time on
    the phone when the inspector saved it). Answers JSON; a resend answers ``replayed: true``."""
    if not request.user.is_authenticated:
        return _error(_("登录已过期，请重新登录后再发送。"), code="not_signed_in", status=401)

    try:
        coop = intake_cooperative(request)
    except PermissionDenied as exc:
        return _error(exc, code="forbidden", status=403)
    received_at = parse_datetime(request.POST.get("received_at", "") or "")
    now = timezone.now()
    if received_at is None:
        return _error(_("缺少录入时间。"), code="invalid", fields={"received_at": [_("缺少录入时间。")]})
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    if received_at < now - MAX_QUEUE_AGE:
        return _error(_("这条记录是 %(d)s 录的，超过7天，请找管理员补录。") % {"d": f"{received_at:%Y-%m-%d}"},
                      code="too_old")
    key = (request.POST.get("idempotency_key") or "").strip()
    if not key or len(key) > 64:
        return _error(_("缺少幂等键。"), code="invalid", fields={"idempotency_key": [_("缺少幂等键。")]})
    form = IntakeForm(request.POST, cooperative=coop)
    if not form.is_valid():
        fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        first = next(iter(fields.values()))[0]
        return _error(first, code="invalid", fields=fields)
    try:
        delivery = record_delivery(cooperative=coop, inspector=request.user, idempotency_key=key,
                                   received_at=received_at, **form.delivery())
    except DeliveryError as exc:
        # 409 key_reused: the key is on a different delivery; the phone shows it as refused, loudly.
        return _error(exc.message, code="refused" if exc.status == 400 else exc.code,
                      fields={exc.field or "__all__": [exc.message]}, status=exc.status)
    return JsonResponse({"id": delivery.pk, "replayed": bool(getattr(delivery, "replayed", False)),
                         "receipt_url": f"/intake/receipt/{delivery.pk}/",
                         "farmer": f"{delivery.farmer.member_no} {delivery.farmer.head_name}",
                         "accepted": delivery.accepted, "amount_due": str(delivery.amount_due)},
                        status=200 if getattr(delivery, "replayed", False) else 201)
