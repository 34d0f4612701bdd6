"""The staff's workbench (/admin/workbench/), and the staff sign-in that lands on it."""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from coop.lib import tenancy
from quality.services.workbench import workbench as workbench_context


@require_safe
def workbench(request):
    """Read only: every button that changes something is a form posting to the job's own page."""
    if not (request.user.is_superuser or tenancy.is_staff_of_any(request.user)):
        raise Http404
    context = {**admin.site.each_context(request), "title": _("今天的工作"), **workbench_context(request.user)}
    return render(request, "quality/workbench.html", context)


def staff_login(request):
    """Django's admin sign-in (its lockout form and all), landing on the workbench instead of the table list
    unless the link asked for a page (``?next=``)."""
    asked = REDIRECT_FIELD_NAME in request.GET or REDIRECT_FIELD_NAME in request.POST
    if request.method == "GET" and not asked and admin.site.has_permission(request):
        return redirect("staff-workbench")
    extra = None if asked else {REDIRECT_FIELD_NAME: reverse("staff-workbench")}
    return admin.site.login(request, extra_context=extra)
