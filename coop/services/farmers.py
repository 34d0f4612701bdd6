"""Household sign-in: mobile number + 6-digit PIN set by the manager.

Rules (issue 8): five wrong PINs lock the household for 15 minutes and the page says so plainly;
the manager resets a PIN (which also lifts a lock). Only a hash of the PIN is stored. A 6-digit
PIN has a million values and five tries per 15 minutes leave an attacker ~480 guesses a day, so
the lock — not the hash — is what protects it; the hash protects PINs in a leaked backup.

Each attempt is counted under a row lock *before* the PIN is checked, so 25 wrong PINs sent at once get
five checks, and the right PIN sent after them is refused: the lock cannot be raced past."""

import datetime
import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from coop.lib import ratelimit, wechat
from coop.lib.errors import DomainError
from coop.lib.validators import format_mobile, is_ascii_digits, normalize_mobile
from coop.models import Farmer, FarmerLogin
from coop.services.audit import log_action

MAX_FAILED = 5


LOCK_MINUTES = 15


PIN_LENGTH = 6

# One phone trying one PIN on many numbers: failures per address, counted in the cache.
IP_FAILURES = 30
IP_WINDOW = 15 * 60


class SignInError(DomainError):
    """Why signing in failed, in words for the household (already translated)."""

    code = "sign_in_failed"

    def __init__(self, message, *, locked_until=None):
        super().__init__(message)
        self.locked_until = locked_until


def generate_pin():
    """A random 6-digit PIN (secrets, not random). Leading zeros are fine: it is typed, not counted."""
    return f"{secrets.randbelow(10 ** PIN_LENGTH):0{PIN_LENGTH}d}"


def _ensure_user(farmer):
    """A household signs in through Django's session machinery, so it needs a (password-less) user."""
    if farmer.user_id:
        return farmer.user
    User = get_user_model()
    user = User.objects.create_user(username=f"farmer-{farmer.pk}", password=None)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Farmer.objects.filter(pk=farmer.pk).update(user=user)
    farmer.user = user
    return user


# --- the household's record: the API and the admin both save through these -----------------------------

# Never written to the audit trail, not even as a field name's value: it is the account number.
SECRET_FIELDS = {"payout_account"}


def name_keys(name):
    """The search keys of a household head's name: ``{"name_pinyin": "ajimuri", "name_initials": "ajmr"}``
    for 阿吉木日. Letters and digits only (a "·" in a transcribed Yi name is dropped), lower case; a Latin
    part of a name counts as one syllable."""
    syllables = ["".join(ch for ch in s.lower() if ch.isascii() and ch.isalnum()) for s in lazy_pinyin(name or "")]
    syllables = [s for s in syllables if s]
    return {"name_pinyin": "".join(syllables)[:200], "name_initials": "".join(s[0] for s in syllables)[:50]}


def set_name_keys(farmer):
    for field, value in name_keys(farmer.head_name).items():
        setattr(farmer, field, value)


MIN_PHONE_TAIL = 3  # "尾号 5678": fewer digits would match half the village


def search_farmers(farmers, text):
    """The households of queryset ``farmers`` that ``text`` names, the way people here ask for one:
    member number ("EJ001", "ej00"), the tail of the mobile ("5678"), the name in characters ("木日"), or
    its pinyin or initials ("aji", "ajimuri", "ajmr"). The intake page, its JSON lookup, the admin's
    household search and the API's ``?search=`` all use this one function."""
    term = "".join((text or "").split()).lower()
    if not term:
        return farmers.none()
    match = Q(member_no__iexact=term) | Q(member_no__istartswith=term) | Q(head_name__contains=term)
    if is_ascii_digits(term) and len(term) >= MIN_PHONE_TAIL:
        match |= Q(phone__endswith=term)
    if term.isascii() and term.isalpha():
        match |= Q(name_initials__startswith=term) | Q(name_pinyin__startswith=term)
    return farmers.filter(match).order_by("member_no", "pk")


@transaction.atomic
def create_farmer(farmer, *, user):
    """Save a new household (``farmer`` unsaved, its cooperative set) and write ``farmer.created``."""
    set_name_keys(farmer)
    farmer.save()
    log_action(farmer, "farmer.created", user=user)
    return farmer


@transaction.atomic
def update_farmer(farmer, changes, *, user):
    """Apply ``changes`` ({field: value}) to ``farmer``, save it and write ``farmer.changed`` with the
    names of the fields changed (sorted; the payout account counts as changed but is not named)."""
    for name, value in changes.items():
        setattr(farmer, name, value)
    set_name_keys(farmer)  # a rename must be findable by its new pinyin at once
    farmer.save()
    log_action(farmer, "farmer.changed", user=user,
               data={"fields": sorted(k for k in changes if k not in SECRET_FIELDS)})
    return farmer


@transaction.atomic
def deactivate_farmer(farmer, *, user):
    """Households with history are never deleted: deactivate instead (``farmer.deactivated``)."""
    farmer.active = False
    farmer.save(update_fields=["active"])
    log_action(farmer, "farmer.deactivated", user=user)
    return farmer


def set_pin(farmer, *, by, pin=None, reason=""):
    """Set (or reset) ``farmer``'s PIN and lift any lock. Returns the new PIN, for the member card only."""
    pin = pin or generate_pin()
    if len(pin) != PIN_LENGTH or not is_ascii_digits(pin):
        raise ValueError("a PIN is six digits")
    now = timezone.now()
    with transaction.atomic():
        _ensure_user(farmer)
        login, created = FarmerLogin.objects.select_for_update().get_or_create(
            farmer=farmer, defaults={"pin_hash": make_password(pin), "pin_set_by": by, "pin_set_at": now})
        if not created:
            login.pin_hash = make_password(pin)
            login.failed_attempts = 0
            login.locked_until = None
            login.pin_set_by = by if getattr(by, "is_authenticated", False) else None
            login.pin_set_at = now
            login.save()
        log_action(farmer, "farmer.pin_set" if created else "farmer.pin_reset", user=by, reason=reason,
                   data={"unlocked": not created})
    return pin


def _locked_message(until):
    return _("输错太多次，已锁定。请在 %(time)s 以后再试，或找合作社管理员重设密码。") % {
        "time": date_format(timezone.localtime(until), "H:i")}


def _ip_key(ip):
    return f"farmer-signin-ip:{ip}"


def authenticate_pin(phone, pin, *, ip="", now=None):
    """Return the Farmer whose mobile + PIN match, or raise ``SignInError`` saying why, plainly.

    Every attempt is counted before the PIN is checked — on the phone's address (``IP_FAILURES`` per
    ``IP_WINDOW``, in the cache) and on the household's row (under a row lock) — so a burst of parallel
    guesses is checked no more often than the same guesses sent one by one. A stranger's number costs
    the same hash and gets the same words as a member's, and "locks" the same way. ``ratelimit.LimiterUnavailable``
    (the cache is down) propagates: the page says "稍后再试"."""
    now = now or timezone.now()
    phone = normalize_mobile(phone)
    pin = (pin or "").strip()
    if not phone or not pin:
        raise SignInError(_("请输入手机号和6位密码。"))
    if ratelimit.hit(_ip_key(ip), IP_WINDOW) > IP_FAILURES:
        raise SignInError(_("这台手机试得太多了，请15分钟后再试。"),
                          locked_until=now + datetime.timedelta(seconds=IP_WINDOW))
    farmer = _check_pin(phone, pin, now)
    ratelimit.refund(_ip_key(ip))  # a right PIN does not use up the phone's tries (a shared intake phone)
    return farmer


def _check_pin(phone, pin, now):
    with transaction.atomic():
        logins = list(FarmerLogin.objects.select_for_update(of=("self",))  # not the nullable user's row
                      .filter(farmer__phone=phone, farmer__active=True)
                      .select_related("farmer", "farmer__user").order_by("pk"))
        open_logins = [login for login in logins if not login.is_locked(now)]
        locking = []
        for login in open_logins:  # count this attempt on each household of the number (normally one)
            login.failed_attempts += 1
            if login.failed_attempts >= MAX_FAILED:
                login.locked_until = now + datetime.timedelta(minutes=LOCK_MINUTES)
                login.failed_attempts = 0
                locking.append(login)
            login.save(update_fields=["failed_attempts", "locked_until"])
    # The PIN is checked after the count is committed and outside the row lock (PBKDF2 takes ~0.2 s).
    if not logins:
        _refuse_stranger(phone, pin, now)
    if not open_logins:
        until = min(login.locked_until for login in logins)
        raise SignInError(_locked_message(until), locked_until=until)
    for login in open_logins:
        if check_password(pin, login.pin_hash):
            FarmerLogin.objects.filter(pk=login.pk).update(failed_attempts=0, locked_until=None,
                                                           last_sign_in_at=now)
            return login.farmer
    for login in locking:
        log_action(login.farmer, "farmer.pin_locked", actor_label=_("系统"),
                   data={"until": login.locked_until.isoformat()})
    if locking:
        until = min(login.locked_until for login in locking)
        raise SignInError(_locked_message(until), locked_until=until)
    # No "N tries left": a stranger's number would not say it, so a member's must not either.
    raise SignInError(_("手机号或密码不对。"))


STRANGER_WINDOW = 24 * 3600  # a member's failures wait in its row until it signs in; a stranger's, a day


def _refuse_stranger(phone, pin, now):
    """A number no household has is answered as a member's number would be: the same words, the same
    hashing (as Django's ModelBackend hashes for an unknown user: 0.28 s against 0.05 s told members
    apart), and a "lock" after ``MAX_FAILED`` tries — else the page would tell who is a member."""
    key = "farmer-signin-stranger:" + hashlib.sha256(phone.encode()).hexdigest()[:32]  # no numbers in Redis
    until = ratelimit.recall(key + ":until")
    if until is not None:
        raise SignInError(_locked_message(until), locked_until=until)  # a locked member: no hash either
    count = ratelimit.hit(key, STRANGER_WINDOW)
    make_password(pin)
    if count >= MAX_FAILED:
        until = now + datetime.timedelta(minutes=LOCK_MINUTES)
        ratelimit.remember(key + ":until", until, LOCK_MINUTES * 60)
        ratelimit.clear(key)
        raise SignInError(_locked_message(until), locked_until=until)
    raise SignInError(_("手机号或密码不对。"))


def household_of(user):
    """The Farmer a signed-in user is, or None (staff, buyers, anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Farmer.objects.select_related("cooperative", "village").get(user=user, active=True)
    except Farmer.DoesNotExist:
        return None


def sign_in_url(farmer):
    return f"{settings.SITE_URL}/farmer/login/?{urlencode({'phone': farmer.phone})}"


def qr_svg(data):
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    img = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = img.to_string(encoding="unicode")
    # Drop the XML declaration and fixed mm size: the card's CSS sizes it.
    svg = svg[svg.index("<svg"):]
    return mark_safe(svg)  # generated by qrcode from our own URL, no user markup inside


def card_context(farmer, *, pin=None, request=None):
    url = sign_in_url(farmer)
    return {"farmer": farmer, "pin": pin, "url": url, "qr": qr_svg(url), "phone": format_mobile(farmer.phone)}


# --- WeChat binding: a household receives its notifications in WeChat ------------------------------------
# The household binds its own WeChat through the official account's web authorisation (snsapi_base: the
# openid only, no consent page to read). The state is this session's and this household's, single use,
# 10 minutes; WeChat's code is accepted once (the cache remembers it for its 5-minute life, in the same
# namespace as the buyers' sign-in, so a code used there cannot be replayed here).
WECHAT_BIND_SESSION_KEY = "wx_bind"
WECHAT_BIND_TTL = 600
WECHAT_CODE_LIFE = 300
log = logging.getLogger(__name__)


class BindingError(DomainError):
    """A refused step of binding WeChat; the message says what to do (tap the button again, use texts)."""

    code = "wechat_bind"


def begin_wechat_binding(session, farmer):
    """A fresh ``state`` for this browser's session and this household (replacing any earlier one)."""
    state = secrets.token_urlsafe(16)
    session[WECHAT_BIND_SESSION_KEY] = {"state": state, "farmer": farmer.pk, "at": time.time()}
    return state


def finish_wechat_binding(session, farmer, *, state, code, now=None):
    """Store the openid WeChat gives for ``code`` on ``farmer`` — the signed-in household, never one named by
    the request — and return it; or ``BindingError`` with nothing changed.

    Refused: no ``state``, a forged one, another household's (started before someone else signed in on this
    phone), an old one, one already used (taken out of the session first, whatever follows), a ``code``
    seen before, a code WeChat refuses."""
    pending = session.pop(WECHAT_BIND_SESSION_KEY, None)
    if not (state and pending and hmac.compare_digest(str(state).encode(), pending["state"].encode())
            and pending["farmer"] == farmer.pk and time.time() - pending["at"] <= WECHAT_BIND_TTL):
        raise BindingError(_("这次微信授权已失效，请重新点“绑定微信”。"), "state")
    if not code:  # WeChat comes back without a code when the person refuses
        raise BindingError(_("没有完成微信授权。消息还会用短信发给您。"), "denied")
    digest = hashlib.sha256(str(code).encode()).hexdigest()[:40]
    if not cache.add(f"wechat:code:{digest}", 1, WECHAT_CODE_LIFE):
        raise BindingError(_("这次微信授权已用过，请重新点“绑定微信”。"), "code_used")
    try:
        openid = wechat.exchange_code(code)["openid"]
    except wechat.WeChatError as exc:
        log.warning("wechat binding refused for farmer %s: %s", farmer.pk, exc)
        if exc.errcode in (40029, 40163):
            raise BindingError(_("这次微信授权已失效，请重新点“绑定微信”。"), "bad_code") from None
        raise BindingError(_("暂时连不上微信，请稍后再试。"), "unavailable") from None
    with transaction.atomic():
        Farmer.objects.filter(pk=farmer.pk).update(wechat_openid=openid, wechat_bound_at=now or timezone.now())
        log_action(farmer, "farmer.wechat_bound", actor_label=farmer.head_name)
    farmer.wechat_openid = openid
    return openid


def unbind_wechat(farmer):
    """The household stops receiving WeChat messages: they go by text again."""
    with transaction.atomic():
        if Farmer.objects.filter(pk=farmer.pk).exclude(wechat_openid="").update(wechat_openid="",
                                                                                 wechat_bound_at=None):
            log_action(farmer, "farmer.wechat_unbound", actor_label=farmer.head_name)
    farmer.wechat_openid = ""
