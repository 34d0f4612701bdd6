"""The staff second factor: a code from an authenticator app (TOTP) after the password, or a recovery code.

Who needs it: the people who move money — a cooperative's managers (they pay settlements, refund orders,
record transfers, apply and reverse fines, award the hygiene fund) and the platform operator (superuser,
who may do all of it). ``STAFF_2FA_REQUIRED`` switches the requirement on (production) or off (``make
run``, demo sites, tests); inspectors and committee members may enrol but are never asked.

Built on django-otp (its ``TOTPDevice`` checks the code with a one-step tolerance and refuses a code whose
time step is not after the last one accepted, so a code read over a shoulder cannot be replayed; its
``StaticDevice`` holds single-use recovery codes). What it does not do, and this module adds:

- **Counted before checking.** Every code typed (to confirm an enrolment or to verify a session) is counted
  first in ``coop.lib.ratelimit`` under the person's key; past ``OTP_VERIFY_FAILURES`` in the window no code
  is checked at all. django-otp's own throttle reads and writes a counter on the device row after the check,
  so a burst of parallel guesses all read "not throttled" (it is switched off in settings). The key is the
  person, not the address: whoever types here already has the password.
- **One check at a time per device.** django-otp's "last step used" and "delete the used recovery code" are
  read-then-write; the device row is locked (``select_for_update``) around each check, so two requests with
  the same code cannot both pass.
- **Recovery codes stored hashed.** django-otp stores static tokens as typed (``StaticToken.token``, 16
  characters, compared with ``=``). We store ``_digest(code)``: an HMAC of the code under the site's
  ``SECRET_KEY`` (``salted_hmac``), 16 characters of base64, and look it up the same way. A copy of the
  database alone reveals no usable code; the codes are shown once, on the page that made them.
"""

import base64
import io
import logging
import secrets
import unicodedata

import qrcode
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coop.lib import ratelimit, tenancy
from coop.lib.errors import DomainError
from coop.lib.validators import is_ascii_digits
from coop.models import Staff
from coop.services.audit import log_action

log = logging.getLogger("greenshell.security")

RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code copied by hand from paper must not be misread.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 10  # 31^10 ≈ 8·10^14 per code, against 5 tries per 15 minutes
TOTP_NAME = "手机验证器"
RECOVERY_NAME = "恢复码"
PAYOUT_ROLES = (Staff.MANAGER,)

ENROL_URL = "/account/2fa/"
VERIFY_URL = "/account/2fa/verify/"


class SecondFactorError(DomainError):
    """A code that was refused (wrong, used already, nothing to check it against); shown as is."""

    code = "otp_invalid"


class SecondFactorLocked(SecondFactorError):
    code = "otp_locked"
    status = 429


class SecondFactorRequired(DomainError):
    """A money-moving action by someone whose session has not passed the second factor."""

    code = "otp_required"
    status = 403

    def __init__(self, message=None, **kwargs):
        super().__init__(message or _("付款、退款和罚款需要先完成两步验证：请打开 %(url)s ，输入手机验证器上的 6 位数字"
                                      "（还没设置的，在同一页面扫码设置）。") % {"url": VERIFY_URL}, **kwargs)


def pays_out(user):
    """Whether ``user`` may move money: a manager of some cooperative, or the platform operator."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or tenancy.is_staff_of_any(user, PAYOUT_ROLES)


def required_for(user):
    """Whether ``user``'s role makes the second factor compulsory (with the requirement switched on)."""
    return bool(settings.STAFF_2FA_REQUIRED) and pays_out(user)


def asked_of(user):
    """Whether the admin and the money actions wait for the second factor for ``user``: everyone whose role
    requires it, and anyone else who chose to set up a phone (enrolling would mean nothing otherwise). With the
    requirement off (``make run``, a demo, tests) nobody is asked, so a visitor who enrols a shared demo
    account cannot lock the next visitor out of it."""
    if not settings.STAFF_2FA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    return pays_out(user) or confirmed_device(user) is not None


def is_verified(user):
    """This request's session passed the second factor (``OTPMiddleware`` sets ``is_verified``; an API token
    carries no session, so a token is never verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def check_verified(user):
    """Raise ``SecondFactorRequired`` if ``user`` must pass the second factor and this session has not."""
    if asked_of(user) and not is_verified(user):
        raise SecondFactorRequired()


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def recovery_codes_left(user):
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def _limit():
    return settings.OTP_VERIFY_FAILURES, settings.OTP_VERIFY_MINUTES * 60


def _key(user):
    return f"otp-fail:{user.pk}"


def _locked():
    _failures, seconds = _limit()
    return SecondFactorLocked(
        _("验证码输错太多次，已暂停 %(minutes)d 分钟。请稍后再试；手机丢了请找另一位管理员重置两步验证。")
        % {"minutes": seconds // 60}, retry_after=seconds)


def _count_attempt(user):
    """Count one typed code *before* it is checked; refuse without checking past the limit."""
    failures, seconds = _limit()
    n = ratelimit.hit(_key(user), seconds)
    if n > failures:
        raise _locked()
    return n


def _cooperative_of(user):
    """The cooperative an audit entry about a person is filed under (their first), so its managers see it."""
    staff = Staff.objects.filter(user=user).select_related("cooperative").order_by("pk").first()
    return staff.cooperative if staff else None


def _failed(user, n):
    failures, seconds = _limit()
    if n == failures:
        log.warning("second factor locked for user %s after %d wrong codes", user.pk, failures)
        log_action(user, "otp.locked", user=user, cooperative=_cooperative_of(user),
                   data={"failures": failures, "minutes": seconds // 60})
    if n >= failures:
        raise _locked()  # the failure that locks says so, as the password lockout does
    raise SecondFactorError(_("验证码不对，或已经用过。请看手机验证器上最新的 6 位数字再输入。"))


def clean_code(raw):
    """What was typed, as we compare it: NFKC (full-width digits from a Chinese keyboard), no spaces or dashes,
    lower case."""
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if ch not in " -\t").lower()[:32]


def _digest(code):
    """The stored form of a recovery code: HMAC-SHA256 under SECRET_KEY, 16 base64 characters (96 bits),
    which is what fits django-otp's ``StaticToken.token`` column."""
    mac = salted_hmac("greenshell.otp.recovery-code", clean_code(code), algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).decode()[:16]


def _new_code():
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


# --- enrolment ------------------------------------------------------------------------------------------

def start_enrolment(user, *, verified):
    """A new, unconfirmed authenticator key for ``user`` (an earlier unconfirmed one is dropped).

    Replacing a confirmed device needs a verified session: otherwise a stolen password alone would swap
    the manager's phone for the thief's."""
    if confirmed_device(user) is not None and not verified:
        raise SecondFactorRequired(_("已经设置过手机验证器。要换手机，请先用旧手机或恢复码完成验证。"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def qr_data_uri(device):
    """The enrolment QR code (the ``otpauth://`` key URI) as a PNG data URI; the page's CSP allows data: images."""
    image = qrcode.make(device.config_url, box_size=6, border=4)  # 4 modules of white, as on every label
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def manual_key(device):
    """The key in base32, in groups of four, for typing into an app when the camera will not scan."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def confirm_enrolment(request, code):
    """Confirm the pending key with a code from the app. Returns the 10 recovery codes (shown once).

    Confirming also verifies this session: the person just proved they hold the phone."""
    user = request.user
    n = _count_attempt(user)
    code = clean_code(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise SecondFactorError(_("请先点“开始设置”，用手机扫描二维码。"))
        ok = is_ascii_digits(code) and len(code) == 6 and device.verify_token(code)
        if ok:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _replace_recovery_codes(user)
            log_action(user, "otp.enrolled", user=user, cooperative=_cooperative_of(user), data={"device": device.pk})
    if not ok:
        _failed(user, n)
    # The right code gives back its own count only: wrong guesses made meanwhile (by whoever has the password)
    # still count until the window ends, as the sign-in's per-name ceiling does.
    ratelimit.refund(_key(user))
    otp_login(request, device)
    return codes


def _replace_recovery_codes(user):
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME,
                                                          defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [_new_code() for _i in range(RECOVERY_CODES)]
    device.token_set.bulk_create([device.token_set.model(device=device, token=_digest(c)) for c in codes])
    return codes


def new_recovery_codes(request):
    """Ten fresh recovery codes for a verified session (the old ones stop working)."""
    if confirmed_device(request.user) is None or not is_verified(request.user):
        raise SecondFactorRequired(_("请先完成两步验证，再生成新的恢复码。"))
    with transaction.atomic():
        codes = _replace_recovery_codes(request.user)
        log_action(request.user, "otp.recovery_codes_renewed", user=request.user,
                   cooperative=_cooperative_of(request.user))
    return codes


# --- the second step of signing in ----------------------------------------------------------------------

def verify(request, code):
    """Check a 6-digit code from the app, or a recovery code (used up by this), for the signed-in person; on
    success the session counts as verified. Raises ``SecondFactorError`` / ``SecondFactorLocked``."""
    user = request.user
    n = _count_attempt(user)  # before anything is looked at: parallel guesses each get their own count
    code = clean_code(code)
    device = None
    if is_ascii_digits(code) and len(code) == 6:
        with transaction.atomic():
            found = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
            if found is not None and found.verify_token(code):
                device = found
    elif code:
        with transaction.atomic():
            found = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if found is not None and found.verify_token(_digest(code)):
                device = found
                left = found.token_set.count()
                log_action(user, "otp.recovery_used", user=user, cooperative=_cooperative_of(user),
                           data={"left": left})
    if device is None:
        _failed(user, n)
    ratelimit.refund(_key(user))  # as in confirm_enrolment
    otp_login(request, device)
    return device


# --- a lost phone ---------------------------------------------------------------------------------------

class ResetRefused(DomainError):
    code = "forbidden"
    status = 403


def may_reset(actor, target):
    """A manager may reset the staff of their own cooperatives (never themselves: that would let a stolen
    password drop the factor that guards it); the platform operator may reset anyone but themselves."""
    if actor.pk == target.pk or not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser:
        return True
    if target.is_superuser:
        return False
    ids = tenancy.cooperative_ids(actor, PAYOUT_ROLES)
    return Staff.objects.filter(user=target, cooperative_id__in=ids).exists()


def reset(target, *, by=None, reason="", actor_label=""):
    """Remove every second-factor device of ``target`` (a lost or changed phone); they enrol again at their
    next sign-in. Recorded in the audit trail with who did it and why. ``by=None`` is the operator's command."""
    if by is not None and not may_reset(by, target):
        raise ResetRefused(_("只能重置本合作社其他工作人员的两步验证。"))
    reason = (reason or "").strip()
    if not reason:
        raise SecondFactorError(_("请写明重置原因（例如：手机丢了）。"), field="reason")
    with transaction.atomic():
        totp = TOTPDevice.objects.filter(user=target).delete()[0]
        static = StaticDevice.objects.filter(user=target).delete()[0]
        log_action(target, "otp.reset", user=by, actor_label=actor_label, reason=reason[:200],
                   cooperative=_cooperative_of(target), data={"devices": totp + static})
    ratelimit.clear(_key(target))
    return totp + static
