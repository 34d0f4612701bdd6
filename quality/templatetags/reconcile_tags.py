"""``{% reconciliation_status %}``: the last reconciliation on the admin home (quality/services/reconcile.py)."""

from django import template

from quality.services.reconcile import latest_run, mismatches_seen_by

register = template.Library()

SHOWN = 20  # the first mismatches, each with its link; the command prints them all


@register.inclusion_tag("admin/includes/reconciliation.html", takes_context=True)
def reconciliation_status(context):
    """Read only (no writes on GET): the latest stored run, narrowed to the viewer's cooperatives."""
    run = latest_run()
    if run is None:
        return {"run": None}
    mismatches = mismatches_seen_by(run, context["request"].user)
    return {"run": run, "count": len(mismatches), "mismatches": mismatches[:SHOWN],
            "more": max(len(mismatches) - SHOWN, 0)}


@register.inclusion_tag("quality/books_checked.html")
def books_checked(cooperative_id):
    """For readers outside the collective (the paired city, the township office): that the books of
    this cooperative were checked, when, and how many figures disagreed — not the internal details."""
    run = latest_run()
    if run is None:
        return {"run": None}
    return {"run": run, "count": len(run.mismatches_for([cooperative_id]))}
