"""The collective's admin: one module per area, each registering its own ModelAdmins."""

from coop.admin import audit, batches, fund, intake, ledger, notifications, org, settlements  # noqa: F401
