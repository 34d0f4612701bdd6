"""Security helpers: admin sign-in lockout and the content-security-policy hashes.

Sign-in lockout
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
trusted when that setting names it: a client could otherwise send any address it likes.
"""

import base64
import functools
import hashlib
import importlib.util
import logging
import re
from pathlib import Path

log = logging.getLogger("greenshell.security")

# --- content security policy -------------------------------------------------------------------

# Third-party pages we serve that carry one fixed <style> block (no script). Allowing exactly those
# blocks by hash keeps `style-src 'self'` strict everywhere else. Each is (package, template path).
THIRD_PARTY_INLINE_STYLES = [
    ("django", "contrib/admin/templates/admin/change_list.html"),
    ("drf_spectacular", "templates/drf_spectacular/swagger_ui.html"),
]


def inline_style_hashes():
    """CSP source expressions ('sha256-…') for the fixed <style> blocks of THIRD_PARTY_INLINE_STYLES.

    Read from the installed templates at start-up, so a library upgrade that changes a block keeps
    working (and the browser test in tests/ops would catch a block that became dynamic).
    """
    hashes = []
    for package, relative in THIRD_PARTY_INLINE_STYLES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        template = Path(list(spec.submodule_search_locations)[0]) / relative
        if not template.exists():
            continue
        for body in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), flags=re.S):
            if "{%" in body or "{{" in body:
                continue  # rendered content varies; cannot be hashed ahead of time
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return hashes


# --- sign-in lockout -----------------------------------------------------------------------------

def client_ip(request):
    from django.conf import settings

    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def _key(username, ip):
    raw = f"{username.strip().casefold()}|{ip}".encode()
    return "signin-fail:" + hashlib.sha256(raw).hexdigest()[:40]


def _limits():
    from django.conf import settings

    return (getattr(settings, "LOGIN_LOCKOUT_FAILURES", 5), getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15) * 60)


def check_locked(username, ip):
    """True while ``username`` from ``ip`` is locked out."""
    from django.core.cache import cache

    failures, _seconds = _limits()
    return (cache.get(_key(username, ip)) or 0) >= failures


def record_failure(username, ip):
    """Count one wrong password; returns True when this failure locks the pair."""
    from django.core.cache import cache

    failures, seconds = _limits()
    key = _key(username, ip)
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)  # atomic in Redis: parallel guesses cannot slip past the limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        count = 1
    cache.touch(key, seconds)  # the lock lasts the full period after the last counted failure
    if count == failures:
        log.warning("sign-in locked for %r from %s after %d failures", username, ip, count)
        return True
    return False


def clear_failures(username, ip):
    from django.core.cache import cache

    cache.delete(_key(username, ip))


@functools.cache
def _lockout_form_class():
    from django import forms
    from django.contrib.admin.forms import AdminAuthenticationForm
    from django.utils.translation import gettext_lazy as _

    class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
        """The admin sign-in form with the lockout rule in front of the password check."""

        error_messages = {
            **AdminAuthenticationForm.error_messages,
            "locked": _("登录失败次数太多，这个账号在这台设备上已暂停登录 %(minutes)d 分钟。"
                        "请稍后再试；忘记密码请联系合作社管理员。"),
        }

        def clean(self):
            username = self.data.get("username", "") or ""
            ip = client_ip(self.request) if self.request is not None else ""
            if check_locked(username, ip):
                raise self._locked_error()
            try:
                cleaned = super().clean()
            except forms.ValidationError:
                if record_failure(username, ip):
                    _record_lockout(username, ip)
                    raise self._locked_error()
                raise
            clear_failures(username, ip)
            return cleaned

        def _locked_error(self):
            _failures, seconds = _limits()
            return forms.ValidationError(self.error_messages["locked"], code="locked",
                                         params={"minutes": seconds // 60})

    return LockoutAdminAuthenticationForm


def _record_lockout(username, ip):
    """Put the lockout in the audit trail (visible to the platform operator in the admin)."""
    from coop.models import AuditEvent

    failures, seconds = _limits()
    AuditEvent.objects.create(action="signin.locked", object_type="auth.user", object_id=username[:40],
                              actor_label=ip, data={"failures": failures, "minutes": seconds // 60},
                              reason="admin sign-in")


def __getattr__(name):
    # The form class is built lazily: this module is imported by settings, before apps are ready.
    if name == "LockoutAdminAuthenticationForm":
        return _lockout_form_class()
    raise AttributeError(name)
