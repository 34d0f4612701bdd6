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
