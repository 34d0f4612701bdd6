"""`make run` does the periodic work too: with no broker, Celery beat embedded in the server's process
sends the scheduled tasks and they run there. Before, nothing periodic ran under `make run`: an unpaid
order kept its boxes for ever and an expired group buy showed "仅剩 0 盒"."""

import datetime
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from coop import celery as celery_app
from orders.models import Order
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS, make_shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_beat(settings):
    """The embedded beat with the real task names on a fast schedule; stopped (and the table put back)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("with a broker the periodic work is `make beat`'s (CI's PostgreSQL run has Redis)")
    configured = celery_app.app.conf.beat_schedule
    started = []

    def start(names):
        schedule = {name: dict(configured[name], schedule=0.2) for name in names}
        started.append(celery_app.start_embedded_beat(schedule=schedule))

    yield start
    for service in started:
        service.stop()
    celery_app.app.conf.beat_schedule = configured


def test_the_embedded_beat_expires_an_unpaid_order_as_the_beat_process_would(personas, fast_beat):
    shop = make_shop(personas)
    order, _created = place_order(buyer=shop.buyer, items=[Item(shop.product, 3)], address=ADDRESS)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - datetime.timedelta(minutes=1))
    fast_beat(["orders-cancel-unpaid"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and Order.objects.get(pk=order.pk).status != Order.CANCELLED:
        time.sleep(0.2)
    assert Order.objects.get(pk=order.pk).status == Order.CANCELLED  # its boxes are for sale again


def test_make_run_serves_with_the_serve_command(settings):
    """The Makefile's `run` starts `manage.py serve` (runserver + the embedded beat), which exists."""
    from pathlib import Path

    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    assert "manage.py serve 127.0.0.1:$(PORT)" in makefile
    with pytest.raises(SystemExit):
        call_command("serve", "--help")
