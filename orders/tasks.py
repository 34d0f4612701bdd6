"""Celery tasks of the shop, for autodiscovery. Each task lives beside the service it runs; the names are
pinned so queued messages and the beat schedule survive moves."""

from orders.services.aftersale import confirm_received_orders  # noqa: F401
from orders.services.orders import cancel_unpaid_orders  # noqa: F401
from orders.services.payments.bills import reconcile_trade_bill_task as reconcile_trade_bill  # noqa: F401
from orders.services.payments.sandbox import deliver_sandbox_notification  # noqa: F401
from orders.services.programmes import remind_pledges_task as remind_pledges  # noqa: F401
