"""Celery tasks of the collective, for autodiscovery. Each task lives beside the service it runs."""

from coop.services.health import ping  # noqa: F401
from coop.services.notifications import requeue_stuck_task, send_notification  # noqa: F401
from coop.services.settlements import run_settlement  # noqa: F401
