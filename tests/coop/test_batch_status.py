import pytest

from coop.models import AuditEvent, Batch
from coop.services.batches import BatchError, set_batch_status
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_a_packed_batch_can_sell_out_and_the_change_is_recorded(personas):
    batch = make_batch(personas.coop_a)
    set_batch_status(batch, Batch.SOLD_OUT, user=personas.manager_a, reason="卖完了")
    batch.refresh_from_db()
    assert batch.status == Batch.SOLD_OUT and batch.status_changed_at and batch.status_reason == "卖完了"
    ev = AuditEvent.objects.get(action="batch.sold_out")
    assert ev.actor == personas.manager_a and ev.data == {"from": "packed", "to": "sold_out"}


def test_recalled_is_final(personas):
    batch = make_batch(personas.coop_a)
    set_batch_status(batch, Batch.RECALLED, reason="坏蛋投诉")
    for status in (Batch.PACKED, Batch.SOLD_OUT, Batch.EXPIRED):
        with pytest.raises(BatchError, match="不能从"):
            set_batch_status(batch, status)
    assert Batch.objects.get(pk=batch.pk).status == Batch.RECALLED


def test_a_stale_copy_loses_the_compare_and_set(personas):
    batch = make_batch(personas.coop_a)
    stale = Batch.objects.get(pk=batch.pk)
    packed = AuditEvent.objects.filter(object_type="coop.batch").count()  # packing logs its codes and certificate
    set_batch_status(batch, Batch.RECALLED)
    with pytest.raises(BatchError, match="刚被其他人"):
        set_batch_status(stale, Batch.SOLD_OUT)
    assert Batch.objects.get(pk=batch.pk).status == Batch.RECALLED
    assert AuditEvent.objects.filter(object_type="coop.batch").count() == packed + 1  # only the recall


def test_an_expired_batch_can_still_be_recalled_but_not_sold(personas):
    batch = make_batch(personas.coop_a)
    set_batch_status(batch, Batch.EXPIRED)
    with pytest.raises(BatchError):
        set_batch_status(batch, Batch.PACKED)
    set_batch_status(batch, Batch.RECALLED)
