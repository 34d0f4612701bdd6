"""Local fakes of the Tencent Cloud SMS and Alibaba Cloud SMS HTTP APIs, for the real providers' tests.

Each is a small HTTP server in a thread. It checks each request's signature the way the real service
does — written here from the vendors' published algorithms, not by calling the SDKs' own signing code,
so a request signed with another secret, or changed after signing, is refused — and answers the real
JSON shapes: success, the request-level errors (keys, template, signature) and the per-number ones
(limits, bad numbers), which a test can script with ``refuse_number`` or ``fail_next``.
"""

import datetime
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

TENCENT_MESSAGES = {
    "AuthFailure.SignatureFailure": "The provided credentials could not be validated. "
                                    "Please check your signature is correct.",
    "AuthFailure.SecretIdNotFound": "The SecretId is not found, please ensure that your SecretId is correct.",
    "AuthFailure.SignatureExpire": "Signature expired. Timestamp and server time cannot differ by more than 5 minutes.",
    "FailedOperation.TemplateIncorrectOrUnapproved": "template is not approved or request content does not match "
                                                     "the approved template content",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature is not approved or signature format is incorrect",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": "SmsSdkAppId verify fail",
    "InvalidParameterValue.IncorrectPhoneNumber": "incorrect number format",
    "LimitExceeded.PhoneNumberDailyLimit": "the number of sms messages sent from a single mobile number "
                                           "every day exceeds the upper limit",
    "InternalError.Timeout": "timeout",
}

ALIYUN_MESSAGES = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控Permits:10",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少对应参数值",
    "isp.SYSTEM_ERROR": "isp.SYSTEM_ERROR",
    "SignatureDoesNotMatch": "Specified signature does not match our calculation.",
    "InvalidAccessKeyId.NotFound": "Specified access key is not found.",
    "SignatureNonceUsed": "Specified signature nonce was used already.",
    "InvalidTimeStamp.Expired": "Specified time stamp or date value is expired.",
}


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


class _FakeServer:
    """What both fakes share: a thread, a log of every request that reached it, scripted refusals."""

    content_type = "application/json;charset=utf-8"  # Aliyun's; Tencent answers plain "application/json"

    def __init__(self):
        self.requests = []  # every request that reached the server, with what the fake decided
        self.sent = []  # the texts accepted: {"phone", "template", "params", "sign", "ref"}
        self.refuse_number = {}  # phone (as sent) → error code answered for it
        self.fail_next = []  # error codes answered, in order, before anything else
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake._lock:
                    status, answer = fake.handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", fake.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def refused(self, code):
        return [r for r in self.requests if r["refused"] == code]


class FakeTencentSms(_FakeServer):
    """``POST /`` of sms.tencentcloudapi.com, API 2021-01-11, action SendSms, TC3-HMAC-SHA256 signed."""

    content_type = "application/json"

    def __init__(self, *, secret_id, secret_key, sdk_app_id, sign_name, templates):
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name = sdk_app_id, sign_name
        self.templates = templates  # approved template id → number of variables
        super().__init__()

    def verify(self, method, path, headers, body):
        """The TC3-HMAC-SHA256 check (https://cloud.tencent.com/document/api/382/52071): "" or the error code."""
        auth = headers.get("Authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
            return "AuthFailure.SignatureFailure"
        secret_id, date, service, terminator = (fields["Credential"].split("/") + ["", "", ""])[:4]
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        timestamp = int(headers.get("X-TC-Timestamp") or 0)
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        if (date != datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")
                or service != "sms" or terminator != "tc3_request"):
            return "AuthFailure.SignatureFailure"
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or "content-type" not in signed:
            return "AuthFailure.SignatureFailure"
        parts = urlsplit(path)
        canonical = "\n".join([
            method, parts.path or "/", parts.query,
            "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed),
            ";".join(signed), _sha256(body)])
        to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{_sha256(canonical.encode())}"
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date).digest(), "sms").digest(),
                    "tc3_request").digest()
        if not hmac.compare_digest(_hmac(key, to_sign).hexdigest(), fields["Signature"]):
            return "AuthFailure.SignatureFailure"
        return ""

    def handle(self, method, path, headers, body):
        request_id = str(uuid.uuid4())
        refused = self.verify(method, path, headers, body)
        data = {}
        if not refused:
            data = json.loads(body or b"{}")
            if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
                refused = "InvalidAction"
            elif self.fail_next:
                refused = self.fail_next.pop(0)
            elif data.get("SmsSdkAppId") != self.sdk_app_id:
                refused = "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
            elif data.get("SignName") != self.sign_name:
                refused = "FailedOperation.SignatureIncorrectOrUnapproved"
            elif self.templates.get(data.get("TemplateId")) != len(data.get("TemplateParamSet") or []):
                refused = "FailedOperation.TemplateIncorrectOrUnapproved"
        self.requests.append({"headers": dict(headers), "body": data, "refused": refused})
        if refused:
            return 200, {"Response": {"Error": {"Code": refused, "Message": TENCENT_MESSAGES.get(refused, refused)},
                                      "RequestId": request_id}}
        statuses = []
        for phone in data.get("PhoneNumberSet") or []:
            code = self.refuse_number.get(phone) or (
                "" if phone.startswith("+861") and len(phone) == 14 and phone[1:].isdigit()
                else "InvalidParameterValue.IncorrectPhoneNumber")
            if code:
                statuses.append({"SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "",
                                 "Code": code, "Message": TENCENT_MESSAGES.get(code, code), "IsoCode": "CN"})
                continue
            serial = f"2640:{uuid.uuid4().int % 10**20}"
            self.sent.append({"phone": phone, "template": data["TemplateId"], "params": data["TemplateParamSet"],
                              "sign": data["SignName"], "ref": data.get("SessionContext", ""), "id": serial})
            statuses.append({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1,
                             "SessionContext": data.get("SessionContext", ""), "Code": "Ok",
                             "Message": "send success", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}


def _rfc3986(value):
    return quote(value, safe="~")


class FakeAliyunSms(_FakeServer):
    """``POST /`` of dysmsapi.aliyuncs.com, version 2017-05-25, action SendSms, ACS3-HMAC-SHA256 signed."""

    def __init__(self, *, access_key_id, access_key_secret, sign_name, templates):
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.sign_name = sign_name
        self.templates = templates  # approved template code → its variable names
        self.nonces = set()
        super().__init__()

    def verify(self, method, path, headers, body):
        """The ACS3-HMAC-SHA256 check (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature):
        "" or the error code."""
        auth = headers.get("Authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "ACS3-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
            return "SignatureDoesNotMatch"
        if fields["Credential"] != self.access_key_id:
            return "InvalidAccessKeyId.NotFound"
        try:
            when = datetime.datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.UTC)
        except ValueError:
            return "InvalidTimeStamp.Expired"
        if abs((datetime.datetime.now(datetime.UTC) - when).total_seconds()) > 900:
            return "InvalidTimeStamp.Expired"
        signed = fields["SignedHeaders"].split(";")
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                    "x-acs-content-sha256"}
        if not required <= set(signed) or headers.get("x-acs-content-sha256") != _sha256(body):
            return "SignatureDoesNotMatch"
        parts = urlsplit(path)
        query = sorted((_rfc3986(k), _rfc3986(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True))
        canonical = "\n".join([
            method, parts.path or "/", "&".join(f"{k}={v}" for k, v in query),
            "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed),
            ";".join(signed), headers["x-acs-content-sha256"]])
        to_sign = f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode())}"
        expected = _hmac(self.access_key_secret.encode(), to_sign).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            return "SignatureDoesNotMatch"
        nonce = headers["x-acs-signature-nonce"]
        if nonce in self.nonces:
            return "SignatureNonceUsed"
        self.nonces.add(nonce)
        return ""

    def handle(self, method, path, headers, body):
        request_id = str(uuid.uuid4()).upper()
        refused = self.verify(method, path, headers, body)
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        self.requests.append({"headers": dict(headers), "query": query, "refused": refused})
        if refused:  # the gateway's own refusals are HTTP errors
            status = 404 if refused.startswith("InvalidAccessKeyId") else 400
            return status, {"RequestId": request_id, "Message": ALIYUN_MESSAGES.get(refused, refused),
                            "Recommend": "https://api.aliyun.com/troubleshoot?q=" + refused,
                            "HostId": "dysmsapi.aliyuncs.com", "Code": refused}
        if headers.get("x-acs-action") != "SendSms" or headers.get("x-acs-version") != "2017-05-25":
            code = "InvalidAction.NotFound"
        elif self.fail_next:
            code = self.fail_next.pop(0)
        elif query.get("SignName") != self.sign_name:
            code = "isv.SMS_SIGNATURE_ILLEGAL"
        elif query.get("TemplateCode") not in self.templates:
            code = "isv.SMS_TEMPLATE_ILLEGAL"
        else:
            phone = query.get("PhoneNumbers", "")
            try:
                params = json.loads(query.get("TemplateParam") or "{}")
            except ValueError:
                params = None
            if params is None or set(params) != set(self.templates[query["TemplateCode"]]):
                code = "isv.TEMPLATE_MISSING_PARAMETERS"
            else:
                mobile = len(phone) == 11 and phone.startswith("1") and phone.isdigit()
                code = self.refuse_number.get(phone) or ("" if mobile else "isv.MOBILE_NUMBER_ILLEGAL")
        self.requests[-1]["refused"] = code
        if code:  # business refusals: HTTP 200 with a Code
            return 200, {"Code": code, "Message": ALIYUN_MESSAGES.get(code, code), "RequestId": request_id}
        biz_id = f"{uuid.uuid4().int % 10**18}^0"
        self.sent.append({"phone": query["PhoneNumbers"], "template": query["TemplateCode"], "params": params,
                          "sign": query["SignName"], "ref": query.get("OutId", ""), "id": biz_id})
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}
