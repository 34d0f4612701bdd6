"""A local payment platform shaped like WeChat Pay APIv3, and the provider that talks to it.

WeChat Pay has no public sandbox, so Greenshell ships a faithful local one (clearly named: nothing
here moves money). Two halves, kept apart on purpose:

* ``SandboxPlatform`` plays WeChat: it keeps its own ``SandboxTransaction`` rows, lets the buyer
  "pay" on a cashier page, signs notifications with its platform RSA key (SHA256withRSA over
  ``timestamp\\nnonce\\nbody\\n``, headers ``Wechatpay-Timestamp/-Nonce/-Signature/-Serial``),
  encrypts the ``resource`` with AEAD_AES_256_GCM under the merchant's APIv3 key, and retries the
  notification on the WeChat schedule until the shop answers 200/204.
* ``SandboxProvider`` is the shop's client: it verifies exactly what a real WeChat notification
  would need verified, so swapping in the real provider changes keys, not logic.

Keys: the platform key pair lives in a PEM file (``WECHATPAY_SANDBOX_KEY_FILE``, default in the
system temp dir, created once, atomically); the APIv3 key comes from ``WECHATPAY_SANDBOX_APIV3_KEY``
or is derived from SECRET_KEY.
"""

import base64
import datetime
import hashlib
import json
import logging
import os
import secrets
import tempfile
import urllib.error
import urllib.request
import uuid

from celery import shared_task
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Refund, SandboxTransaction
from orders.services.payments import handle_notification
from orders.services.payments.base import (
    NotificationRejected,
    PaymentProvider,
    ProviderDisabled,
    ProviderError,
    RefundFacts,
    TradeFacts,
)

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
# WeChat's documented retry schedule for notifications (15s, 15s, 30s, 3m, 10m, 20m, 30m ... ≈ 24 h).
RETRY_SCHEDULE = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]
# A notification older (or newer) than this is refused: a captured one cannot be replayed later.
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)

_key_cache = {}


def _key_file():
    default = os.path.join(tempfile.gettempdir(),
                           "greenshell-sandbox-" + hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest()[:12]
                           + ".pem")
    return settings.WECHATPAY_SANDBOX_KEY_FILE or default


def platform_private_key():
    path = _key_file()
    if path in _key_cache:
        return _key_cache[path]
    if not os.path.exists(path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        with open(tmp, "wb") as fh:
            fh.write(pem)
        os.chmod(tmp, 0o600)
        try:
            # link() fails if the file exists: of several processes starting at once, one key wins
            # and every process then reads that one.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    _key_cache[path] = key
    return key


def platform_public_key():
    return platform_private_key().public_key()


def platform_serial():
    der = platform_public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha1(der).hexdigest().upper()  # 40 hex characters, like a certificate serial


def apiv3_key():
    key = settings.WECHATPAY_SANDBOX_APIV3_KEY or hashlib.sha256(
        (settings.SECRET_KEY + ":apiv3").encode()).hexdigest()[:32]
    if len(key.encode()) != 32:
        raise ProviderError("the APIv3 key must be 32 bytes")
    return key.encode()


def _rfc3339(dt):
    return timezone.localtime(dt).isoformat(timespec="seconds")


def sign_message(timestamp, nonce, body):
    message = f"{timestamp}\n{nonce}\n{body}\n".encode()
    return base64.b64encode(platform_private_key().sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def sandbox_allowed():
    """The sandbox runs in development (DEBUG) or on a declared demo site (DEMO_MODE) only."""
    return settings.DEBUG or settings.DEMO_MODE


def require_sandbox():
    # Settings already refuse to start a sandbox with DEBUG off and no demo flag; this guard keeps it
    # shut even if the setting is changed at run time: no request can then "pay" without money.
    if not sandbox_allowed():
        raise ProviderDisabled(_("演示支付已关闭：本站不使用沙箱收款。"))


class SandboxPlatform:
    """The WeChat side. Used by the cashier page, the notification task and the provider's API calls."""

    def __init__(self):
        require_sandbox()

    def create_transaction(self, *, out_trade_no, description, amount_total, notify_url):

        if not 6 <= len(out_trade_no) <= 32:
            raise ProviderError("out_trade_no must be 6–32 characters")
        txn, _created = SandboxTransaction.objects.get_or_create(out_trade_no=out_trade_no, defaults=dict(
            transaction_id="4200" + timezone.localtime().strftime("%Y%m%d") + secrets.token_hex(9)[:18],
            description=description[:127], amount_total=amount_total, notify_url=notify_url))
        if txn.amount_total != amount_total:
            raise ProviderError("same out_trade_no with a different amount")  # WeChat: ORDERNO_USED / PARAM_ERROR
        return {"prepay_id": "wx" + txn.transaction_id}

    def pay(self, out_trade_no, *, openid):
        """The buyer confirms on the cashier page. Returns the transaction; queues the notification."""

        now = timezone.now()
        updated = SandboxTransaction.objects.filter(out_trade_no=out_trade_no, trade_state=SandboxTransaction.NOTPAY
                                                    ).update(trade_state=SandboxTransaction.SUCCESS,
                                                             success_time=now, payer_openid=openid[:64])
        txn = SandboxTransaction.objects.get(out_trade_no=out_trade_no)
        if not updated and txn.trade_state != SandboxTransaction.SUCCESS:
            raise ProviderError("交易已关闭，无法支付")
        if updated:
            db_transaction.on_commit(lambda: deliver_sandbox_notification.delay(txn.pk))
        return txn

    def transaction_resource(self, txn):
        return {
            "mchid": MCHID, "appid": APPID, "out_trade_no": txn.out_trade_no,
            "transaction_id": txn.transaction_id, "trade_type": "JSAPI", "trade_state": txn.trade_state,
            "trade_state_desc": "支付成功" if txn.trade_state == "SUCCESS" else txn.trade_state,
            "bank_type": "OTHERS", "attach": "",
            "success_time": _rfc3339(txn.success_time) if txn.success_time else "",
            "payer": {"openid": txn.payer_openid},
            "amount": {"total": txn.amount_total, "payer_total": txn.amount_total, "currency": "CNY",
                       "payer_currency": "CNY"},
        }

    def build_notification(self, txn, *, now=None, resource=None):
        """Return ``(headers, body)`` of a TRANSACTION.SUCCESS notification, signed and encrypted."""
        now = now or timezone.now()
        plaintext = json.dumps(resource or self.transaction_resource(txn), ensure_ascii=False).encode()
        nonce = secrets.token_urlsafe(9)[:12]
        ciphertext = AESGCM(apiv3_key()).encrypt(nonce.encode(), plaintext, b"transaction")
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": _rfc3339(now), "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": "transaction",
                         "nonce": nonce},
        }, ensure_ascii=False, separators=(",", ":"))
        timestamp = str(int(now.timestamp()))
        header_nonce = secrets.token_hex(16)
        headers = {
            "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Signature": sign_message(timestamp, header_nonce, body),
            "Wechatpay-Serial": platform_serial(), "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Content-Type": "application/json",
        }
        return headers, body

    def query(self, out_trade_no):

        txn = SandboxTransaction.objects.filter(out_trade_no=out_trade_no).first()
        if txn is None:
            raise ProviderError("ORDER_NOT_EXIST")
        return txn

    def close(self, out_trade_no):

        SandboxTransaction.objects.filter(out_trade_no=out_trade_no, trade_state=SandboxTransaction.NOTPAY
                                          ).update(trade_state=SandboxTransaction.CLOSED)

    def refund(self, *, out_trade_no, out_refund_no, refund_fen, total_fen):

        txn = self.query(out_trade_no)
        if txn.amount_total != total_fen:
            raise ProviderError("PARAM_ERROR: amount.total does not match the transaction")
        # The platform's own guard: never refund more than was paid.
        ok = SandboxTransaction.objects.filter(
            pk=txn.pk, trade_state__in=("SUCCESS", "REFUND"), refunded_fen__lte=txn.amount_total - refund_fen,
        ).update(refunded_fen=F("refunded_fen") + refund_fen, trade_state="REFUND")
        if not ok:
            raise ProviderError("NOT_ENOUGH: the refund exceeds what is left of the payment")
        return "50" + hashlib.sha1(out_refund_no.encode()).hexdigest()[:28]


class SandboxProvider(PaymentProvider):
    """The shop's client of the sandbox platform (same checks as for real WeChat Pay)."""

    name = "sandbox"

    def __init__(self, platform=None):
        require_sandbox()
        self.platform = platform or SandboxPlatform()

    def create(self, payment, *, description, notify_url):

        self.platform.create_transaction(out_trade_no=payment.out_trade_no, description=description,
                                         amount_total=payment.amount_fen, notify_url=notify_url)
        return {"pay_url": reverse("shop:sandbox-cashier", args=[payment.out_trade_no])}

    def verify_notification(self, headers, body, *, now=None):
        h = {k.lower(): v for k, v in headers.items()}
        timestamp, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
        signature, serial = h.get("wechatpay-signature", ""), h.get("wechatpay-serial", "")
        if not (timestamp and nonce and signature and serial):
            raise NotificationRejected("missing Wechatpay-* headers")
        if serial != platform_serial():
            raise NotificationRejected("unknown platform certificate serial")
        try:
            sent = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
        except (ValueError, OverflowError):
            raise NotificationRejected("bad timestamp") from None
        if abs((now or timezone.now()) - sent) > MAX_CLOCK_SKEW:
            raise NotificationRejected("stale timestamp")
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            platform_public_key().verify(base64.b64decode(signature), f"{timestamp}\n{nonce}\n{body}\n".encode(),
                                         padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise NotificationRejected("bad signature") from None
        try:
            envelope = json.loads(body)
            res = envelope["resource"]
            if res.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRejected("unsupported algorithm", status=400)
            plain = AESGCM(apiv3_key()).decrypt(res["nonce"].encode(), base64.b64decode(res["ciphertext"]),
                                                (res.get("associated_data") or "").encode() or None)
            data = json.loads(plain)
        except NotificationRejected:
            raise
        except (KeyError, ValueError, TypeError, InvalidTag):
            raise NotificationRejected("resource cannot be decrypted", status=400) from None
        return TradeFacts(out_trade_no=data.get("out_trade_no", ""), trade_state=data.get("trade_state", ""),
                          amount_total=int((data.get("amount") or {}).get("total") or 0),
                          transaction_id=data.get("transaction_id", ""), success_time=data.get("success_time", ""),
                          notification_id=envelope.get("id", ""), event_type=envelope.get("event_type", ""))

    def query(self, out_trade_no):
        try:
            txn = self.platform.query(out_trade_no)
        except ProviderError:
            return TradeFacts(out_trade_no=out_trade_no, trade_state="NOTEXIST")
        return TradeFacts(out_trade_no=out_trade_no, trade_state=txn.trade_state, amount_total=txn.amount_total,
                          transaction_id=txn.transaction_id,
                          success_time=_rfc3339(txn.success_time) if txn.success_time else "")

    def close(self, out_trade_no):
        self.platform.close(out_trade_no)

    def refund(self, *, out_trade_no, out_refund_no, refund_fen, total_fen, reason):
        refund_id = self.platform.refund(out_trade_no=out_trade_no, out_refund_no=out_refund_no,
                                         refund_fen=refund_fen, total_fen=total_fen)
        return RefundFacts(out_refund_no=out_refund_no, status="SUCCESS", refund_id=refund_id)

    def query_refund(self, out_refund_no):

        r = Refund.objects.filter(out_refund_no=out_refund_no).first()
        return RefundFacts(out_refund_no=out_refund_no, status="SUCCESS" if r else "NOTEXIST",
                           refund_id=r.refund_id if r else "")

logger = logging.getLogger("greenshell.payments")


# --- the platform's notification, posted by a task -----------------------------------------------

def _post_in_process(headers, body):
    status, _answer = handle_notification("sandbox", headers, body)
    return status


def _post_http(url, headers, body):
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own SITE_URL
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@shared_task(name="orders.tasks.deliver_sandbox_notification", bind=True, max_retries=15)
def deliver_sandbox_notification(self, transaction_pk):
    """The sandbox platform posts its signed notification, retrying on WeChat's schedule.

    With a broker the worker posts over HTTP to the shop's notify URL (as WeChat does); without one
    (development, tests) the same signed bytes go straight to the same handler in-process.
    """
    txn = SandboxTransaction.objects.get(pk=transaction_pk)
    if txn.notified_ok_at is not None:
        return "already acknowledged"
    headers, body = SandboxPlatform().build_notification(txn)
    SandboxTransaction.objects.filter(pk=txn.pk).update(notify_attempts=F("notify_attempts") + 1)
    if settings.CELERY_TASK_ALWAYS_EAGER or self.request.is_eager:
        status = _post_in_process(headers, body)
    else:
        status = _post_http(txn.notify_url, headers, body)
    if status in (200, 204):
        SandboxTransaction.objects.filter(pk=txn.pk).update(notified_ok_at=timezone.now())
        return "acknowledged"
    logger.warning("sandbox notification for %s answered %s", txn.out_trade_no, status)
    if self.request.is_eager:
        return f"refused {status}"
    countdown = RETRY_SCHEDULE[min(self.request.retries, len(RETRY_SCHEDULE) - 1)]
    raise self.retry(countdown=countdown, exc=RuntimeError(json.dumps({"status": status})))
