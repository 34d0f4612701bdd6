"""The slot for the real WeChat Pay APIv3 provider (JSAPI payments inside WeChat).

Not implemented here because it cannot be exercised without a merchant account. To plug it in,
implement the methods below against ``https://api.mch.weixin.qq.com`` and set
``PAYMENT_PROVIDER=wechat`` plus these environment variables (never commit them):

| variable                     | what                                                   |
|------------------------------|--------------------------------------------------------|
| ``WECHATPAY_MCHID``          | merchant id (商户号)                                   |
| ``WECHATPAY_APPID``          | the official account / mini-program appid             |
| ``WECHATPAY_APIV3_KEY``      | the 32-character APIv3 key (decrypts ``resource``)     |
| ``WECHATPAY_CERT_SERIAL``    | serial of the merchant API certificate                 |
| ``WECHATPAY_PRIVATE_KEY_FILE``| merchant private key (signs requests, ``Authorization: WECHATPAY2-SHA256-RSA2048``) |
| ``WECHATPAY_PLATFORM_CERT_FILE`` | WeChat Pay platform certificate or public key (verifies notifications) |

Mapping (the sandbox in ``sandbox.py`` follows the same shapes, so the rest of the shop does not change):
create → ``POST /v3/pay/transactions/jsapi`` (returns ``prepay_id``; the page calls
``WeixinJSBridge.invoke('getBrandWCPayRequest')``); verify_notification → exactly
``SandboxProvider.verify_notification`` with the platform certificate; query →
``GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=``; close →
``POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close``; refund →
``POST /v3/refund/domestic/refunds``; query_refund → ``GET /v3/refund/domestic/refunds/{out_refund_no}``.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import PaymentProvider


def merchant_settings():
    """The merchant's settings (coop/settings.py reads them from the variables of the same names)."""
    return {
        "WECHATPAY_MCHID": settings.WECHATPAY_MCHID,
        "WECHATPAY_APPID": settings.WECHATPAY_APPID,
        "WECHATPAY_APIV3_KEY": settings.WECHATPAY_APIV3_KEY,
        "WECHATPAY_CERT_SERIAL": settings.WECHATPAY_CERT_SERIAL,
        "WECHATPAY_PRIVATE_KEY_FILE": settings.WECHATPAY_PRIVATE_KEY_FILE,
        "WECHATPAY_PLATFORM_CERT_FILE": settings.WECHATPAY_PLATFORM_CERT_FILE,
    }


class WeChatPayProvider(PaymentProvider):
    name = "wechat"

    def __init__(self):
        missing = [k for k, v in merchant_settings().items() if not v]
        if missing:
            raise ImproperlyConfigured(f"PAYMENT_PROVIDER=wechat needs {', '.join(missing)} (see orders/services/"
                                       "payments/wechat.py)")
        raise ImproperlyConfigured("the real WeChat Pay provider is a documented slot: implement "
                                   "orders/services/payments/wechat.py with a merchant account")
