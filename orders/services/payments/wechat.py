"""The real WeChat Pay APIv3 provider: JSAPI (inside WeChat), Native (a QR code on a PC) and H5 (a phone browser).

The HTTP signing, response verification, platform-certificate download and AEAD_AES_256_GCM decryption come from
``wechatpayv3`` (PyPI, MIT, maintained; supports both the platform-certificate mode and the WeChat Pay public-key
mode that merchants opened since 2024 get). It was chosen over the other PyPI clients (``wechatpy`` speaks
APIv2 for payments; ``jd-wechatpay``, ``pywechatpay``, ``wechatpay-py`` are unmaintained since 2021–2022).

What the library does not do and this module adds (each is a way to be paid falsely):
- the notification's **timestamp window** (a captured notification cannot be replayed later);
- the decrypted resource's **mchid and appid** must be ours (a notification signed for another merchant, or
  for another official account of ours, must not pay our order), its currency must be CNY;
- answers of ``query`` are checked the same way before they are believed.

The gateway: ``wechatpayv3`` has no parameter for it; the address is ``Core._gate_way``, set in ``Core.__init__``
(wechatpayv3/core.py) and used for every request. We set it right after construction from
``WECHATPAY_GATEWAY``; production leaves the default. In certificate mode the constructor would fetch
``/v3/certificates`` from the hard-coded production address before we could set it, so we hand it the
platform certificate we already have in a ``cert_dir`` (the library loads ``*.pem`` from there and only
downloads when a notification names a serial it does not know — by then the gateway is ours).
"""

import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
import zlib

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from wechatpayv3 import WeChatPay, WeChatPayType

from .base import NotificationRejected, PaymentProvider, ProviderError, RefundFacts, TradeFacts

# A notification (or an answer) signed further than this from our clock is refused; WeChat's own limit
# for requests is 5 minutes.
MAX_CLOCK_SKEW = 300
REQUIRED = ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY", "WECHATPAY_CERT_SERIAL",
            "WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_PLATFORM_CERT_FILE")
CHANNELS = {"jsapi": WeChatPayType.JSAPI, "native": WeChatPayType.NATIVE, "h5": WeChatPayType.H5}
# (connect, read) seconds: a slow WeChat must not hold a gunicorn worker for long.
TIMEOUT = (5, 15)


def merchant_settings():
    """The merchant's settings (coop/settings.py reads them from the variables of the same names)."""
    return {
        "WECHATPAY_MCHID": settings.WECHATPAY_MCHID,
        "WECHATPAY_APPID": settings.WECHATPAY_APPID,
        "WECHATPAY_APIV3_KEY": settings.WECHATPAY_APIV3_KEY,
        "WECHATPAY_CERT_SERIAL": settings.WECHATPAY_CERT_SERIAL,
        "WECHATPAY_PRIVATE_KEY_FILE": settings.WECHATPAY_PRIVATE_KEY_FILE,
        "WECHATPAY_PLATFORM_CERT_FILE": settings.WECHATPAY_PLATFORM_CERT_FILE,
        "WECHATPAY_PUBLIC_KEY_ID": settings.WECHATPAY_PUBLIC_KEY_ID,
        "WECHATPAY_GATEWAY": settings.WECHATPAY_GATEWAY,
    }


def _read(path, what):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise ImproperlyConfigured(f"{what} {path!r} cannot be read: {exc.strerror}") from None


_clients = {}
_clients_lock = threading.Lock()


def client():
    """One ``WeChatPay`` per configuration (loading keys and certificates is not free; the object is
    thread-safe for requests). Keyed by the settings so a changed configuration gets a new client."""
    conf = merchant_settings()
    missing = [k for k in REQUIRED if not conf[k]]
    if missing:
        raise ImproperlyConfigured(f"PAYMENT_PROVIDER=wechat needs {', '.join(missing)} (see docs/PAYMENTS.md)")
    if len(conf["WECHATPAY_APIV3_KEY"].encode()) != 32:
        raise ImproperlyConfigured("WECHATPAY_APIV3_KEY must be the 32-character APIv3 key")
    key = tuple(sorted(conf.items()))
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        private_key = _read(conf["WECHATPAY_PRIVATE_KEY_FILE"], "WECHATPAY_PRIVATE_KEY_FILE")
        platform = _read(conf["WECHATPAY_PLATFORM_CERT_FILE"], "WECHATPAY_PLATFORM_CERT_FILE")
        options = {}
        if "BEGIN CERTIFICATE" in platform:
            # Certificate mode: give the library the certificate we have (see the module's docstring).
            cert_dir = tempfile.mkdtemp(prefix="greenshell-wxpay-certs-")
            with open(os.path.join(cert_dir, "platform.pem"), "w", encoding="utf-8") as fh:
                fh.write(platform)
            options["cert_dir"] = cert_dir
        else:
            if not conf["WECHATPAY_PUBLIC_KEY_ID"]:
                raise ImproperlyConfigured("WECHATPAY_PLATFORM_CERT_FILE holds a public key: set "
                                           "WECHATPAY_PUBLIC_KEY_ID (PUB_KEY_ID_…) too")
            options.update(public_key=platform, public_key_id=conf["WECHATPAY_PUBLIC_KEY_ID"])
        try:
            wxpay = WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=conf["WECHATPAY_MCHID"],
                              private_key=private_key, cert_serial_no=conf["WECHATPAY_CERT_SERIAL"],
                              appid=conf["WECHATPAY_APPID"], apiv3_key=conf["WECHATPAY_APIV3_KEY"],
                              timeout=TIMEOUT, **options)
        except Exception as exc:  # the library raises bare Exception for bad keys and missing certificates
            raise ImproperlyConfigured(f"WeChat Pay keys cannot be loaded: {exc}") from None
        wxpay._core._gate_way = conf["WECHATPAY_GATEWAY"]
        _clients[key] = wxpay
        return wxpay


def _call(method, *args, **kwargs):
    """Call the library; returns ``(status, parsed_json_or_bytes)``. Network failures and unverifiable
    answers become ``ProviderError`` (the buyer sees a message, the shop changes nothing)."""
    try:
        status, text = method(*args, **kwargs)
    except requests.RequestException as exc:
        raise ProviderError(_("微信支付暂时连接不上，请稍后再试。")) from exc
    except Exception as exc:  # wechatpayv3 raises bare Exception when an answer's signature does not verify
        raise ProviderError(_("微信支付的应答无法验证，请稍后再试。")) from exc
    if isinstance(text, str):
        try:
            return status, json.loads(text) if text else {}
        except ValueError:
            raise ProviderError(_("微信支付的应答无法读取。")) from None
    return status, text


def _refused(status, data):
    code = data.get("code", "") if isinstance(data, dict) else ""
    message = data.get("message", "") if isinstance(data, dict) else ""
    text = _("微信支付拒绝了请求（%(code)s）：%(message)s") % {"code": code or status, "message": message}
    return ProviderError(text, code=f"wechat_{code.lower() or status}")


def _headers(headers):
    """Our header names, whatever case or WSGI spelling they arrived in."""
    out = {}
    for k, v in headers.items():
        name = k.upper().replace("-", "_")
        if name.startswith("HTTP_"):
            name = name[5:]
        if name.startswith("WECHATPAY_"):
            out["Wechatpay-" + "-".join(p.capitalize() for p in name[10:].split("_"))] = v
    return out


class WeChatPayProvider(PaymentProvider):
    name = "wechat"
    channels = tuple(CHANNELS)

    def __init__(self):
        self.conf = merchant_settings()
        self.wxpay = client()

    # --- paying -------------------------------------------------------------------------------
    def create(self, payment, *, description, notify_url, payer=None):
        channel = payer.channel if payer is not None else "jsapi"
        if channel not in CHANNELS:
            raise ProviderError(_("不支持的支付方式。"), code="channel")
        kwargs = {}
        if channel == "jsapi":
            if not (payer and payer.openid):
                raise ProviderError(_("请在微信里打开商城并用微信登录后再付款。"), code="openid")
            kwargs["payer"] = {"openid": payer.openid}
        elif channel == "h5":
            kwargs["scene_info"] = {"payer_client_ip": payer.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        # WeChat closes the transaction itself when the order's payment time runs out.
        expire = timezone.localtime(payment.order.pay_by).isoformat(timespec="seconds")
        status, data = _call(self.wxpay.pay, description=description[:127], out_trade_no=payment.out_trade_no,
                             amount={"total": payment.amount_fen, "currency": "CNY"}, time_expire=expire,
                             notify_url=notify_url, pay_type=CHANNELS[channel], **kwargs)
        if status != 200:
            raise _refused(status, data)
        if channel == "jsapi":
            return {"channel": "jsapi", "jsapi": self.jsapi_parameters(data["prepay_id"])}
        if channel == "native":
            return {"channel": "native", "code_url": data["code_url"]}
        return {"channel": "h5", "h5_url": data["h5_url"]}

    def jsapi_parameters(self, prepay_id):
        """What the page hands to ``WeixinJSBridge.invoke('getBrandWCPayRequest', …)``: signed with the
        merchant key over ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        pay_sign = self.wxpay.sign([self.conf["WECHATPAY_APPID"], timestamp, nonce, package])
        return {"appId": self.conf["WECHATPAY_APPID"], "timeStamp": timestamp, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": pay_sign}

    # --- notifications ------------------------------------------------------------------------
    def verify_notification(self, headers, body):
        headers = _headers(headers)
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            timestamp = int(headers.get("Wechatpay-Timestamp", ""))
        except ValueError:
            raise NotificationRejected("missing timestamp") from None
        if abs(time.time() - timestamp) > MAX_CLOCK_SKEW:
            raise NotificationRejected("stale timestamp")
        if headers.get("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048") != "WECHATPAY2-SHA256-RSA2048":
            raise NotificationRejected("unsupported signature type")
        headers.setdefault("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
        public_key_id = self.conf["WECHATPAY_PUBLIC_KEY_ID"]
        if public_key_id and headers.get("Wechatpay-Serial") != public_key_id:
            # In public-key mode there is exactly one key. Refused here because the library would otherwise
            # try to download platform certificates (one request to WeChat per forged notification).
            raise NotificationRejected("unknown Wechatpay-Serial")
        try:
            # Verifies the signature against the platform key / certificate named by Wechatpay-Serial, then
            # decrypts ``resource`` with the APIv3 key; None when either fails.
            envelope = self.wxpay.callback(headers, body)
        except Exception:  # bare Exception from the library: unknown algorithm, malformed JSON, bad base64
            raise NotificationRejected("signature or resource cannot be verified") from None
        if not envelope:
            raise NotificationRejected("signature or resource cannot be verified")
        data = envelope.get("resource") or {}
        event_type = envelope.get("event_type", "")
        refund = event_type.startswith("REFUND.")
        problem = self._not_ours(data, refund=refund)
        if problem:
            raise NotificationRejected(problem, status=400)
        if refund:
            return RefundFacts(out_refund_no=data.get("out_refund_no", ""), status=data.get("refund_status", ""),
                               refund_id=data.get("refund_id", ""), out_trade_no=data.get("out_trade_no", ""),
                               refund_fen=int((data.get("amount") or {}).get("refund") or 0),
                               notification_id=envelope.get("id", ""), event_type=event_type)
        return self._trade_facts(data, notification_id=envelope.get("id", ""), event_type=event_type)

    def _not_ours(self, data, *, refund=False):
        """Why a verified, decrypted resource is still not about our money (or "" when it is)."""
        if data.get("mchid") != self.conf["WECHATPAY_MCHID"]:
            return "mchid is not ours"
        if refund:  # refund resources carry no appid
            return ""
        if data.get("appid") != self.conf["WECHATPAY_APPID"]:
            return "appid is not ours"
        if (data.get("amount") or {}).get("currency", "CNY") != "CNY":
            return "currency is not CNY"
        return ""

    @staticmethod
    def _trade_facts(data, *, notification_id="", event_type=""):
        amount = data.get("amount") or {}
        return TradeFacts(out_trade_no=data.get("out_trade_no", ""), trade_state=data.get("trade_state", ""),
                          amount_total=int(amount.get("total") or 0), transaction_id=data.get("transaction_id", ""),
                          success_time=data.get("success_time", ""), notification_id=notification_id,
                          event_type=event_type, extra={"trade_type": data.get("trade_type", "")})

    # --- query, close, refund -----------------------------------------------------------------
    def query(self, out_trade_no):
        status, data = _call(self.wxpay.query, out_trade_no=out_trade_no)
        if status == 404:
            return TradeFacts(out_trade_no=out_trade_no, trade_state="NOTEXIST")
        if status != 200:
            raise _refused(status, data)
        if self._not_ours(data) or data.get("out_trade_no") != out_trade_no:
            # A signed answer about someone else's transaction is not believed (nothing is paid by it).
            raise ProviderError(_("微信支付的应答与所查订单不符。"), code="wechat_mismatch")
        return self._trade_facts(data)

    def close(self, out_trade_no):
        status, data = _call(self.wxpay.close, out_trade_no=out_trade_no)
        # 204: closed. 404: never reached WeChat (the buyer never opened the cashier) — nothing to close.
        if status not in (204, 200, 404):
            raise _refused(status, data)

    def refund(self, *, out_trade_no, out_refund_no, refund_fen, total_fen, reason):
        status, data = _call(self.wxpay.refund, out_refund_no=out_refund_no, out_trade_no=out_trade_no,
                             amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
                             reason=reason[:80], notify_url=refund_notify_url())
        if status != 200:
            raise _refused(status, data)
        return self._refund_facts(data)

    def query_refund(self, out_refund_no):
        status, data = _call(self.wxpay.query_refund, out_refund_no=out_refund_no)
        if status == 404:
            return RefundFacts(out_refund_no=out_refund_no, status="NOTEXIST")
        if status != 200:
            raise _refused(status, data)
        return self._refund_facts(data)

    @staticmethod
    def _refund_facts(data):
        return RefundFacts(out_refund_no=data.get("out_refund_no", ""), status=data.get("status", ""),
                           refund_id=data.get("refund_id", ""), out_trade_no=data.get("out_trade_no", ""),
                           refund_fen=int((data.get("amount") or {}).get("refund") or 0))

    # --- the daily trade bill -------------------------------------------------------------------
    def trade_bill(self, bill_date):
        """The 交易账单 of ``bill_date`` (a ``date``) as text, or ``""`` when WeChat has none (no trade that day).
        The SHA1 WeChat gives is checked against the downloaded (unzipped) file."""
        status, data = _call(self.wxpay.trade_bill, bill_date=bill_date.isoformat(), bill_type="ALL",
                             tar_type="GZIP")
        if status == 400 and isinstance(data, dict) and data.get("code") == "NO_STATEMENT_EXIST":
            return ""
        if status != 200:
            raise _refused(status, data)
        status, raw = _call(self.wxpay.download_bill, data["download_url"])
        if status != 200 or not isinstance(raw, bytes):
            raise ProviderError(_("账单下载失败（%(s)s）。") % {"s": status})
        try:
            # 16 + MAX_WBITS: gzip framing; a plain (uncompressed) answer would fail here loudly.
            text = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
        except zlib.error:
            raise ProviderError(_("账单文件损坏，无法解压。")) from None
        if hashlib.sha1(text).hexdigest().lower() != str(data.get("hash_value", "")).lower():
            raise ProviderError(_("账单文件的摘要不符，可能下载不完整。"))
        return text.decode("utf-8-sig")


def refund_notify_url():
    # Inner import: the payments package imports its providers lazily (PROVIDERS by dotted path), so this is
    # the one place wechat.py needs the package itself; at module level it would be a cycle.
    from orders.services.payments import notify_url

    return notify_url("wechat")
