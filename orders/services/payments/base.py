"""The one interface every payment provider implements (sandbox, offline, real WeChat Pay).

Amounts cross this boundary as integers of fen. A provider never touches orders: it talks to
the payment platform and reports facts; ``orders.services.payments`` decides what they mean.
"""

import abc
from dataclasses import dataclass, field

from coop.lib.errors import DomainError


class NotificationRejected(Exception):
    """A notification that must not be believed (bad signature, stale, undecryptable...)."""

    def __init__(self, reason, status=401):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ProviderError(DomainError):
    """The payment platform (or its sandbox) refused a request."""

    code = "provider_error"


class ProviderDisabled(ProviderError):
    """The provider may not run here (the sandbox on a site that is not a demo)."""

    code = "provider_disabled"
    status = 503


@dataclass
class TradeFacts:
    """What the platform says about a transaction (from a notification or a query)."""

    out_trade_no: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, ...
    amount_total: int = 0
    transaction_id: str = ""
    success_time: str = ""
    notification_id: str = ""
    event_type: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class RefundFacts:
    out_refund_no: str
    # SUCCESS, PROCESSING, ABNORMAL, CLOSED (WeChat's words), or MANUAL: the money goes back by hand
    # (offline payments) and the refund waits for a manager's confirmation.
    status: str
    refund_id: str = ""
    # Set when the facts come from a refund notification (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED).
    out_trade_no: str = ""
    refund_fen: int = 0
    notification_id: str = ""
    event_type: str = ""


@dataclass
class Payer:
    """Who pays and from where, for providers that open a different kind of transaction for each:
    ``jsapi`` inside WeChat (needs the buyer's ``openid``), ``h5`` in a phone browser (needs the
    client's address), ``native`` (a QR code scanned from a PC screen)."""

    channel: str = "jsapi"
    openid: str = ""
    client_ip: str = ""


class PaymentProvider(abc.ABC):
    """What every provider does (WeChat Pay, the sandbox, offline transfer); a provider missing one of
    these cannot be made at all, rather than failing at the buyer's first payment."""

    name = ""
    # True when the buyer pays on the platform's page and the result comes back asynchronously.
    asynchronous = True

    @abc.abstractmethod
    def create(self, payment, *, description, notify_url, payer=None):
        """Open a transaction; return a dict with what the buyer's page needs (e.g. ``pay_url``).
        ``payer`` (a ``Payer``) says how the buyer pays; providers with one way to pay ignore it."""

    @abc.abstractmethod
    def verify_notification(self, headers, body):
        """Check signature and freshness, decrypt, return ``TradeFacts``; raise NotificationRejected."""

    @abc.abstractmethod
    def query(self, out_trade_no):
        """Return ``TradeFacts`` as the platform knows them now."""

    @abc.abstractmethod
    def close(self, out_trade_no):
        """Close an unpaid transaction so it can no longer be paid."""

    @abc.abstractmethod
    def refund(self, *, out_trade_no, out_refund_no, refund_fen, total_fen, reason):
        """Ask for a refund; the same ``out_refund_no`` twice must refund once. Returns RefundFacts."""

    @abc.abstractmethod
    def query_refund(self, out_refund_no):
        """Return ``RefundFacts`` as the platform knows them now."""
