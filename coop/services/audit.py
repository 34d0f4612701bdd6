"""Record who did what. Every service that changes state calls ``log_action``."""

from coop.lib.words import person_name
from coop.models import AuditEvent


def log_action(obj, action, *, user=None, actor_label="", data=None, reason="", cooperative=None):
    """Append an audit event for ``obj`` (any model instance).

    ``action`` is a dotted name such as ``"delivery.recorded"`` or ``"penalty.waived"``.
    """
    if cooperative is None:
        cooperative = getattr(obj, "cooperative", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return AuditEvent.objects.create(
        cooperative=cooperative,
        actor=user,
        actor_label=actor_label or person_name(user),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
        reason=reason or "",
    )
