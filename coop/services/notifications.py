"""Tell people what happened: one service, pluggable channels, each event sent at most once.

``notify()`` records a Notification row keyed by the event (e.g. ``"delivery:17:receipt"``) and
sends it from a Celery task after the transaction commits. Re-notifying the same key does nothing,
and the task only sends a row that is still queued, so retries never send twice.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from coop.models import Notification

logger = logging.getLogger("greenshell.notify")

CHANNELS = {
    "console": "coop.services.notifications.ConsoleChannel",
}


class ConsoleChannel:
    """Development channel: writes the message to the log (the terminal running the app)."""

    name = "console"

    def send(self, notification):
        logger.info("[通知 → %s] %s", notification.phone or notification.farmer_id, notification.body)


def get_channel(name=None):
    name = name or settings.NOTIFICATION_CHANNEL
    path = CHANNELS.get(name, name)
    return import_string(path)()


def notify(*, event, key, body, cooperative=None, farmer=None, phone=""):
    """Queue a message for ``farmer`` (or a bare ``phone``) and return the Notification."""
    if farmer is not None:
        phone = phone or farmer.phone
        cooperative = cooperative or farmer.cooperative
    channel = settings.NOTIFICATION_CHANNEL
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                cooperative=cooperative, farmer=farmer, phone=phone, event=event,
                dedupe_key=key, channel=channel, body=body,
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=key)
    from coop.tasks import send_notification

    transaction.on_commit(lambda: send_notification.delay(note.pk))
    return note


def deliver(notification_id):
    """Send one queued notification, at most once.

    The compare-and-set from ``queued`` to ``sending`` is the claim: of two workers running the
    same task (a retry racing the original), only one wins it and talks to the channel.
    """
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.QUEUED).update(
        status=Notification.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    note = Notification.objects.get(pk=notification_id)
    try:
        get_channel(note.channel).send(note)
    except Exception as exc:
        # Back to the queue so the task's retry can try again; the error is kept for the manager.
        Notification.objects.filter(pk=note.pk).update(status=Notification.QUEUED, error=str(exc)[:300])
        raise
    Notification.objects.filter(pk=note.pk).update(status=Notification.SENT, sent_at=timezone.now(), error="")
    return True
