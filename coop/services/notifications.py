"""Tell people what happened: one service, pluggable channels, each event sent at most once.

``notify()`` records a Notification row keyed by the event (e.g. ``"delivery:17:receipt"``) and
sends it from a Celery task after the transaction commits. Re-notifying the same key does nothing.

"Never twice" has two halves:

1. Of two workers running the same task (a retry racing the original, a redelivered message after
   a worker died — tasks are ``acks_late``), only one wins the compare-and-set ``queued → sending``
   and talks to the channel.
2. A send can succeed at the gateway and still look like a failure here (timeout after the SMS
   left). The retry then sends again — so every channel passes the notification's ``dedupe_key`` as
   the gateway's client reference, and gateways answer a repeated reference with the first
   message instead of a second text (WeChat's ``client_msg_id``, for 10 minutes). The local fakes do
   exactly that.

Channels (``settings.NOTIFICATION_CHANNEL``): ``console`` (default: the log), ``sms`` (an
``SmsProvider`` chosen by ``settings.SMS_PROVIDER``: ``local`` — ``LocalSmsGateway`` here —,
``tencent`` or ``aliyun`` in ``coop/services/sms.py``, or any dotted path), ``wechat`` (template
messages of the official account over WeChat's HTTP API, ``coop/lib/wechat.py``, to the openid a
household bound itself or a buyer signed in with; by text for anyone WeChat cannot reach — tests run it
against ``orders/services/wechat/local.py``, a fake of WeChat's API over HTTP).
Every call to a channel is written to ``NotificationAttempt`` — the log managers read in the
admin; households read their own messages at /farmer/notifications/.
"""

import abc
import datetime
import hashlib
import inspect
import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core import checks
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from coop.lib import ratelimit, wechat, words
from coop.lib.errors import DomainError
from coop.lib.validators import MOBILE_RE, normalize_mobile
from coop.models import Farmer, GatewayMessage, Notification, NotificationAttempt

logger = logging.getLogger("greenshell.notify")

CHANNELS = {
    "console": "coop.services.notifications.ConsoleChannel",
    "sms": "coop.services.notifications.SmsChannel",
    "wechat": "coop.services.notifications.WeChatTemplateChannel",
}
# One first try + the task's 5 retries; after that the row is FAILED for the manager to see.
MAX_ATTEMPTS = 6
# A row still "sending" this long after its last claim belongs to a worker that died mid-send.
STUCK_AFTER = datetime.timedelta(minutes=10)


class ChannelError(DomainError):
    """The channel refused or could not send; the task retries, the row keeps the message."""

    code = "channel_failed"


class PermanentChannelError(ChannelError):
    """Retrying cannot help (e.g. not a mobile number): fail the row at once."""


class SendLimited(DomainError):
    """A text refused before it was sent: too many to one number, from one address, or the day's budget."""

    code = "sms_limited"
    status = 429


# A number gets one text a minute: a second press of "获取验证码" is a mistake or a script.
RESEND_SECONDS = 60
HOUR = 3600


def spend_sms_allowance(*, phone, client_ip="", cooperative=None, now=None):
    """Count one text against every limit *before* it is sent; raise ``SendLimited`` if one is over.

    The limits are the SMS service's, not the caller's, so every text a stranger can trigger (buyer
    sign-in codes today) is held to them: per number (1 a minute, ``SMS_PER_PHONE_HOUR`` an hour), per
    client address (``SMS_PER_ADDRESS_HOUR`` an hour) and a daily budget — per cooperative
    (``SMS_DAILY_BUDGET``) when the text is the cooperative's, platform-wide
    (``SMS_PLATFORM_DAILY_BUDGET``) when it has none: a buyer's sign-in code belongs to no cooperative
    (one account buys from every cooperative's shop, and the sign-in page cannot know which one a
    stranger means), so charging it to one would let a script spend that collective's budget.

    Each counter is an atomic increment (``coop.lib.ratelimit``), so 30 requests at once get 30
    different counts and only those under the limit pass. The checks go from narrowest to widest and
    stop at the first refusal: a script hammering one number never eats the address or daily budget.
    """
    day = timezone.localdate(now).isoformat()
    if ratelimit.hit(f"sms:phone-minute:{phone}", RESEND_SECONDS) > 1:
        raise SendLimited(_("验证码已发送，请 60 秒后再试。"), "too_soon", retry_after=RESEND_SECONDS)
    if ratelimit.hit(f"sms:phone-hour:{phone}", HOUR) > settings.SMS_PER_PHONE_HOUR:
        raise SendLimited(_("这个手机号收到的短信太多了，请一小时后再试。"), "too_many", retry_after=HOUR)
    if client_ip and ratelimit.hit(f"sms:address-hour:{client_ip}", HOUR) > settings.SMS_PER_ADDRESS_HOUR:
        raise SendLimited(_("这个网络发送的短信太多了，请一小时后再试。"), "address_limit", retry_after=HOUR)
    if cooperative is not None:
        key, budget = f"sms:day:coop-{cooperative.pk}:{day}", settings.SMS_DAILY_BUDGET
    else:
        key, budget = f"sms:day:platform:{day}", settings.SMS_PLATFORM_DAILY_BUDGET
    # The window outlives the day by an hour so a counter never expires before its date changes.
    if ratelimit.hit(key, 25 * HOUR) > budget:
        raise SendLimited(_("今天的短信额度已用完，请明天再试，或用微信登录。"), "budget")


# --- channels ----------------------------------------------------------------------------------

class ConsoleChannel:
    """Development channel: writes the message to the log (the terminal running the app)."""

    name = "console"

    def send(self, notification):
        logger.info("[通知 → %s] %s", notification.phone or notification.farmer_id, notification.body)
        return ""


class SmsProvider(abc.ABC):
    """What an SMS gateway must offer. ``client_ref`` is our idempotency key (see module docstring);
    ``event`` and ``params`` (the notification's ``sms_params``) let a provider that sends only
    registered templates pick the template and fill its variables instead of sending ``text``.

    Returns the provider's message id; raises ``ChannelError`` (retry) or ``PermanentChannelError``.
    """

    @abc.abstractmethod
    def send_sms(self, *, phone, text, client_ref, event="", params=None):
        """Send one message; a provider that does not define it cannot be made (TypeError at start)."""


class LocalSmsGateway(SmsProvider):
    """A local stand-in for a Chinese SMS gateway (no carrier exists here) with the same rules:
    mainland mobiles only, a 【signature】 prefix, 70 characters per segment (67 in a long message),
    and idempotent by client reference. Accepted messages are stored as ``GatewayMessage`` rows."""

    gateway = "local-sms"
    SIGNATURE = "【绿壳蛋合作社】"
    MAX_CHARS = 500

    def send_sms(self, *, phone, text, client_ref, event="", params=None):
        phone = normalize_mobile(phone)
        if not MOBILE_RE.match(phone):
            raise PermanentChannelError(f"not a mainland mobile number: {phone!r}")
        content = self.SIGNATURE + text
        if len(content) > self.MAX_CHARS:
            content = content[: self.MAX_CHARS - 1] + "…"
        segments = 1 if len(content) <= 70 else -(-len(content) // 67)
        return _gateway_accept(self.gateway, client_ref, phone,
                               {"PhoneNumbers": phone, "Content": content, "Segments": segments})


# ``SMS_PROVIDER`` by name; anything else is a dotted path. Strings, so this module imports no SDK.
SMS_PROVIDERS = {
    "local": "coop.services.notifications.LocalSmsGateway",
    "tencent": "coop.services.sms.TencentSms",
    "aliyun": "coop.services.sms.AliyunSms",
}


def sms_provider_path(name=None):
    name = name or settings.SMS_PROVIDER
    return SMS_PROVIDERS.get(name, name)


class SmsChannel:
    name = "sms"

    def __init__(self):
        self.provider = import_string(sms_provider_path())()

    def send(self, notification):
        if not notification.phone:
            raise PermanentChannelError(_("没有手机号，发不了短信"))
        extra = {"event": notification.event, "params": notification.sms_params}
        accepted = inspect.signature(self.provider.send_sms).parameters
        if "params" not in accepted and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            extra = {}  # a site's own provider written before templates: it sends the text
        return self.provider.send_sms(phone=notification.phone, text=notification.body,
                                      client_ref=notification.dedupe_key, **extra)


# --- WeChat template messages ------------------------------------------------------------------

class NotSendable(PermanentChannelError):
    """This channel cannot reach this person (no WeChat bound, not following the account, the day's quota
    used up, the account not set up): retrying cannot help, but the channel's ``fallback`` may reach them."""

    code = "not_sendable"


# WeChat's refusals of a template message, in the words the manager reads in the notification log.
WECHAT_REASONS = {
    43004: _l("对方没有关注本社公众号，收不到微信消息"),
    40003: _l("绑定的微信不是本社公众号的用户，请这户重新绑定微信"),
    40037: _l("微信消息模板编号不对，请检查 WECHAT_TEMPLATE_NOTICE"),
    47001: _l("微信消息的格式与模板不符，请检查 WECHAT_TEMPLATE_NOTICE_KEYS"),
    47003: _l("微信消息的内容超出了模板字段的长度"),
    45009: _l("今天的微信消息额度已用完"),
    40013: _l("公众号的 AppID 不对，请检查 WECHAT_APPID"),
    40125: _l("公众号的 AppSecret 不对，请检查 WECHAT_APP_SECRET"),
    40164: _l("本站服务器的地址不在公众号的 IP 白名单里"),
    48001: _l("公众号没有发模板消息的权限（需认证的服务号）"),
}
# WeChat could not be reached, was busy, or asked us to slow down (or the token stayed dead after the one
# refresh): the task tries again later. Every other refusal is about this message or this account.
WECHAT_RETRY = {-2, -1, 45011, *wechat.STALE_TOKEN}
WECHAT_FIELD_CHARS = 20  # a category template's ``thing`` field: 20 characters, one line (May 2023 rules)


def _one_line(text, limit=WECHAT_FIELD_CHARS):
    text = " ".join(str(text).split())
    if text.startswith("【") and "】" in text:  # the 【绿壳蛋】 of a text message: WeChat shows the account's name
        text = text.split("】", 1)[1].strip() or text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def client_msg_id(dedupe_key):
    """WeChat's 防重入 id (at most 64 characters): the notification's key, hashed when it is longer."""
    return dedupe_key if len(dedupe_key) <= 64 else "h" + hashlib.sha256(dedupe_key.encode()).hexdigest()[:63]


def recipient_openid(notification):
    """The openid to send to: a household's own binding as it is now (bound or unbound since the message
    was queued), else the one the caller gave (a buyer signed in by WeChat). Never made up: no openid, no
    WeChat message."""
    if notification.farmer_id:
        bound = Farmer.objects.filter(pk=notification.farmer_id).values_list("wechat_openid", flat=True).first()
        if bound:
            return bound
    return notification.wechat_openid or ""


class WeChatTemplateChannel:
    """Sends a notification as a template message (模板消息) of the official account, over HTTP to WeChat's
    API (``coop.lib.wechat``: the shared, cached ``access_token``).

    Since May 2023 WeChat shows only a category template's fields, each at most 20 characters on one line,
    so the message carries the event's title, the time and the start of the text, and opens the person's
    own page with the whole of it. Someone WeChat cannot reach this way — no bound openid, not following the
    account, the day's quota gone, the account not set up — gets the message by text instead (``fallback``),
    the reason written in the log. ``client_msg_id`` (the notification's key) makes WeChat send one message
    however often a retry repeats the request within its 10 minutes; the claim in ``deliver`` covers longer.
    """

    name = "wechat"
    fallback = "sms"

    def payload(self, notification):
        title_key, time_key, summary_key = settings.WECHAT_TEMPLATE_NOTICE_KEYS
        when = timezone.localtime(notification.created_at)
        page = "/farmer/notifications/" if notification.farmer_id else "/shop/orders/"
        return {
            "touser": recipient_openid(notification),
            "template_id": settings.WECHAT_TEMPLATE_NOTICE,
            "url": settings.SITE_URL + page,
            "data": {
                title_key: {"value": _one_line(event_label(notification.event))},
                time_key: {"value": f"{when:%Y}年{when.month}月{when.day}日 {when:%H:%M}"},
                summary_key: {"value": _one_line(notification.body)},
            },
            "client_msg_id": client_msg_id(notification.dedupe_key),
        }

    def send(self, notification):
        if not wechat.configured():
            raise NotSendable(_("本站还没有接入微信公众号"))
        if not settings.WECHAT_TEMPLATE_NOTICE:
            raise NotSendable(_("还没有设置微信消息模板（WECHAT_TEMPLATE_NOTICE）"))
        payload = self.payload(notification)
        if not payload["touser"]:
            raise NotSendable(_("还没有绑定微信"))
        try:
            return wechat.send_template(**payload)
        except wechat.WeChatError as exc:
            if exc.errcode in WECHAT_RETRY:
                raise ChannelError(_("暂时连不上微信，稍后再试（错误码 %(code)s）") % {"code": exc.errcode}) from None
            reason = WECHAT_REASONS.get(exc.errcode) or _("微信不接收这条消息")
            raise NotSendable(_("%(reason)s（错误码 %(code)s）") % {"reason": reason, "code": exc.errcode}) from None


def check_wechat_channel(app_configs=None, **kwargs):
    """``manage.py check --deploy``: the "wechat" channel needs the official account and its template, and
    its fallback texts need a real SMS provider (the households that bound no WeChat are told by text)."""
    if settings.DEBUG or settings.NOTIFICATION_CHANNEL != "wechat":
        return []
    found = []
    needed = {"WECHAT_APPID": settings.WECHAT_APPID, "WECHAT_APP_SECRET": settings.WECHAT_APP_SECRET,
              "WECHAT_TEMPLATE_NOTICE": settings.WECHAT_TEMPLATE_NOTICE}
    missing = [name for name, value in needed.items() if not value]
    if missing:
        found.append(checks.Error(
            f"NOTIFICATION_CHANNEL=wechat without {', '.join(missing)}: no template message can be sent; every "
            "message goes by text instead.",
            hint="Set the official account and the template id added under 模板消息 (docs/PAYMENTS.md, 微信模板消息).",
            id="greenshell.E102"))
    if sms_provider_path() == sms_provider_path("local"):
        found.append(checks.Warning(
            "NOTIFICATION_CHANNEL=wechat with SMS_PROVIDER=local: households without a bound WeChat (and buyers "
            "who do not follow the account) are sent their messages by text to the local gateway, which sends "
            "nothing.",
            hint="Set SMS_PROVIDER=tencent or aliyun (docs/PAYMENTS.md, 短信).",
            id="greenshell.W102"))
    return found


def _gateway_accept(gateway, client_ref, recipient, payload):
    """The fakes' outbox: one row per client reference; a repeat returns the first message id."""
    try:
        with transaction.atomic():
            row = GatewayMessage.objects.create(gateway=gateway, client_ref=client_ref, recipient=recipient,
                                                payload=payload, message_id=uuid.uuid4().hex[:20])
    except IntegrityError:
        row = GatewayMessage.objects.get(gateway=gateway, client_ref=client_ref)
    return row.message_id


def get_channel(name=None):
    name = name or settings.NOTIFICATION_CHANNEL
    path = CHANNELS.get(name, name)
    return import_string(path)()


# --- the service -------------------------------------------------------------------------------

def notify(*, event, key, body, cooperative=None, farmer=None, phone="", sms_params=None, wechat_openid=""):
    """Queue a message for ``farmer`` (or a bare ``phone`` / ``wechat_openid``) and return the Notification.

    ``sms_params`` are the facts of ``body`` by name (``coop.services.sms.TEMPLATES`` lists each event's),
    for SMS providers that send a registered template rather than free text. ``wechat_openid`` is the
    recipient's openid at the official account when the caller knows it (a buyer signed in by WeChat); a
    household's own binding is read when the message is sent."""
    if farmer is not None:
        phone = phone or farmer.phone
        cooperative = cooperative or farmer.cooperative
    channel = settings.NOTIFICATION_CHANNEL
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                cooperative=cooperative, farmer=farmer, phone=phone, event=event,
                dedupe_key=key, channel=channel, body=body, wechat_openid=wechat_openid or "",
                sms_params={k: str(v) for k, v in (sms_params or {}).items()},
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=key)
    transaction.on_commit(lambda: _enqueue(note.pk))
    return note


def _enqueue(notification_id):
    """Hand the row to the task. A failing channel must never break the request that caused the
    message (with tasks running eagerly the first try happens right here): the row stays queued
    with its error, and ``requeue_stuck`` (every few minutes) tries it again."""
    try:
        send_notification.delay(notification_id)
    except Exception:  # noqa: BLE001 - logged; the message is retried by the sweep, never lost
        logger.exception("notification %s: first send failed, left queued for the sweep", notification_id)


def deliver(notification_id):
    """Send one queued notification, at most once. Returns True if this call sent it.

    The compare-and-set from ``queued`` to ``sending`` is the claim: of two workers running the
    same task, only one wins it and talks to the channel. A failure puts the row back to
    ``queued`` (the task retries) until ``MAX_ATTEMPTS``, then marks it ``failed``.

    A channel that cannot reach this person (``NotSendable``: e.g. WeChat for a household with no bound
    WeChat) hands the message to its ``fallback`` channel at once; the row then belongs to that channel
    (its retries go there directly) and the log keeps both attempts, each with its reason.
    """
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.QUEUED).update(
        status=Notification.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    note = Notification.objects.get(pk=notification_id)
    reasons = []
    try:
        try:
            _attempt(note, note.channel)
        except NotSendable as exc:
            fallback = getattr(get_channel(note.channel), "fallback", "")
            if not fallback:
                raise
            reasons.append(f"{words.channel_label(note.channel)}：{exc}")
            Notification.objects.filter(pk=note.pk).update(channel=fallback)
            note.channel = fallback
            _attempt(note, fallback)
    except Exception as exc:
        permanent = isinstance(exc, PermanentChannelError) or note.attempts >= MAX_ATTEMPTS
        # A channel's own refusal is written for the manager (the providers' reasons are Chinese); anything
        # else keeps its type, which is what a developer needs to find it.
        error = str(exc) if isinstance(exc, ChannelError) else f"{exc.__class__.__name__}: {exc}"
        if reasons:
            error = "；".join([*reasons, f"{words.channel_label(note.channel)}：{error}"])
        error = error[:300]
        Notification.objects.filter(pk=note.pk, status=Notification.SENDING).update(
            status=Notification.FAILED if permanent else Notification.QUEUED, error=error)
        if permanent:
            logger.warning("notification %s failed for good: %s", note.pk, error)
            return False
        raise  # the task's retry sends it again, later
    Notification.objects.filter(pk=note.pk).update(status=Notification.SENT, sent_at=timezone.now(), error="")
    return True


def _attempt(note, channel_name):
    """One call to one channel, written to the log (``NotificationAttempt``) before and after."""
    attempt = NotificationAttempt.objects.create(notification=note, channel=channel_name)
    try:
        ref = get_channel(channel_name).send(note) or ""
    except Exception as exc:
        error = str(exc) if isinstance(exc, ChannelError) else f"{exc.__class__.__name__}: {exc}"
        NotificationAttempt.objects.filter(pk=attempt.pk).update(error=error[:300])
        raise
    NotificationAttempt.objects.filter(pk=attempt.pk).update(ok=True, provider_ref=str(ref)[:64])
    return ref


def requeue_stuck(now=None):
    """Put back rows left ``sending`` by a worker that died mid-send, and retry rows left ``queued``
    after a failed first try (no worker retry pending: eager mode, or a lost task), and send them.

    Safe because every channel sends with the client reference: if the first send did reach the
    gateway, the second returns the same message instead of a second text.
    """
    now = now or timezone.now()
    cutoff = now - STUCK_AFTER
    # Rows never tried at all (the broker lost the task, or it was never enqueued) count from creation.
    stale = (Notification.objects.filter(status__in=[Notification.SENDING, Notification.QUEUED])
             .annotate(last_try=Max("attempts_log__created_at"))
             .filter(Q(last_try__lt=cutoff) | Q(last_try__isnull=True, created_at__lt=cutoff))
             .values_list("pk", "status"))
    count = 0
    for pk, status in list(stale[:500]):
        if status == Notification.SENDING:
            if not Notification.objects.filter(pk=pk, status=Notification.SENDING).update(
                    status=Notification.QUEUED):
                continue
        _enqueue(pk)
        count += 1
    return count


@shared_task(name="coop.tasks.send_notification", bind=True, max_retries=5, default_retry_delay=30)
def send_notification(self, notification_id):
    try:
        return deliver(notification_id)
    except Exception as exc:  # channel failure: retry with back-off, the row says why
        raise self.retry(exc=exc) from exc


@shared_task(name="coop.notifications.requeue_stuck")
def requeue_stuck_task():
    return requeue_stuck()


def event_label(event):
    """The short Chinese title of an event, for message headers and the farmer's list (coop.lib.words)."""
    return str(words.event_label(event))

