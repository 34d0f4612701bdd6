"""The village charter as a household sees it (/farmer/charter/)."""

from django.shortcuts import render
from django.utils import timezone

from coop.views.farmers import farmer_required
from quality.services.charter import charter_in_force, clause_order


@farmer_required
def charter(request):
    current = charter_in_force(request.farmer.cooperative, timezone.localdate())
    clauses = sorted(current.clauses.all(), key=clause_order) if current else []
    return render(request, "quality/farmer/charter.html", {"charter": current, "clauses": clauses, "nav": ""})
