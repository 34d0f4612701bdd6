"""Real SMS: Tencent Cloud SMS and Alibaba Cloud SMS behind ``notifications.SmsProvider``.

China's carriers deliver only **registered templates** (模板, approved with their variables) under a
registered **signature** (签名). So a provider here never sends a notification's free text: it picks
the template of the message's kind (``TEMPLATES``, one id per kind in ``settings.SMS_TEMPLATES``) and
fills its variables from the notification's ``sms_params`` — the same facts the body was written from.

Both providers go through their vendor's maintained SDK (``tencentcloud-sdk-python-sms``,
``alibabacloud-dysmsapi20170525``): they sign requests (TC3-HMAC-SHA256, ACS3-HMAC-SHA256), parse the
answers and raise typed exceptions with the service's error codes; writing that by hand would be
signing code to keep in step with two vendors. Only the endpoint differs between the tests (a local
fake of each HTTP API, ``tests/coop/sms_fakes.py``) and production.

Every answer becomes one of three things: a message id (sent), ``SmsRetry`` (not sent, worth trying
again later: the notification task retries, up to ``notifications.MAX_ATTEMPTS``) or ``SmsGiveUp`` (not
sent and retrying cannot help: the row is failed at once). Both carry a Chinese reason that the
manager reads on the notification (admin → 通知), with the provider's code in brackets.

The sending limits (per number, per client address, daily budget) are the SMS service's
(``notifications.spend_sms_allowance``) and are counted before a notification exists, so they stand in
front of every provider alike.
"""

import abc
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from coop.lib.validators import MOBILE_RE, normalize_mobile
from coop.services.notifications import ChannelError, PermanentChannelError, SmsProvider, sms_provider_path

logger = logging.getLogger("greenshell.sms")


class SmsRetry(ChannelError):
    """The provider did not send the text; a later try may (its reason is recorded on the notification)."""

    code = "sms_retry"


class SmsGiveUp(PermanentChannelError):
    """The provider did not send the text and will not on a retry: fix the account, template or number."""

    code = "sms_give_up"


# --- templates -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Template:
    """A template to register with the provider: its variables in order (Tencent numbers them {1}, {2}…;
    Aliyun names them ${name}) and the text to submit for approval, written with Aliyun's ${name}."""

    params: tuple
    text: str
    label: str

    def tencent_text(self):
        text = self.text
        for i, name in enumerate(self.params, 1):
            text = text.replace("${" + name + "}", "{" + str(i) + "}")
        return text


# One template per kind of message the project sends. Kept short: a carrier caps each variable (see
# SMS_PARAM_MAX_CHARS), and the household reads the whole message on its /farmer/notifications/ page.
TEMPLATES = {
    "login_code": Template(("code", "minutes"), "您的登录验证码为${code}，${minutes}分钟内有效，请勿告诉他人。",
                           "买家登录验证码（验证码类模板）"),
    "delivery_receipt": Template(
        ("name", "date", "brought", "accepted", "amount", "no"),
        "${name}：${date}交蛋${brought}枚，合格${accepted}枚，应得${amount}元，回执号${no}。详情请看农户页面。",
        "收蛋回执"),
    "settlement_paid": Template(("name", "period", "amount", "ref"),
                                "${name}：${period}结算实付${amount}元，凭证号${ref}。", "结算到账（工资条）"),
    "settlement_owed": Template(("name", "period", "owed"),
                                "${name}：${period}罚款多于收入，这次没有钱付给您，应扣${owed}元从下次工资里扣。",
                                "结算：本期应扣"),
    "hygiene_award": Template(("name", "amount"),
                              "${name}：恭喜评为卫生先进户，奖励${amount}元已记入您的账，月底结算时付给您。",
                              "卫生评比奖励"),
    "penalty_notified": Template(("name", "ref", "sanction", "deadline"),
                                 "${name}：坏蛋报告${ref}经核实由您户承担，拟处理：${sanction}。"
                                 "如有异议请在${deadline}前申诉。", "处罚通知（可申诉）"),
    "penalty_update": Template(("name", "ref", "result"), "${name}：坏蛋报告${ref}的处罚${result}，详情请看农户页面。",
                               "处罚执行、免除、撤销、改次数"),
    "appeal_update": Template(("name", "ref", "result"),
                              "${name}：您对坏蛋报告${ref}处罚的申诉${result}，详情请看农户页面。", "申诉受理与裁决"),
    # Two variables side by side are refused ("不支持仅为变量或多个变量的组合"): words between them.
    "order_status": Template(("no", "status"), "您的订单${no}状态已更新为：${status}。", "订单状态"),
    "order_pickup": Template(("no", "place", "code"), "您的订单${no}已可自提，请到${place}取货，取货码${code}。",
                             "订单待自提"),
    "batch_recalled": Template(("code",), "您购买的鸡蛋批次${code}已召回，请勿食用，我们将为您退换。", "批次召回"),
    "pledge_reminder": Template(("org", "done", "left", "end"),
                                "${org}：以购代捐预留份额已完成${done}元，还差${left}元，${end}截止。", "预留份额提醒"),
    "report_decided": Template(("ref", "status"), "您反映的坏蛋问题（受理编号${ref}）处理结果：${status}。",
                               "坏蛋反映处理结果"),
}
assert set(TEMPLATES) == set(settings.SMS_TEMPLATES), "settings.SMS_TEMPLATES and TEMPLATES differ"

# Events whose kind is fixed; the others are decided by ``template_kind``.
EVENT_KINDS = {
    "buyer.login_code": "login_code",
    "delivery.receipt": "delivery_receipt",
    "hygiene.award": "hygiene_award",
    "penalty.notified": "penalty_notified",
    "penalty.applied": "penalty_update",
    "penalty.waived": "penalty_update",
    "penalty.reversed": "penalty_update",
    "penalty.renumbered": "penalty_update",
    "appeal.filed": "appeal_update",
    "appeal.decided": "appeal_update",
    "batch.recalled": "batch_recalled",
    "pledge.reminder": "pledge_reminder",
    "report.decided": "report_decided",
}


def template_kind(event, params):
    """The kind of template a notification is sent with, or "" if the project has none for it."""
    if event == "settlement.paid":
        return "settlement_owed" if "owed" in params else "settlement_paid"
    if event.startswith("order.") or event.startswith("aftersale."):  # an after-sale step is the order's status
        return "order_pickup" if "place" in params else "order_status"
    return EVENT_KINDS.get(event, "")


def template_values(event, params):
    """``(kind, template id, {name: value})`` of a notification, each value cut to what a carrier takes.

    Raises ``SmsGiveUp`` (in Chinese, naming the setting) when the message cannot be sent as a template:
    no template for its kind, no id registered for it, or a variable missing."""
    params = params or {}
    kind = template_kind(event, params)
    if not kind:
        raise SmsGiveUp(f"这类消息（{event}）没有短信模板，不能用短信发送")
    template_id = settings.SMS_TEMPLATES.get(kind, "")
    if not template_id:
        raise SmsGiveUp(f"没有登记“{TEMPLATES[kind].label}”的短信模板：请设置 SMS_TEMPLATE_{kind.upper()}")
    missing = [name for name in TEMPLATES[kind].params if str(params.get(name, "")) == ""]
    if missing:
        raise SmsGiveUp(f"短信模板“{TEMPLATES[kind].label}”缺少变量 {', '.join(missing)}")
    cap = settings.SMS_PARAM_MAX_CHARS
    return kind, template_id, {name: str(params[name])[:cap] for name in TEMPLATES[kind].params}


# --- error codes → retry or give up --------------------------------------------------------------

RETRY, GIVE_UP = True, False

TENCENT_CODES = {
    "LimitExceeded.PhoneNumberDailyLimit": (GIVE_UP, "这个号码今天收到的短信已到腾讯云的每日上限"),
    "LimitExceeded.PhoneNumberOneHourLimit": (GIVE_UP, "这个号码一小时内收到的短信已到腾讯云的上限"),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (GIVE_UP, "这个号码今天已收到太多相同内容的短信"),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (RETRY, "30 秒内发给这个号码的短信太多，稍后重发"),
    "LimitExceeded.DeliveryFrequencyLimit": (GIVE_UP, "发给这个号码太频繁，腾讯云拒发"),
    "LimitExceeded.DailyLimit": (GIVE_UP, "今天的发送量已到腾讯云应用设置的上限"),
    "FailedOperation.TemplateIncorrectOrUnapproved": (
        GIVE_UP, "短信模板未审核通过或模板 ID 不对，请在腾讯云短信控制台核对"),
    "FailedOperation.SignatureIncorrectOrUnapproved": (GIVE_UP, "短信签名未审核通过或填写不对（SMS_SIGN_NAME）"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (GIVE_UP, "短信套餐包余量不足，请在腾讯云购买套餐包"),
    "FailedOperation.PhoneNumberInBlacklist": (GIVE_UP, "这个号码退订了短信或在黑名单里"),
    "FailedOperation.ContainSensitiveWord": (GIVE_UP, "短信内容含敏感词，被腾讯云拒发"),
    "FailedOperation.MarketingSendTimeConstraint": (RETRY, "营销短信只能在 8 点到 22 点之间发"),
    "InvalidParameterValue.IncorrectPhoneNumber": (GIVE_UP, "手机号格式不对"),
    "InvalidParameterValue.TemplateParameterFormatError": (GIVE_UP, "模板变量的格式不对（如验证码只能是数字）"),
    "InvalidParameterValue.TemplateParameterLengthLimit": (GIVE_UP, "模板变量太长，请调小 SMS_PARAM_MAX_CHARS"),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (GIVE_UP, "模板变量里不能有网址"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (GIVE_UP, "SdkAppId 不对或不属于这个账号（SMS_TENCENT_SDK_APP_ID）"),
    "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny": (GIVE_UP, "个人认证用户不能发营销短信"),
    "AuthFailure.SignatureFailure": (GIVE_UP, "腾讯云密钥不对：请求签名没有通过（SMS_TENCENT_SECRET_KEY）"),
    "AuthFailure.SecretIdNotFound": (GIVE_UP, "腾讯云 SecretId 不存在或已停用（SMS_TENCENT_SECRET_ID）"),
    "AuthFailure.SignatureExpire": (GIVE_UP, "服务器时间不准，请求签名已过期：请校准服务器时间"),
    "RequestLimitExceeded": (RETRY, "请求太频繁，稍后重发"),
    "ClientNetworkError": (RETRY, "连不上腾讯云短信（网络或超时），稍后重发"),
    "ServerNetworkError": (RETRY, "腾讯云短信回答异常，稍后重发"),
}
# A code not listed: decided by its family. Unknown families are retried (a few times, then failed).
TENCENT_PREFIXES = {
    "InternalError": (RETRY, "腾讯云短信内部错误，稍后重发"),
    "LimitExceeded": (GIVE_UP, "发送量超过腾讯云的限制"),
    "FailedOperation": (GIVE_UP, "腾讯云短信拒绝发送"),
    "InvalidParameter": (GIVE_UP, "发给腾讯云的参数不对"),
    "InvalidParameterValue": (GIVE_UP, "发给腾讯云的参数不对"),
    "MissingParameter": (GIVE_UP, "发给腾讯云的参数不全"),
    "UnauthorizedOperation": (GIVE_UP, "腾讯云账号没有发这条短信的权限"),
    "AuthFailure": (GIVE_UP, "腾讯云密钥或权限不对"),
    "UnsupportedOperation": (GIVE_UP, "腾讯云不支持这样发送（如国内模板发往境外号码）"),
}

ALIYUN_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL": (GIVE_UP, "这个号码收短信太频繁，触发了阿里云的分钟/小时/天流控"),
    "isv.DAY_LIMIT_CONTROL": (GIVE_UP, "今天的发送量已到阿里云设置的上限"),
    "isv.MOBILE_NUMBER_ILLEGAL": (GIVE_UP, "手机号格式不对"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (GIVE_UP, "一次发送的号码太多"),
    "isv.SMS_TEMPLATE_ILLEGAL": (GIVE_UP, "短信模板不存在或未审核通过，请在阿里云短信控制台核对模板 CODE"),
    "isv.SMS_SIGNATURE_ILLEGAL": (GIVE_UP, "短信签名不存在或未审核通过（SMS_SIGN_NAME）"),
    "isv.SMS_SIGN_ILLEGAL": (GIVE_UP, "短信签名不存在或未审核通过（SMS_SIGN_NAME）"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (GIVE_UP, "模板变量缺少内容"),
    "isv.INVALID_JSON_PARAM": (GIVE_UP, "模板变量不是合法的 JSON"),
    "isv.PARAM_LENGTH_LIMIT": (GIVE_UP, "模板变量太长，请调小 SMS_PARAM_MAX_CHARS"),
    "isv.INVALID_PARAMETERS": (GIVE_UP, "发给阿里云的参数不对"),
    "isv.AMOUNT_NOT_ENOUGH": (GIVE_UP, "阿里云账户余额不足，请充值"),
    "isv.OUT_OF_SERVICE": (GIVE_UP, "阿里云账户已停机（欠费），请充值"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (GIVE_UP, "短信内容含禁止的关键字"),
    "isv.DENY_IP_RANGE": (GIVE_UP, "这个服务器的地址被阿里云限制发送"),
    "isp.RAM_PERMISSION_DENY": (GIVE_UP, "阿里云 RAM 用户没有发短信的权限（AliyunDysmsFullAccess）"),
    "SignatureDoesNotMatch": (GIVE_UP, "阿里云密钥不对：请求签名没有通过（SMS_ALIYUN_ACCESS_KEY_SECRET）"),
    "InvalidAccessKeyId.NotFound": (GIVE_UP, "阿里云 AccessKey ID 不存在（SMS_ALIYUN_ACCESS_KEY_ID）"),
    "InvalidAccessKeyId.Inactive": (GIVE_UP, "阿里云 AccessKey 已停用"),
    "InvalidTimeStamp.Expired": (GIVE_UP, "服务器时间不准，请求已过期：请校准服务器时间"),
    "SignatureNonceUsed": (RETRY, "请求编号重复，稍后重发"),
    "Throttling": (RETRY, "请求太频繁，稍后重发"),
    "Throttling.User": (RETRY, "请求太频繁，稍后重发"),
    "ServiceUnavailable": (RETRY, "阿里云短信暂时不可用，稍后重发"),
    "isp.SYSTEM_ERROR": (RETRY, "阿里云短信系统错误，稍后重发"),
    "isv.SYSTEM_ERROR": (RETRY, "阿里云短信系统错误，稍后重发"),
    "NetworkError": (RETRY, "连不上阿里云短信（网络或超时），稍后重发"),
}
ALIYUN_PREFIXES = {
    "isv": (GIVE_UP, "阿里云短信拒绝发送"),
    "isp": (RETRY, "阿里云短信系统错误，稍后重发"),
    "InvalidAccessKeyId": (GIVE_UP, "阿里云 AccessKey 不对"),
    "Forbidden": (GIVE_UP, "阿里云账号没有发这条短信的权限"),
}


def decide(provider, code, message=""):
    """The ``SmsRetry`` or ``SmsGiveUp`` for a provider's error ``code``, its reason in Chinese."""
    codes, prefixes = (TENCENT_CODES, TENCENT_PREFIXES) if provider == "tencent" else (ALIYUN_CODES, ALIYUN_PREFIXES)
    retry, reason = codes.get(code) or prefixes.get(code.split(".")[0]) or (RETRY, "短信平台返回了没见过的错误")
    vendor = "腾讯云" if provider == "tencent" else "阿里云"
    text = f"{reason}（{vendor} {code}" + (f"：{message[:80]}" if message else "") + "）"
    return (SmsRetry if retry else SmsGiveUp)(text)


# --- the providers -------------------------------------------------------------------------------

def split_endpoint(value):
    """``(host[:port], scheme)`` from ``sms.tencentcloudapi.com`` or ``http://127.0.0.1:8123``."""
    if "://" in value:
        parts = urlsplit(value)
        return parts.netloc, parts.scheme
    return value, "https"


class TemplateSmsProvider(SmsProvider):
    """What both real providers share: the mainland-mobile check and the template lookup."""

    name = ""

    def require_keys(self):
        """No text can leave without the keys: say which setting is empty (the deploy check does too)."""
        missing = [name for name, value in _live_settings(self.name).items()
                   if not value and name != "SMS_TEMPLATE_LOGIN_CODE"]
        if missing:
            raise SmsGiveUp(f"短信平台的设置不全，发不了短信：请设置 {', '.join(missing)}")

    def send_sms(self, *, phone, text, client_ref, event="", params=None):
        phone = normalize_mobile(phone)
        if not MOBILE_RE.match(phone):
            raise SmsGiveUp(f"不是大陆手机号，短信发不了：{phone!r}")
        kind, template_id, values = template_values(event, params)
        return self.send_template(phone=phone, template_id=template_id, kind=kind, values=values,
                                  client_ref=client_ref)

    @abc.abstractmethod
    def send_template(self, *, phone, template_id, kind, values, client_ref):
        """Send one registered template through the vendor (TencentSms, AliyunSms); returns its message id."""


class TencentSms(TemplateSmsProvider):
    """Tencent Cloud SMS, API 2021-01-11 ``SendSms`` (https://cloud.tencent.com/document/api/382/55981)."""

    name = "tencent"

    def __init__(self):
        # Imported here: only a site that chose Tencent loads its SDK.
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        self.require_keys()
        endpoint, scheme = split_endpoint(settings.SMS_TENCENT_ENDPOINT)
        http = HttpProfile(protocol=scheme, endpoint=endpoint, reqMethod="POST",
                           reqTimeout=settings.SMS_TIMEOUT_SECONDS)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        cred = credential.Credential(settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY)
        self.client = sms_client.SmsClient(cred, settings.SMS_TENCENT_REGION, profile)

    def send_template(self, *, phone, template_id, kind, values, client_ref):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.SmsSdkAppId = settings.SMS_TENCENT_SDK_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = str(template_id)
        # Tencent numbers the variables {1}, {2}…: the values in the template's order.
        request.TemplateParamSet = [values[name] for name in TEMPLATES[kind].params]
        request.PhoneNumberSet = ["+86" + phone]  # E.164
        request.SessionContext = client_ref[:512]  # echoed in delivery reports: which notification it was
        try:
            answer = self.client.SendSms(request)
        except TencentCloudSDKException as exc:  # the whole request refused (keys, template, signature…)
            raise decide("tencent", exc.get_code() or "", exc.get_message() or "") from None
        status = (answer.SendStatusSet or [None])[0]
        if status is None:
            raise SmsRetry(f"腾讯云没有回答这次发送的结果（请求 {answer.RequestId}）")
        if status.Code != "Ok":  # the request was fine, this number was refused (limits, bad number)
            raise decide("tencent", status.Code or "", status.Message or "")
        return status.SerialNo


class AliyunSms(TemplateSmsProvider):
    """Alibaba Cloud SMS, Dysmsapi 2017-05-25 ``SendSms`` (https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms)."""

    name = "aliyun"

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.require_keys()
        endpoint, scheme = split_endpoint(settings.SMS_ALIYUN_ENDPOINT)
        timeout_ms = settings.SMS_TIMEOUT_SECONDS * 1000
        self.client = Client(Config(
            access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID, access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
            endpoint=endpoint, protocol=scheme, read_timeout=timeout_ms, connect_timeout=timeout_ms))

    def send_template(self, *, phone, template_id, kind, values, client_ref):
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        request = models.SendSmsRequest(
            phone_numbers=phone, sign_name=settings.SMS_SIGN_NAME, template_code=str(template_id),
            # Aliyun names the variables ${name}: a JSON object of them.
            template_param=json.dumps(values, ensure_ascii=False),
            out_id=client_ref[:256])  # echoed in delivery reports
        # One HTTP request per try: the notification task does the retrying, and records each try.
        runtime = RuntimeOptions(autoretry=False, max_attempts=1)
        try:
            answer = self.client.send_sms_with_options(request, runtime)
        except AlibabaCloudException as exc:  # HTTP 4xx/5xx: keys, signature, throttling
            raise decide("aliyun", exc.code or "", exc.data.get("Message", "") if exc.data else "") from None
        except Exception as exc:  # noqa: BLE001 - the SDK's network errors have no common type; retried
            raise decide("aliyun", "NetworkError", exc.__class__.__name__) from None
        body = answer.body
        if body.code != "OK":  # business refusals come as HTTP 200 with a Code (limits, bad number, template)
            raise decide("aliyun", body.code or "", body.message or "")
        return body.biz_id


# --- manage.py check --deploy --------------------------------------------------------------------

def _live_settings(provider):
    """The settings a live provider cannot send without, by name."""
    if provider == "tencent":
        needed = {"SMS_TENCENT_SECRET_ID": settings.SMS_TENCENT_SECRET_ID,
                  "SMS_TENCENT_SECRET_KEY": settings.SMS_TENCENT_SECRET_KEY,
                  "SMS_TENCENT_SDK_APP_ID": settings.SMS_TENCENT_SDK_APP_ID}
    else:
        needed = {"SMS_ALIYUN_ACCESS_KEY_ID": settings.SMS_ALIYUN_ACCESS_KEY_ID,
                  "SMS_ALIYUN_ACCESS_KEY_SECRET": settings.SMS_ALIYUN_ACCESS_KEY_SECRET}
    return {**needed, "SMS_SIGN_NAME": settings.SMS_SIGN_NAME,
            "SMS_TEMPLATE_LOGIN_CODE": settings.SMS_TEMPLATES["login_code"]}


def check_sms_provider(app_configs=None, **kwargs):
    """``manage.py check --deploy``: texts to real phones must go to a real provider, fully configured."""
    if settings.DEBUG or settings.NOTIFICATION_CHANNEL != "sms":
        return []
    path = sms_provider_path()
    if path == sms_provider_path("local"):
        return [checks.Error(
            "NOTIFICATION_CHANNEL=sms with SMS_PROVIDER=local and DEBUG off: texts to real phones go to the local "
            "gateway and nobody receives them (buyers get no sign-in code).",
            hint="Set SMS_PROVIDER=tencent or SMS_PROVIDER=aliyun with its keys, SMS_SIGN_NAME and the "
                 "SMS_TEMPLATE_* ids (docs/PAYMENTS.md, 短信).",
            id="greenshell.E002")]
    provider = next((name for name in ("tencent", "aliyun") if sms_provider_path(name) == path), None)
    if provider is None:
        return []  # a provider of the site's own: its own business
    missing = [name for name, value in _live_settings(provider).items() if not value]
    found = []
    if missing:
        found.append(checks.Error(
            f"SMS_PROVIDER={provider} is missing {', '.join(missing)}: no text can be sent.",
            hint="Set them in the environment (never in the repository); docs/PAYMENTS.md, 短信.",
            id="greenshell.E003"))
    unset = [f"SMS_TEMPLATE_{kind.upper()}" for kind, value in settings.SMS_TEMPLATES.items() if not value]
    if unset and "SMS_TEMPLATE_LOGIN_CODE" not in missing:
        found.append(checks.Warning(
            f"No template id for {', '.join(unset)}: those messages are not texted (failed, reason on the row).",
            hint="Register the templates of docs/PAYMENTS.md (短信) with the provider and set their ids.",
            id="greenshell.W002"))
    return found
