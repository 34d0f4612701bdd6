"""Celery tasks of the pairing programmes. Safe to run twice: reminders are keyed per pledge and week."""

from celery import shared_task


@shared_task
def remind_pledges():
    from orders.services.programmes import remind_pledges as remind

    return remind()
