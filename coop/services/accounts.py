"""Staff sign-in: one lockout for every door that takes a staff password.

The doors are the admin (``LockoutAdminAuthenticationForm``), the programmes page
(``LockoutAuthenticationForm``) and the API token (``sign_in``); all of them go through ``start_attempt``.

- After ``LOGIN_LOCKOUT_FAILURES`` wrong passwords for one username from one address, that pair is refused
  for ``LOGIN_LOCKOUT_MINUTES`` (even with the right password). Keyed on username *and* address so a
  stranger cannot lock the manager out of the whole collective by typing her name from elsewhere.
- A ceiling per username across all addresses (``LOGIN_LOCKOUT_USERNAME_FAILURES`` in the same window)
  stops guesses spread over many addresses; a right password gives its count back, so scripts fetching
  tokens never reach it.
- The username is keyed as Django signs it in: NFKC-normalised (the sign-in form turns ``ｃommittee`` into
  ``committee``) and case-folded, so no spelling of a locked name gets fresh tries.
- Every attempt is counted *before* the password is checked (``ratelimit.hit`` is atomic): forty parallel
  guesses get forty different counts and only the first five are checked. Counting after a failure (as
  before) let every guess of a burst read "not locked yet" and be checked.
- Counted in the cache (Redis in production, so every gunicorn worker sees the same count). With the
  cache down, ``ratelimit.LimiterUnavailable`` refuses with "稍后再试" instead of a 500.

Why not django-axes or django-defender, now that there are several doors: both check "locked?" before
``authenticate()`` and record the failure after it (axes in a ``user_login_failed`` receiver), which is
check-then-count — the race above. Axes's maintainers closed exactly that report as "known issue, won't
fix" (jazzband/django-axes#592: a burst of 100 token requests let 15–20 through). Axes also puts a backend
in front of every ``authenticate()`` call that refuses callers without a request, and neither knows our
other doors (farmer PINs, SMS codes), which must count the same way. The rule is small; this is it.

Behind nginx every request comes from 127.0.0.1; set ``CLIENT_IP_HEADER=HTTP_X_REAL_IP`` (nginx sets
``X-Real-IP``, see deploy/nginx-greenshell.conf) so the real address is used. The header is only
trusted when that setting names it: a client could otherwise send any address it likes."""

import hashlib
import logging
import unicodedata

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _

from coop.lib import ratelimit
from coop.lib.client import client_ip
from coop.lib.errors import DomainError
from coop.models import AuditEvent

log = logging.getLogger("greenshell.security")


class StaffSignInError(DomainError):
    """A refused staff sign-in (missing or wrong username/password); the message is shown as is."""

    code = "authentication_failed"


class SignInLocked(StaffSignInError):
    """Too many wrong passwords for this name (from this address, or from everywhere): wait."""

    code = "locked"
    status = 429


def normalise_username(username):
    """The name as Django signs it in (NFKC, like ``UsernameField``), case-folded for the lockout key."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def _pair_key(name, ip):
    return "signin-fail:" + hashlib.sha256(f"{name}|{ip}".encode()).hexdigest()[:40]


def _name_key(name):
    return "signin-fail-name:" + hashlib.sha256(name.encode()).hexdigest()[:40]


def lockout_limits():
    return settings.LOGIN_LOCKOUT_FAILURES, settings.LOGIN_LOCKOUT_MINUTES * 60


def _locked(*, everywhere=False):
    _failures, seconds = lockout_limits()
    message = (_("这个账号登录失败次数太多，已暂停登录 %(minutes)d 分钟。请稍后再试；忘记密码请联系合作社管理员。")
               if everywhere else
               _("登录失败次数太多，这个账号在这台设备上已暂停登录 %(minutes)d 分钟。"
                 "请稍后再试；忘记密码请联系合作社管理员。"))
    return SignInLocked(message % {"minutes": seconds // 60}, retry_after=seconds)


class Attempt:
    """One counted sign-in attempt; the caller checks the password, then says ``failed()`` or ``succeeded()``."""

    def __init__(self, name, ip, pair_count, name_count):
        self.name, self.ip, self.pair_count, self.name_count = name, ip, pair_count, name_count

    def failed(self):
        """The password was wrong. Raises ``SignInLocked`` when this failure is the one that locks."""
        failures, seconds = lockout_limits()
        ratelimit.extend(_pair_key(self.name, self.ip), seconds)  # locked for the full period after the last
        if self.pair_count >= failures:
            if self.pair_count == failures:
                log.warning("sign-in locked for %r from %s after %d failures", self.name, self.ip, failures)
                record_lockout(self.name, self.ip)
            raise _locked()
        if self.name_count == settings.LOGIN_LOCKOUT_USERNAME_FAILURES:
            log.warning("sign-in locked for %r from every address after %d failures", self.name, self.name_count)
            record_lockout(self.name, self.ip, everywhere=True)
            raise _locked(everywhere=True)

    def succeeded(self):
        ratelimit.clear(_pair_key(self.name, self.ip))
        ratelimit.refund(_name_key(self.name))  # a right password does not use up the name's ceiling


def start_attempt(username, ip):
    """Count an attempt for ``username`` from ``ip`` *before* its password is checked.

    Raises ``SignInLocked`` if the pair or the name is over its limit (the password must then not be
    checked at all), ``ratelimit.LimiterUnavailable`` if the counters cannot be reached."""
    failures, seconds = lockout_limits()
    name = normalise_username(username)
    pair_key = _pair_key(name, ip)
    pair_count = ratelimit.hit(pair_key, seconds)
    if pair_count > failures:
        # Refused before the name's count: one address adds at most ``failures`` to the ceiling, so it
        # takes many addresses, not one, to lock the name everywhere.
        raise _locked()
    name_count = ratelimit.hit(_name_key(name), seconds)  # fixed window: a stranger cannot prolong it
    if name_count > settings.LOGIN_LOCKOUT_USERNAME_FAILURES:
        ratelimit.refund(pair_key)  # not checked, so not one of this address's tries
        raise _locked(everywhere=True)
    return Attempt(name, ip, pair_count, name_count)


def sign_in(request, username, password):
    """The API token's door: the user whose password this is, under the lockout, or a domain error."""
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise StaffSignInError(_("请提供用户名和密码。"), code="invalid")
    attempt = start_attempt(username, client_ip(request))
    # NFKC as the sign-in forms' UsernameField does, so every door signs in the same name.
    user = authenticate(request, username=unicodedata.normalize("NFKC", username), password=password)
    if user is None or not user.is_active:
        attempt.failed()
        raise StaffSignInError(_("用户名或密码不正确。"))
    attempt.succeeded()
    return user


def record_lockout(username, ip, *, everywhere=False):
    """Put the lockout in the audit trail (visible to the platform operator in the admin)."""

    failures, seconds = lockout_limits()
    if everywhere:
        failures = settings.LOGIN_LOCKOUT_USERNAME_FAILURES
    AuditEvent.objects.create(action="signin.locked", object_type="auth.user", object_id=username[:40],
                              actor_label=ip, data={"failures": failures, "minutes": seconds // 60,
                                                    "every_address": everywhere},
                              reason="staff sign-in")
