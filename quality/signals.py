"""Signal receivers of the quality app, connected in QualityConfig.ready()."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from quality.services.trace import ensure_trace_code


@receiver(post_save, sender="coop.Batch", dispatch_uid="quality.trace.batch_gets_trace_code")
def batch_gets_trace_code(sender, instance, created, raw=False, **kwargs):
    """Every batch gets its trace code the moment it is packed, whichever code path packed it."""
    if created and not raw:
        ensure_trace_code(instance)
