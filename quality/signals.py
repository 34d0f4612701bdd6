"""Signal receivers of the quality app, connected in QualityConfig.ready()."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from coop.services.packing import batch_packed
from quality.services.trace import ensure_trace_code, trace_packed_batch


@receiver(post_save, sender="coop.Batch", dispatch_uid="quality.trace.batch_gets_trace_code")
def batch_gets_trace_code(sender, instance, created, raw=False, **kwargs):
    """Every batch gets its trace code the moment it is created, whichever code path made it."""
    if created and not raw:
        ensure_trace_code(instance)


@receiver(batch_packed, dispatch_uid="quality.trace.packed_batch_is_traced")
def packed_batch_is_traced(sender, batch, user=None, **kwargs):
    """A packed batch gets its box codes and its certificate (and its trace code, if post_save did not)
    while it is packed, so no GET ever has to make them.

    Same transaction, not ``on_commit``: ``pack_batch`` sends this inside its atomic block after the
    contributions (the certificate copies their villages). If issuing fails the packing rolls back,
    so there is never a committed batch without its certificate — which an ``on_commit`` callback
    that crashed or a worker killed between commit and callback would leave behind, answering 404
    on the certificate for good. The writes are a few rows under the packing lock, and idempotent
    (unique batch/serial/number), so a retried pack or a second signal makes nothing twice."""
    trace_packed_batch(batch, user=user)
