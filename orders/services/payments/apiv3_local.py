"""A local WeChat Pay APIv3 server: the real provider (``wechat.py``) talks to it over HTTP in tests and on a
developer's machine, exactly as it talks to ``https://api.mch.weixin.qq.com``.

Why here and not under ``tests/``: a developer runs it too (``python -m orders.services.payments.apiv3_local``
prints the environment to point the shop at it), and it is part of the payments area by the layout rule
(docs/ARCHITECTURE.md: ``payments/`` holds the providers and their platforms). It imports nothing of the
shop: it plays WeChat, keeps its own books in memory and never touches the database.

What it does like WeChat: every request's ``Authorization: WECHATPAY2-SHA256-RSA2048 …`` is verified against
the merchant's public key (method, path with query, timestamp, nonce, body), the merchant id and serial must
match and the timestamp be fresh; every answer is signed with the platform key (``Wechatpay-Signature``,
``-Timestamp``, ``-Nonce``, ``-Serial``, ``-Signature-Type``); notifications are signed the same way and
their ``resource`` is encrypted with AEAD_AES_256_GCM under the APIv3 key. Two modes, as real merchants
have them: ``public_key`` (``Wechatpay-Serial`` is ``PUB_KEY_ID_…``) and ``certificate`` (a platform
certificate, also served encrypted at ``/v3/certificates``). Error bodies are WeChat's
``{"code": …, "message": …}`` with its codes (ORDER_NOT_EXIST, ORDERPAID, NOT_ENOUGH, SIGN_ERROR, …).
Paths: ``/v3/pay/transactions/jsapi|native|h5``, ``…/out-trade-no/{n}``, ``…/out-trade-no/{n}/close``,
``/v3/refund/domestic/refunds[/{no}]``, ``/v3/bill/tradebill``, ``/v3/billdownload/file``, ``/v3/certificates``.

Keys are generated when the server starts and live in memory only (nothing here is ever committed).
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

BEIJING = ZoneInfo("Asia/Shanghai")
CLOCK_SKEW = 300  # seconds; WeChat refuses requests signed further from its clock
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
               "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
AUTH_RE = re.compile(r'(\w+)="([^"]*)"')


def rfc3339(dt):
    return dt.astimezone(BEIJING).isoformat(timespec="seconds")


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LocalApiV3:
    """WeChat Pay for one merchant. ``start()`` serves it on a thread and returns the gateway address."""

    def __init__(self, *, mchid, appid, apiv3_key, merchant_public_key_pem, merchant_serial, mode="public_key",
                 refund_instantly=False):
        assert mode in ("public_key", "certificate")
        self.mchid, self.appid, self.apiv3_key = mchid, appid, apiv3_key.encode()
        self.merchant_key = serialization.load_pem_public_key(merchant_public_key_pem.encode()
                                                              if isinstance(merchant_public_key_pem, str)
                                                              else merchant_public_key_pem)
        self.merchant_serial = merchant_serial
        self.mode = mode
        # WeChat usually answers a refund PROCESSING and notifies SUCCESS later; tests choose.
        self.refund_instantly = refund_instantly
        self.platform_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self.certificate = self._self_signed_certificate()
        self.transactions = {}  # out_trade_no -> WeChat's view of the transaction
        self.refunds = {}  # out_refund_no -> WeChat's view of the refund
        self.bills = {}  # download token -> (bill bytes, gzip?)
        self.requests = []  # (method, path) of every request that passed the signature check
        self.lock = threading.Lock()
        self.server = None
        self.url = ""

    # --- keys -----------------------------------------------------------------------------------
    def _self_signed_certificate(self):
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (local)")])
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.platform_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
                .sign(self.platform_key, hashes.SHA256()))

    @property
    def serial(self):
        """What ``Wechatpay-Serial`` says: the public key id, or the certificate's serial in hex."""
        return self.public_key_id if self.mode == "public_key" else format(self.certificate.serial_number, "X")

    def platform_public_key_pem(self):
        return self.platform_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def certificate_pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def platform_file_pem(self):
        """What the merchant downloads from the merchant platform: the public key or the certificate."""
        return self.platform_public_key_pem() if self.mode == "public_key" else self.certificate_pem()

    def sign(self, timestamp, nonce, body, key=None):
        message = f"{timestamp}\n{nonce}\n{body}\n".encode()
        return base64.b64encode((key or self.platform_key).sign(message, padding.PKCS1v15(),
                                                                hashes.SHA256())).decode()

    def signed_headers(self, body, *, timestamp=None, nonce=None, key=None, serial=None):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_hex(16)
        return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": self.sign(timestamp, nonce, body, key),
                "Wechatpay-Serial": serial or self.serial, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}

    def encrypt(self, plain, associated_data):
        nonce = secrets.token_hex(6)  # 12 characters, as WeChat's
        ciphertext = AESGCM(self.apiv3_key).encrypt(nonce.encode(), plain.encode(), associated_data.encode())
        return {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": associated_data,
                "ciphertext": base64.b64encode(ciphertext).decode()}

    # --- the buyer's side and WeChat's notifications -----------------------------------------------
    def pay(self, out_trade_no, *, openid="oLocalBuyer0000000000000000"):
        """The buyer confirms in WeChat's cashier: the transaction succeeds (the notification is separate)."""
        with self.lock:
            txn = self.transactions[out_trade_no]
            if txn["trade_state"] != "NOTPAY":
                raise ApiError(400, "ORDERPAID" if txn["trade_state"] == "SUCCESS" else "ORDER_CLOSED",
                               "transaction is " + txn["trade_state"])
            txn.update(trade_state="SUCCESS", trade_state_desc="支付成功", success_time=rfc3339(self._now()),
                       payer={"openid": txn["payer"].get("openid") or openid})
            return dict(txn)

    def settle_refund(self, out_refund_no, status="SUCCESS"):
        with self.lock:
            refund = self.refunds[out_refund_no]
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = rfc3339(self._now())
            return dict(refund)

    def _now(self):
        return datetime.datetime.now(datetime.UTC)

    def notification(self, event_type, resource_type, plain, summary, *, timestamp=None, nonce=None, key=None):
        """A signed notification: ``(headers, body)`` exactly as WeChat posts it."""
        body = json.dumps({
            "id": secrets.token_hex(18), "create_time": rfc3339(self._now()), "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": summary,
            "resource": {"original_type": resource_type, **self.encrypt(json.dumps(plain, ensure_ascii=False),
                                                                         resource_type)}},
            ensure_ascii=False)
        return self.signed_headers(body, timestamp=timestamp, nonce=nonce, key=key), body

    def transaction_notification(self, out_trade_no, *, override=None, **signing):
        txn = {k: v for k, v in self.transactions[out_trade_no].items() if not k.startswith("_")}
        txn.update(override or {})
        return self.notification("TRANSACTION.SUCCESS", "transaction", txn, "支付成功", **signing)

    def refund_notification(self, out_refund_no, *, override=None, **signing):
        refund = self.refunds[out_refund_no]
        plain = {"mchid": self.mchid, "out_trade_no": refund["out_trade_no"],
                 "transaction_id": refund["transaction_id"], "out_refund_no": out_refund_no,
                 "refund_id": refund["refund_id"], "refund_status": refund["status"],
                 "success_time": refund.get("success_time", ""), "user_received_account": "支付用户零钱",
                 "amount": {"total": refund["amount"]["total"], "refund": refund["amount"]["refund"],
                            "payer_total": refund["amount"]["total"], "payer_refund": refund["amount"]["refund"]}}
        plain.update(override or {})
        return self.notification("REFUND." + refund["status"], "refund", plain, "退款成功", **signing)

    def post(self, url, headers, body):
        """Post a notification to the shop's notify URL (a developer's running server); returns the status."""
        req = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the shop's own URL
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # --- the daily trade bill -------------------------------------------------------------------
    def trade_bill(self, bill_date):
        """The 交易账单 of one Beijing day: a row per payment that succeeded and per refund that completed."""
        rows = []
        fees = 0
        with self.lock:
            for txn in self.transactions.values():
                if txn.get("success_time", "")[:10] == bill_date:
                    total = txn["amount"]["total"]
                    fee = round(total * 6 / 1000)  # 0.6 % rate, rounded to the fen like WeChat
                    fees += fee
                    rows.append([txn["success_time"][:19].replace("T", " "), self.appid, self.mchid, "0", "",
                                 txn["transaction_id"], txn["out_trade_no"], txn["payer"].get("openid", ""),
                                 txn["trade_type"], "SUCCESS", "OTHERS", "CNY", yuan(total), "0.00", "0", "0",
                                 "0.00", "0.00", "", "", txn["description"], "", f"{fee / 100:.5f}", "0.60%",
                                 yuan(total), "0.00", ""])
            for refund in self.refunds.values():
                if refund.get("success_time", "")[:10] == bill_date and refund["status"] == "SUCCESS":
                    txn = self.transactions[refund["out_trade_no"]]
                    rows.append([refund["success_time"][:19].replace("T", " "), self.appid, self.mchid, "0", "",
                                 txn["transaction_id"], txn["out_trade_no"], txn["payer"].get("openid", ""),
                                 txn["trade_type"], "REFUND", "OTHERS", "CNY", "0.00", "0.00", refund["refund_id"],
                                 refund["out_refund_no"], yuan(refund["amount"]["refund"]), "0.00", "ORIGINAL",
                                 "SUCCESS", txn["description"], "", "0.00000", "0.60%", "0.00",
                                 yuan(refund["amount"]["refund"]), ""])
        if not rows:
            return None
        paid = sum(int(r[12].replace(".", "")) for r in rows)
        refunded = sum(int(r[16].replace(".", "")) for r in rows)
        lines = [BILL_HEADER] + [",".join("`" + c for c in r) for r in sorted(rows)]
        lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        lines.append(",".join("`" + c for c in (str(len(rows)), yuan(paid), yuan(refunded), "0.00",
                                                 f"{fees / 100:.5f}", yuan(paid), yuan(refunded))))
        return "\r\n".join(lines) + "\r\n"

    # --- HTTP -----------------------------------------------------------------------------------
    def start(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests and the developer's console stay readable
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                try:
                    status, answer, raw = api.dispatch(self.command, self.path, self.headers, body)
                except ApiError as exc:
                    status, answer, raw = exc.status, {"code": exc.code, "message": exc.message}, None
                if raw is not None:  # a bill file: WeChat does not sign downloads
                    payload, headers = raw, {"Content-Type": "application/octet-stream"}
                else:
                    text = json.dumps(answer, ensure_ascii=False) if answer is not None else ""
                    payload = text.encode()
                    headers = {"Content-Type": "application/json; charset=utf-8", **api.signed_headers(text)}
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="local-apiv3", daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def check_authorization(self, method, path, headers, body):
        auth = headers.get("Authorization", "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            raise ApiError(401, "SIGN_ERROR", "Authorization 头缺失或认证类型错误")
        fields = dict(AUTH_RE.findall(auth))
        if fields.get("mchid") != self.mchid:
            raise ApiError(401, "SIGN_ERROR", "商户号与签名不符")
        if fields.get("serial_no") != self.merchant_serial:
            raise ApiError(401, "SIGN_ERROR", "商户证书序列号有误")
        if abs(time.time() - int(fields.get("timestamp") or 0)) > CLOCK_SKEW:
            raise ApiError(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{method}\n{path}\n{fields['timestamp']}\n{fields.get('nonce_str', '')}\n{body}\n".encode()
        try:
            self.merchant_key.verify(base64.b64decode(fields.get("signature", "")), message, padding.PKCS1v15(),
                                     hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise ApiError(401, "SIGN_ERROR", "签名错误") from None

    def dispatch(self, method, path, headers, body):
        """Returns ``(status, json_answer_or_None, raw_bytes_or_None)``."""
        self.check_authorization(method, path, headers, body)
        self.requests.append((method, path))
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        data = json.loads(body) if body else {}
        route = url.path
        if method == "POST" and (m := re.fullmatch(r"/v3/pay/transactions/(jsapi|native|h5)", route)):
            return 200, self._create(m.group(1), data), None
        if method == "GET" and (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", route)):
            if query.get("mchid") != self.mchid:
                raise ApiError(400, "PARAM_ERROR", "mchid 与请求商户不符")
            return 200, self._public(self._transaction(m.group(1))), None
        if method == "POST" and (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", route)):
            return self._close(m.group(1), data)
        if method == "POST" and route == "/v3/refund/domestic/refunds":
            return 200, self._refund(data), None
        if method == "GET" and (m := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", route)):
            with self.lock:
                if m.group(1) not in self.refunds:
                    raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return 200, dict(self.refunds[m.group(1)]), None
        if method == "GET" and route == "/v3/bill/tradebill":
            return 200, self._bill(query), None
        if method == "GET" and route == "/v3/billdownload/file":
            if query.get("token") not in self.bills:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "账单链接已失效")
            return 200, None, self.bills[query["token"]]
        if method == "GET" and route == "/v3/certificates":
            if self.mode != "certificate":
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "已切换为微信支付公钥模式")
            cert = self.certificate
            return 200, {"data": [{"serial_no": self.serial, "effective_time": rfc3339(cert.not_valid_before_utc),
                                   "expire_time": rfc3339(cert.not_valid_after_utc),
                                   "encrypt_certificate": self.encrypt(self.certificate_pem(), "certificate")}]}, None
        raise ApiError(404, "NOT_FOUND", f"no such path {route}")

    def _transaction(self, out_trade_no):
        with self.lock:
            if out_trade_no not in self.transactions:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
            return dict(self.transactions[out_trade_no])

    @staticmethod
    def _public(txn):
        return {k: v for k, v in txn.items() if not k.startswith("_")}

    def _create(self, kind, data):
        if data.get("appid") != self.appid or data.get("mchid") != self.mchid:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        out_trade_no = data.get("out_trade_no", "")
        if not re.fullmatch(r"[0-9A-Za-z_*|-]{6,32}", out_trade_no):
            raise ApiError(400, "PARAM_ERROR", "out_trade_no 不合法")
        amount = data.get("amount") or {}
        if not isinstance(amount.get("total"), int) or amount["total"] <= 0:
            raise ApiError(400, "PARAM_ERROR", "amount.total 应为正整数（分）")
        if amount.get("currency", "CNY") != "CNY":
            raise ApiError(400, "PARAM_ERROR", "仅支持人民币")
        if not data.get("description") or not data.get("notify_url", "").startswith(("http://", "https://")):
            raise ApiError(400, "PARAM_ERROR", "description / notify_url 缺失")
        if kind == "jsapi" and not (data.get("payer") or {}).get("openid"):
            raise ApiError(400, "PARAM_ERROR", "JSAPI 下单需要 payer.openid")
        if kind == "h5" and not ((data.get("scene_info") or {}).get("payer_client_ip")
                                 and (data.get("scene_info") or {}).get("h5_info", {}).get("type")):
            raise ApiError(400, "PARAM_ERROR", "H5 下单需要 scene_info.payer_client_ip 与 h5_info.type")
        fingerprint = hashlib.sha256(json.dumps([kind, amount["total"], data.get("payer")],
                                                sort_keys=True).encode()).hexdigest()
        with self.lock:
            txn = self.transactions.get(out_trade_no)
            if txn is not None:
                if txn["trade_state"] == "SUCCESS":
                    raise ApiError(400, "ORDERPAID", "该订单已支付")
                if txn["trade_state"] == "CLOSED":
                    raise ApiError(400, "ORDER_CLOSED", "该订单已关闭")
                if txn["_fingerprint"] != fingerprint:
                    raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
            else:
                txn = self.transactions[out_trade_no] = {
                    "appid": self.appid, "mchid": self.mchid, "out_trade_no": out_trade_no,
                    "transaction_id": "4200" + time.strftime("%Y%m%d") + secrets.token_hex(7)[:14],
                    "trade_type": kind.upper().replace("H5", "MWEB"), "trade_state": "NOTPAY",
                    "trade_state_desc": "订单未支付", "description": data["description"],
                    "payer": dict(data.get("payer") or {}),
                    "amount": {"total": amount["total"], "payer_total": amount["total"], "currency": "CNY",
                               "payer_currency": "CNY"},
                    "_fingerprint": fingerprint, "_notify_url": data["notify_url"],
                    "_prepay_id": "wx" + secrets.token_hex(16), "_time_expire": data.get("time_expire", "")}
            if kind == "jsapi":
                return {"prepay_id": txn["_prepay_id"]}
            if kind == "native":
                return {"code_url": "weixin://wxpay/bizpayurl?pr=" + txn["_prepay_id"][2:12]}
            return {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + txn["_prepay_id"]}

    def _close(self, out_trade_no, data):
        if data.get("mchid") != self.mchid:
            raise ApiError(400, "PARAM_ERROR", "mchid 与请求商户不符")
        with self.lock:
            txn = self.transactions.get(out_trade_no)
            if txn is None:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
            if txn["trade_state"] == "SUCCESS":
                raise ApiError(400, "ORDERPAID", "订单已支付，不能关闭")
            txn.update(trade_state="CLOSED", trade_state_desc="已关闭")
        return 204, None, None

    def _refund(self, data):
        amount = data.get("amount") or {}
        out_refund_no = data.get("out_refund_no", "")
        if not out_refund_no or not isinstance(amount.get("refund"), int) or amount["refund"] <= 0:
            raise ApiError(400, "PARAM_ERROR", "out_refund_no / amount.refund 不合法")
        with self.lock:
            if out_refund_no in self.refunds:  # the same refund number twice refunds once
                return dict(self.refunds[out_refund_no])
            txn = self.transactions.get(data.get("out_trade_no", ""))
            if txn is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if txn["trade_state"] not in ("SUCCESS", "REFUND"):
                raise ApiError(400, "INVALID_REQUEST", "订单未支付，不能退款")
            if amount.get("total") != txn["amount"]["total"]:
                raise ApiError(400, "PARAM_ERROR", "订单金额与原订单不符")
            done = sum(r["amount"]["refund"] for r in self.refunds.values()
                       if r["out_trade_no"] == txn["out_trade_no"] and r["status"] != "CLOSED")
            if done + amount["refund"] > txn["amount"]["total"]:
                raise ApiError(403, "NOT_ENOUGH", "可退金额不足")
            status = "SUCCESS" if self.refund_instantly else "PROCESSING"
            refund = self.refunds[out_refund_no] = {
                "refund_id": "5030" + secrets.token_hex(12)[:24], "out_refund_no": out_refund_no,
                "transaction_id": txn["transaction_id"], "out_trade_no": txn["out_trade_no"], "channel": "ORIGINAL",
                "user_received_account": "支付用户零钱", "create_time": rfc3339(self._now()), "status": status,
                "funds_account": "AVAILABLE",
                "amount": {"total": txn["amount"]["total"], "refund": amount["refund"],
                           "payer_total": txn["amount"]["total"], "payer_refund": amount["refund"],
                           "settlement_refund": amount["refund"], "settlement_total": txn["amount"]["total"],
                           "discount_refund": 0, "currency": "CNY"},
                "_notify_url": data.get("notify_url", "")}
            if status == "SUCCESS":
                refund["success_time"] = refund["create_time"]
            txn.update(trade_state="REFUND", trade_state_desc="转入退款")
            return self._public(refund)

    def _bill(self, query):
        bill_date = query.get("bill_date", "")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", bill_date):
            raise ApiError(400, "PARAM_ERROR", "bill_date 格式应为 YYYY-MM-DD")
        text = self.trade_bill(bill_date)
        if text is None:
            raise ApiError(400, "NO_STATEMENT_EXIST", "账单文件不存在")
        raw = text.encode()
        token = secrets.token_urlsafe(16)
        self.bills[token] = gzip.compress(raw) if query.get("tar_type") == "GZIP" else raw
        return {"hash_type": "SHA1", "hash_value": hashlib.sha1(raw).hexdigest(),
                "download_url": f"{self.url}/v3/billdownload/file?token={token}"}


def main():
    """Serve the local APIv3 for a developer: writes a merchant key pair and the platform key to ``--dir``
    (mode 0600, never to be committed) and prints the variables that point the shop at it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--dir", required=True, help="where to write the keys (outside the repository)")
    parser.add_argument("--mode", choices=("public_key", "certificate"), default="public_key")
    args = parser.parse_args()
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    apiv3_key = secrets.token_hex(16)
    api = LocalApiV3(mchid="1900000109", appid="wxd678efh567hg6787", apiv3_key=apiv3_key, mode=args.mode,
                     merchant_public_key_pem=merchant.public_key().public_bytes(
                         serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
                     merchant_serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1", refund_instantly=True)
    key_file, platform_file = os.path.join(args.dir, "apiclient_key.pem"), os.path.join(args.dir, "platform.pem")
    for path, pem in ((key_file, merchant.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode()),
                      (platform_file, api.platform_file_pem())):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(pem)
    url = api.start()
    print(f"export PAYMENT_PROVIDER=wechat WECHATPAY_GATEWAY={url} WECHATPAY_MCHID={api.mchid} "
          f"WECHATPAY_APPID={api.appid} WECHATPAY_APIV3_KEY={apiv3_key} "
          f"WECHATPAY_CERT_SERIAL={api.merchant_serial} WECHATPAY_PRIVATE_KEY_FILE={key_file} "
          f"WECHATPAY_PLATFORM_CERT_FILE={platform_file}"
          + (f" WECHATPAY_PUBLIC_KEY_ID={api.public_key_id}" if args.mode == "public_key" else ""))
    print("Buyer pays: type an out_trade_no and press Enter (the notification is posted to its notify_url).")
    try:
        for line in iter(input, None):
            out_trade_no = line.strip()
            if out_trade_no in api.transactions:
                api.pay(out_trade_no)
                headers, body = api.transaction_notification(out_trade_no)
                print("notify →", api.post(api.transactions[out_trade_no]["_notify_url"], headers, body))
    except (EOFError, KeyboardInterrupt):
        api.stop()


if __name__ == "__main__":
    main()
