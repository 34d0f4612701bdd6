"""What the collective's staff pages share: the manager's cooperative."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.models import Staff

LOGIN = "/admin/login/"


def staff_cooperative(request, roles, refusal):
    """The cooperative a staff page works in (``?coop=`` picks one of several); ``refusal`` if none."""
    coop, _ids = tenancy.pick_cooperative(request.user, roles, request.GET.get("coop") or request.POST.get("coop"))
    if coop is None:
        raise PermissionDenied(refusal)
    return coop


def manager_cooperative(request):
    return staff_cooperative(request, (Staff.MANAGER,), _("只有合作社管理员可以做这件事。"))
