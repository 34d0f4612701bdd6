"""Notifications: pluggable channels, retries, never twice for the same event, a log people can read."""

import pytest
from django.test import Client
from django.utils import timezone

from coop.models import GatewayMessage, Notification, NotificationAttempt
from coop.services import notifications
from coop.tasks import send_notification
from tests.conftest import requires_postgres
from tests.factories import give_pin, sign_in
from tests.trust.parallel import run_parallel


class FlakyGateway(notifications.LocalSmsGateway):
    """Accepts the SMS at the gateway, then times out twice before answering — the nasty case."""

    calls = 0

    def send_sms(self, **kw):
        type(self).calls += 1
        ref = super().send_sms(**kw)
        if type(self).calls <= 2:
            raise notifications.ChannelError("gateway timeout")
        return ref


@pytest.fixture
def sms(settings):
    settings.NOTIFICATION_CHANNEL = "sms"
    settings.SMS_PROVIDER = "coop.services.notifications.LocalSmsGateway"
    return settings


def test_an_sms_reaches_the_gateway_once_and_the_log_says_so(personas, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(event="delivery.receipt", key="delivery:1:receipt", farmer=personas.farmer_a,
                                    body="您交蛋30枚，合格28枚，应得¥42.00。")
    note.refresh_from_db()
    assert note.status == Notification.SENT and note.attempts == 1
    msg = GatewayMessage.objects.get(client_ref="delivery:1:receipt")
    assert msg.recipient == personas.farmer_a.phone
    assert msg.payload["Content"].startswith("【绿壳蛋合作社】您交蛋30枚")
    assert NotificationAttempt.objects.get(notification=note).provider_ref == msg.message_id


def test_notifying_the_same_event_twice_queues_one_message(personas, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = notifications.notify(event="x", key="k:1", farmer=personas.farmer_a, body="一")
        b = notifications.notify(event="x", key="k:1", farmer=personas.farmer_a, body="一")
    assert a.pk == b.pk and GatewayMessage.objects.count() == 1


def test_a_gateway_timeout_is_retried_and_the_phone_still_gets_one_text(personas, sms,
                                                                         django_capture_on_commit_callbacks):
    sms.SMS_PROVIDER = "tests.coop.test_notifications.FlakyGateway"
    FlakyGateway.calls = 0
    with django_capture_on_commit_callbacks(execute=True):  # the first try fails: the caller is unharmed
        note = notifications.notify(event="x", key="flaky:1", farmer=personas.farmer_a, body="您好")
    note.refresh_from_db()
    assert note.status == Notification.QUEUED and "gateway timeout" in note.error
    with pytest.raises(notifications.ChannelError):  # the task's first retry: times out again
        notifications.deliver(note.pk)
    assert notifications.deliver(note.pk) is True  # the second retry
    note.refresh_from_db()
    assert FlakyGateway.calls == 3
    assert note.status == Notification.SENT and note.attempts == 3
    assert GatewayMessage.objects.filter(client_ref="flaky:1").count() == 1  # one text reached the phone
    assert list(NotificationAttempt.objects.filter(notification=note).values_list("ok", flat=True)) == [
        False, False, True]


def test_after_the_last_retry_the_row_is_failed_for_the_manager(personas, sms):
    sms.SMS_PROVIDER = "tests.coop.test_notifications.FlakyGateway"
    FlakyGateway.calls = -100
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="x", dedupe_key="dead:1",
                                       channel="sms", body="您好", attempts=notifications.MAX_ATTEMPTS - 1)
    assert notifications.deliver(note.pk) is False
    note.refresh_from_db()
    assert note.status == Notification.FAILED and "gateway timeout" in note.error


def test_running_the_task_again_after_it_sent_sends_nothing(personas, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(event="x", key="again:1", farmer=personas.farmer_a, body="您好")
    assert send_notification.apply(args=[note.pk]).get() is False
    assert send_notification.apply(args=[note.pk]).get() is False
    assert GatewayMessage.objects.filter(client_ref="again:1").count() == 1
    assert NotificationAttempt.objects.filter(notification=note).count() == 1


def test_a_number_that_is_not_a_mobile_fails_at_once_and_the_manager_sees_why(personas, sms, client_for,
                                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(event="x", key="bad:1", phone="0834-1234567", body="您好",
                                    cooperative=personas.coop_a)
    note.refresh_from_db()
    assert note.status == Notification.FAILED and "mainland mobile" in note.error
    page = client_for(personas.manager_a).get(f"/admin/coop/notification/{note.pk}/change/")
    assert page.status_code == 200 and "mainland mobile" in page.content.decode()


def test_a_send_left_hanging_by_a_dead_worker_is_resent_without_a_second_text(personas, sms):
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="x", dedupe_key="stuck:1",
                                       channel="sms", body="您好")
    # The first worker claimed it, reached the gateway, and died before writing "sent".
    Notification.objects.filter(pk=note.pk).update(status=Notification.SENDING, attempts=1)
    NotificationAttempt.objects.create(notification=note, channel="sms",
                                       created_at=timezone.now() - notifications.STUCK_AFTER * 2)
    notifications.LocalSmsGateway().send_sms(phone=note.phone, text=note.body, client_ref=note.dedupe_key)
    assert notifications.requeue_stuck() == 1
    note.refresh_from_db()
    assert note.status == Notification.SENT
    assert GatewayMessage.objects.filter(client_ref="stuck:1").count() == 1


def test_a_household_sees_its_own_messages_and_not_anothers(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(event="delivery.receipt", key="a:1", farmer=personas.farmer_a, body="甲户的回执")
        notifications.notify(event="delivery.receipt", key="b:1", farmer=personas.farmer_b, body="乙户的回执")
    give_pin(personas.farmer_a, personas.manager_a)
    c = Client()
    sign_in(c, personas.farmer_a)
    body = c.get("/farmer/notifications/").content.decode()
    assert "甲户的回执" in body and "乙户的回执" not in body and "已发到手机" in body


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_task_at_once_send_one_text(personas, sms):
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="x", dedupe_key="race:1",
                                       channel="sms", body="您好")
    results = run_parallel([lambda: notifications.deliver(note.pk) for _ in range(4)])
    assert sorted(results) == [False, False, False, True]
    assert GatewayMessage.objects.filter(client_ref="race:1").count() == 1


@requires_postgres
def test_a_real_worker_given_the_task_twice_sends_once(personas, sms, celery_worker):
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="x", dedupe_key="worker:1",
                                       channel="sms", body="您好")
    first, second = send_notification.delay(note.pk), send_notification.delay(note.pk)
    import time

    deadline = time.time() + 30
    while time.time() < deadline and Notification.objects.get(pk=note.pk).status != Notification.SENT:
        time.sleep(0.2)
    time.sleep(1)  # let the second copy run too
    assert Notification.objects.get(pk=note.pk).status == Notification.SENT
    assert GatewayMessage.objects.filter(client_ref="worker:1").count() == 1
    assert NotificationAttempt.objects.filter(notification=note).count() == 1
    del first, second


def test_a_message_whose_task_was_lost_is_sent_by_the_sweep(personas, sms):
    note = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                       phone=personas.farmer_a.phone, event="x", dedupe_key="lost:1",
                                       channel="sms", body="您好",
                                       created_at=timezone.now() - notifications.STUCK_AFTER * 2)
    fresh = Notification.objects.create(cooperative=personas.coop_a, farmer=personas.farmer_a,
                                        phone=personas.farmer_a.phone, event="x", dedupe_key="fresh:1",
                                        channel="sms", body="您好")
    assert notifications.requeue_stuck() == 1
    note.refresh_from_db()
    fresh.refresh_from_db()
    assert note.status == Notification.SENT and fresh.status == Notification.QUEUED  # its task is still due


class TextOnlyGateway:
    """A site's own provider written before templates existed: ``send_sms(phone, text, client_ref)``."""

    sent = []

    def send_sms(self, *, phone, text, client_ref):
        type(self).sent.append((phone, text, client_ref))
        return "own-1"


def test_a_provider_written_for_text_only_still_sends(personas, sms, django_capture_on_commit_callbacks):
    sms.SMS_PROVIDER = "tests.coop.test_notifications.TextOnlyGateway"
    TextOnlyGateway.sent = []
    with django_capture_on_commit_callbacks(execute=True):
        note = notifications.notify(event="hygiene.award", key="own:1", farmer=personas.farmer_a, body="您好",
                                    sms_params={"name": "吉克拉哈", "amount": "50.00"})
    note.refresh_from_db()
    assert note.status == Notification.SENT and TextOnlyGateway.sent == [(personas.farmer_a.phone, "您好", "own:1")]
