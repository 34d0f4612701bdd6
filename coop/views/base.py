"""What the collective's staff pages share: the manager's cooperative."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from coop.lib import tenancy
from coop.models import Cooperative, Staff

LOGIN = "/admin/login/"


def manager_cooperative(request):
    ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    if not ids:
        raise PermissionDenied(_("只有合作社管理员可以做这件事。"))
    wanted = request.GET.get("coop") or request.POST.get("coop")
    if wanted and wanted.isdigit() and int(wanted) in ids:
        return Cooperative.objects.get(pk=int(wanted))
    return Cooperative.objects.get(pk=ids[0])
