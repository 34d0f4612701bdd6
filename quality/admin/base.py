"""What the quality admin pages share: photo media, role checks, report photo thumbnails, and the admin home's
tables grouped by job (quality is the one app that knows all three)."""

import types

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coop.lib import tenancy


class CharterMedia:
    css = {"all": ["css/charter.css"]}


def _roles(request, obj_coop_id, roles):
    return request.user.is_superuser or obj_coop_id in tenancy.cooperative_ids(request.user, roles)


def _photos_html(report, size=160):
    photos = list(report.photos.all())
    if not photos:
        return _("（没有照片）")
    return format_html_join(" ", '<a href="{}" target="_blank"><img src="{}" alt="" width="{}" class="gs-photo"></a>',
                            ((p.private_url, p.private_url, size) for p in photos))


# The admin's tables grouped by the jobs of the workbench, in the order of the egg's day, instead of Django's
# alphabetical list of apps (40 tables under three app names say nothing to a cadre). Tables not named here come
# last, under 设置与记录, so a new model is never hidden.
JOB_GROUPS = [
    ("intake", _lazy("收蛋"), ["coop.delivery", "coop.farmer", "coop.village", "coop.priceschedule"]),
    ("packing", _lazy("包装"), ["coop.batch", "orders.allocation"]),
    ("labels", _lazy("标签与溯源"), ["quality.tracecode", "quality.labelsheet", "quality.compliancecertificate",
                                   "quality.scan"]),
    ("orders", _lazy("订单"), ["orders.order", "orders.groupbuy", "orders.payment", "orders.refund", "orders.product",
                             "orders.pickuppoint", "orders.buyer", "orders.paymentnotification",
                             "orders.tradebillcheck"]),
    ("quality", _lazy("质量"), ["quality.badeggreport", "quality.penalty", "quality.appeal", "quality.charter"]),
    ("settlements", _lazy("结算与基金"), ["coop.settlement", "coop.settlementrun", "coop.ledgerentry", "coop.fundentry",
                                        "coop.donation", "coop.hygieneinspection", "coop.hygienescore"]),
    ("programmes", _lazy("以购代捐"), ["orders.programme", "orders.buyerorganisation", "orders.pledge",
                                   "orders.programmeattribution", "orders.statement", "orders.acceptancerating",
                                   "orders.institutionalterms", "orders.programmecoordinator",
                                   "orders.monitoringpolicy"]),
]
OTHER_GROUP = ("settings", _lazy("设置与记录"))


def grouped_app_list(site, request, app_label=None):
    """``AdminSite.get_app_list`` with the home page's tables grouped by job (an app's own page stays Django's)."""
    if app_label is not None:
        return AdminSite.get_app_list(site, request, app_label)
    models = {}
    for app in site._build_app_dict(request).values():
        for model in app["models"]:
            models[f"{app['app_label']}.{model['object_name'].lower()}"] = model
    groups = []
    for key, name, members in JOB_GROUPS:
        rows = [models.pop(m) for m in members if m in models]
        if rows:
            groups.append({"name": str(name), "app_label": key, "app_url": f"{reverse('staff-workbench')}#job-{key}",
                           "has_module_perms": True, "models": rows})
    if models:
        groups.append({"name": str(OTHER_GROUP[1]), "app_label": OTHER_GROUP[0],
                       "app_url": f"{reverse('staff-workbench')}#job-settings",
                       "has_module_perms": True, "models": sorted(models.values(), key=lambda m: m["name"])})
    return groups


# Installed on the one admin site the project uses (as coop/admin/base.py sets its header and login form): a
# subclass would need a custom AdminConfig for a single method.
admin.site.get_app_list = types.MethodType(grouped_app_list, admin.site)
