"""The managers' dashboard (/admin/dashboard/) and its exports."""

import datetime

from django.contrib import admin
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.lib.replica import reads_from_replica
from coop.lib.validators import InvalidNumber, optional_id, parse_int
from coop.services import exports as coop_exports
from coop.services.exports import table_response
from orders.services import exports as order_exports
from quality.services import exports as exports_reports
from quality.services.dashboard import dashboard_context

MAX_EXPORT_DAYS = 3660  # ten years: more than the collective has existed, far below a date overflow


@reads_from_replica
def dashboard(request):
    if not tenancy.is_staff_of_any(request.user) and not request.user.is_superuser:
        raise Http404
    coop_id = optional_id(request.GET.get("coop"))
    context = {**admin.site.each_context(request), "title": _("本周概况"), **dashboard_context(
        request.user, coop_id=coop_id), "export_list": EXPORT_LABELS()}
    return render(request, "admin/dashboard.html", context)


def EXPORT_LABELS():  # noqa: N802 - a constant, translated per request
    return [("farmers", _("农户")), ("deliveries", _("交蛋记录")), ("settlements", _("结算单")),
            ("orders", _("订单")), ("reports", _("坏蛋报告"))]


def _exports():

    return {
        "farmers": coop_exports.farmers_table, "deliveries": coop_exports.deliveries_table,
        "settlements": coop_exports.settlements_table, "orders": order_exports.orders_table,
        "reports": exports_reports.reports_table,
    }


@reads_from_replica
def export(request, what, fmt):
    """Excel (xlsx) or CSV of one list, for the manager's own cooperatives. ``?days=`` limits dated lists."""

    tables = _exports()
    if what not in tables or fmt not in ("xlsx", "csv"):
        raise Http404
    ids = tenancy.cooperative_ids(request.user, (tenancy.Staff.MANAGER, tenancy.Staff.COMMITTEE))
    if not ids:
        raise Http404
    try:
        days = parse_int(request.GET.get("days"), minimum=0, maximum=MAX_EXPORT_DAYS, label=_("天数"))
    except InvalidNumber as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    since = timezone.localdate() - datetime.timedelta(days=days) if days is not None else None
    title, headers, rows = tables[what](ids, since=since)
    return table_response(title, headers, rows, fmt=fmt, filename=f"{what}-{timezone.localdate():%Y%m%d}")


# Included by coop/urls.py at "admin/dashboard/", before the admin (see the module docstring).
