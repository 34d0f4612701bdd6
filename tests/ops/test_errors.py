"""One error family: every domain exception is a ``DomainError``, and the API answers it in one place."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from rest_framework import permissions
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from coop.lib.errors import DomainError
from coop.services.intake import DeliveryError
from coop.services.packing import PackingError
from coop.services.settlements import SettlementError
from orders.models import OrderError
from orders.models.programmes import ProgrammeError
from quality.services.reports import RateLimited

ROOT = Path(__file__).resolve().parents[2]
APPS = ("coop", "orders", "quality")

NAMED = [
    ("coop.services.intake", "DeliveryError"), ("coop.services.backup", "BackupError"),
    ("coop.services.ledger", "LedgerError"), ("coop.services.farmers", "SignInError"),
    ("coop.services.fund", "FundError"), ("coop.services.packing", "PackingError"),
    ("coop.services.settlements", "SettlementError"), ("coop.services.batches", "BatchError"),
    ("coop.services.notifications", "ChannelError"), ("coop.services.notifications", "PermanentChannelError"),
    ("coop.services.accounts", "StaffSignInError"),
    ("orders.services.buyers", "SignInError"), ("orders.services.payments.base", "ProviderError"),
    ("orders.models.programmes", "ProgrammeError"), ("orders.models.orders", "OrderError"),
    ("quality.services.recall", "RecallError"), ("quality.services.trace", "TraceError"),
    ("quality.services.trace", "MalformedLink"), ("quality.services.reports", "RateLimited"),
    ("quality.services.labels", "LabelRequestError"), ("quality.models.charter", "CharterError"),
]

# Exceptions that are not refusals shown to a person, so not domain errors:
NOT_DOMAIN = {
    "coop.models.ledger.LedgerImmutable",  # a programming error: code tried to edit the append-only ledger
    "quality.models.reconcile.RunImmutable",  # the same for the append-only record of reconciliation runs
    "coop.lib.locking.LockTimeout",  # infrastructure: each caller turns it into its own "busy, try again"
    # control flow inside the import's preview: undoes a trial row, never escapes the service
    "coop.services.imports._DryRun",
    "orders.services.payments.base.NotificationRejected",  # answered in the payment platform's protocol
    # the local APIv3 server's own refusals (it plays WeChat), answered as WeChat's {"code", "message"} JSON
    "orders.services.payments.apiv3_local.ApiError",
    # WeChat's own errcode, caught where it happens (orders.services.buyers turns it into a Chinese SignInError,
    # the JS-SDK config leaves the share card out, the notification channel writes a Chinese reason): the
    # client's protocol error, never shown as it is
    "coop.lib.wechat.WeChatError",
    # the local WeChat API's refusals (it plays WeChat), answered as WeChat's {"errcode", "errmsg"} JSON
    "orders.services.wechat.local.Refused",
}


def _modules():
    for app in APPS:
        for layer in ("models", "services", "lib") if app == "coop" else ("models", "services"):
            package = importlib.import_module(f"{app}.{layer}")
            yield package
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
                yield importlib.import_module(info.name)


@pytest.mark.parametrize(("module", "name"), NAMED)
def test_every_named_domain_exception_is_a_domain_error(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, DomainError), f"{module}.{name} must derive from coop.lib.errors.DomainError"


def test_every_exception_defined_in_models_and_services_is_a_domain_error():
    found, wrong = set(), []
    for module in _modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Exception):
                continue
            qualified = f"{cls.__module__}.{cls.__qualname__}"
            found.add(qualified)
            if not issubclass(cls, DomainError) and qualified not in NOT_DOMAIN:
                wrong.append(qualified)
    assert not wrong, f"not DomainError subclasses (derive from it, or list why in NOT_DOMAIN): {wrong}"
    assert {f"{m}.{n}" for m, n in NAMED} <= found
    assert NOT_DOMAIN <= found, "NOT_DOMAIN names an exception that no longer exists"


def test_programme_and_order_errors_are_one_family():
    exc = ProgrammeError("项目不对", "wrong_cooperative")
    assert isinstance(exc, OrderError) and not isinstance(OrderError("x"), ProgrammeError)
    assert (exc.code, exc.message, str(exc), exc.status) == ("wrong_cooperative", "项目不对", "项目不对", 400)


def test_a_domain_error_keeps_its_message_and_attributes():
    exc = DeliveryError("找不到这户农户。", "farmer")
    assert str(exc) == exc.message == "找不到这户农户。"
    assert (exc.code, exc.status, exc.field) == ("rejected", 400, "farmer")
    assert PackingError("忙", busy=True).status == 409 and PackingError("忙", busy=True).code == "busy"
    assert PackingError("少").status == 400 and PackingError("少").busy is False
    assert OrderError("卖完了", "sold_out").status == 409 and OrderError("不对", "boxes").status == 400
    assert RateLimited("太频繁").status == 429


class _Raises(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    exc = None

    def post(self, request):
        raise self.exc


def _answer(exc):
    request = APIRequestFactory().post("/api/x/", {}, format="json")
    return _Raises.as_view(exc=exc)(request)


@pytest.mark.parametrize(("exc", "status", "body"), [
    (DomainError("不行。"), 400, {"code": "rejected", "message": "不行。"}),
    (SettlementError("结算单已付款。", code="conflict", status=409), 409,
     {"code": "conflict", "message": "结算单已付款。"}),
    (OrderError("已经卖完了。", "sold_out"), 409, {"code": "sold_out", "message": "已经卖完了。"}),
    (RateLimited("提交太频繁了。"), 429, {"code": "rate_limited", "message": "提交太频繁了。"}),
    (DeliveryError("找不到这户农户。", "farmer"), 400,
     {"code": "rejected", "message": "找不到这户农户。", "fields": {"farmer": ["找不到这户农户。"]}}),
    (DomainError("没有。", code="not_found", status=404), 404, {"code": "not_found", "message": "没有。"}),
])
def test_the_exception_handler_answers_a_domain_error_in_the_error_shape(exc, status, body):
    response = _answer(exc)
    assert response.status_code == status
    assert response.data == {"error": body}
    assert "Retry-After" not in response


def test_a_domain_error_that_passes_by_waiting_sends_retry_after():
    response = _answer(OrderError("下单的人太多了。", "busy", status=503, retry_after=1))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data == {"error": {"code": "busy", "message": "下单的人太多了。"}}


@pytest.mark.django_db
def test_a_real_api_view_lets_its_domain_error_reach_the_handler(client):
    missing = client.post("/api/auth/token/", {"username": "nobody"}, content_type="application/json")
    assert missing.status_code == 400
    assert missing.json() == {"error": {"code": "invalid", "message": "请提供用户名和密码。"}}
    wrong = client.post("/api/auth/token/", {"username": "nobody", "password": "x"}, content_type="application/json")
    assert wrong.status_code == 400
    assert wrong.json() == {"error": {"code": "authentication_failed", "message": "用户名或密码不正确。"}}


HAND_BUILT = re.compile(r"""["'](error|detail)["']\s*:|JsonResponse|domain_error_response""")


def test_no_api_module_builds_error_json_by_hand():
    """Only the exception handler (coop/api/base.py) writes ``{"error": …}``; the payment notification
    answers the platform's own protocol, built by the payments service (not by the API module)."""
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app / "api").rglob("*.py")):
            if path.relative_to(ROOT).as_posix() == "coop/api/base.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if HAND_BUILT.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_handler_is_the_registered_one(settings):
    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "coop.api.base.exception_handler"
    assert "isinstance(exc, DomainError)" in (ROOT / "coop/api/base.py").read_text()
