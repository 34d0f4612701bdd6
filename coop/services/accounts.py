"""Staff sign-in: the admin's lockout after repeated wrong passwords.

    After ``LOGIN_LOCKOUT_FAILURES`` wrong passwords for one username from one address, that pair is
    refused for ``LOGIN_LOCKOUT_MINUTES`` (even with the right password), with a clear Chinese
    message. Counted in the cache (Redis in production, so every gunicorn worker sees the same
    count). Keyed on username *and* address so a stranger cannot lock the manager out of the
    whole collective by typing her name from elsewhere.

    Why not django-axes: it works with Django 5.2, but it adds an authentication backend in front of
    *every* ``authenticate()`` call (farmer sign-in, API tokens) that raises when a caller forgets the
    request, plus its own app and tables. The admin needs one rule; this is that rule in ~60 lines,
    and ``check_locked``/``record_failure``/``clear_failures`` are reusable by other sign-in forms.

Behind nginx every request comes from 127.0.0.1; set ``CLIENT_IP_HEADER=HTTP_X_REAL_IP`` (nginx sets
``X-Real-IP``, see deploy/nginx-greenshell.conf) so the real address is used. The header is only
trusted when that setting names it: a client could otherwise send any address it likes."""

import hashlib
import logging

from django.conf import settings

from coop.lib import ratelimit
from coop.lib.errors import DomainError
from coop.models import AuditEvent

log = logging.getLogger("greenshell.security")


class StaffSignInError(DomainError):
    """A refused staff sign-in (missing or wrong username/password); the message is shown as is."""

    code = "authentication_failed"


def _key(username, ip):
    raw = f"{username.strip().casefold()}|{ip}".encode()
    return "signin-fail:" + hashlib.sha256(raw).hexdigest()[:40]


def lockout_limits():
    return settings.LOGIN_LOCKOUT_FAILURES, settings.LOGIN_LOCKOUT_MINUTES * 60


def check_locked(username, ip):
    """True while ``username`` from ``ip`` is locked out."""

    failures, _seconds = lockout_limits()
    return ratelimit.count(_key(username, ip)) >= failures


def record_failure(username, ip):
    """Count one wrong password; returns True when this failure locks the pair."""

    failures, seconds = lockout_limits()
    key = _key(username, ip)
    count = ratelimit.hit(key, seconds)  # counted before the check: parallel guesses cannot slip past
    ratelimit.extend(key, seconds)  # the lock lasts the full period after the last counted failure
    if count == failures:
        log.warning("sign-in locked for %r from %s after %d failures", username, ip, count)
        return True
    return False


def clear_failures(username, ip):
    ratelimit.clear(_key(username, ip))


def record_lockout(username, ip):
    """Put the lockout in the audit trail (visible to the platform operator in the admin)."""

    failures, seconds = lockout_limits()
    AuditEvent.objects.create(action="signin.locked", object_type="auth.user", object_id=username[:40],
                              actor_label=ip, data={"failures": failures, "minutes": seconds // 60},
                              reason="admin sign-in")
