"""The shop's admin: one module per area, each registering its own ModelAdmins."""

from orders.admin import aftersale, buyers, catalog, groupbuys, orders, payments, programmes, shipping  # noqa: F401
