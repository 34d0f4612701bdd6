"""What the quality admin pages share: photo media, role checks, report photo thumbnails."""

from django.utils.html import format_html_join
from django.utils.translation import gettext as _

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
                            ((p.image.url, p.image.url, size) for p in photos))
