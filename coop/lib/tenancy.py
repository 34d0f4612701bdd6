"""The tenant rule: a person sees only the cooperatives they work for.

Every admin page and API view that shows cooperative data filters through these helpers, so the
rule lives in one place. A superuser (the platform operator) sees every cooperative.
"""

from coop.lib.validators import optional_id
from coop.models import Cooperative, Staff

ALL_ROLES = (Staff.MANAGER, Staff.INSPECTOR, Staff.COMMITTEE)


def cooperative_ids(user, roles=ALL_ROLES):
    """Ids of the cooperatives ``user`` holds one of ``roles`` in (all of them for a superuser)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Cooperative.objects.values_list("id", flat=True))
    cache_attr = "_gs_coop_ids"
    cache = getattr(user, cache_attr, None)
    if cache is None:
        cache = {}
        for coop_id, role in Staff.objects.filter(user=user).values_list("cooperative_id", "role"):
            cache.setdefault(role, set()).add(coop_id)
        setattr(user, cache_attr, cache)
    ids = set()
    for role in roles:
        ids |= cache.get(role, set())
    return sorted(ids)


def pick_cooperative(user, roles, wanted=None):
    """The cooperative a staff member is working in: ``wanted`` (an id from a form, the query string or
    the API) when it is one of theirs in ``roles``, else their first one; ``None`` if they have none.
    Returns ``(cooperative, ids)`` so a caller can refuse a foreign ``wanted`` or an ambiguous choice."""
    ids = cooperative_ids(user, roles)
    if not ids:
        return None, ids
    wanted_id = optional_id(str(wanted)) if isinstance(wanted, (str, int)) else None
    chosen = wanted_id if wanted_id in ids else ids[0]
    return Cooperative.objects.get(pk=chosen), ids


def is_staff_of_any(user, roles=ALL_ROLES):
    return bool(cooperative_ids(user, roles))


def scope(queryset, user, path="cooperative", roles=ALL_ROLES):
    """Filter ``queryset`` to rows whose ``path`` cooperative the user may see."""
    return queryset.filter(**{f"{path}__in": cooperative_ids(user, roles)})
