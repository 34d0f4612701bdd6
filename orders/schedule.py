"""Periodic tasks of this app, merged into CELERY_BEAT_SCHEDULE by coop/settings.py."""

BEAT_SCHEDULE = {
    # Unpaid orders are cancelled 30 minutes after placing; checking every minute keeps boxes
    # held at most ~31 minutes.
    "orders-cancel-unpaid": {"task": "orders.tasks.cancel_unpaid_orders", "schedule": 60.0},
    "orders-close-group-buys": {"task": "orders.tasks.close_due_group_buys", "schedule": 60.0},
    "orders-remind-pledges": {"task": "orders.tasks_programmes.remind_pledges", "schedule": 24 * 3600.0},  # once a day
}
