"""Shared pieces of the REST API: pagination, the one error shape, tenant-scoped viewsets."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from coop.lib import tenancy
from coop.lib.errors import DomainError


def _flatten(detail):
    if isinstance(detail, list):
        return " ".join(_flatten(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    return str(detail)


class InUse(exceptions.APIException):
    status_code = 409
    default_code = "in_use"
    default_detail = "still referenced"


def domain_error_body(exc):
    """The error shape for a ``DomainError``: its code and message, and ``fields`` when it names a field."""
    body = {"code": exc.code, "message": exc.message}
    if exc.field:
        body["fields"] = {exc.field: [exc.message]}
    return {"error": body}


def exception_handler(exc, context):
    """Every API error answers ``{"error": {"code", "message", "fields"?}}`` with a translated message.

    This is the only place the API builds an error body. A ``DomainError`` (coop/lib/errors.py) answers
    with its own ``status`` (and ``Retry-After`` when it has ``retry_after``); API views let it propagate.
    """
    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(domain_error_body(exc), status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        # Deleting a row that other rows still point at (a village with households): refuse, keep both.
        exc = InUse(_("还有其他记录引用它，不能删除。"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"code": getattr(exc, "default_code", "error"), "message": ""}
    if isinstance(exc, exceptions.ValidationError):
        body["code"] = "invalid"
        body["message"] = _("提交的数据有误，请检查后重试。")
        detail = exc.detail
        if isinstance(detail, dict):
            body["fields"] = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
            non_field = body["fields"].pop("non_field_errors", None)
            if non_field:
                body["message"] = " ".join(non_field)
        else:
            body["message"] = _flatten(detail)
    else:
        detail = getattr(exc, "detail", None)
        body["message"] = _flatten(detail) if detail is not None else str(exc)
        if isinstance(detail, exceptions.ErrorDetail):
            body["code"] = detail.code
    response.data = {"error": body}
    return response


class IsCooperativeStaff(permissions.BasePermission):
    """Signed-in staff of some cooperative. Writes need a role in ``view.edit_roles``."""

    message = _("只有合作社工作人员可以访问。")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return tenancy.is_staff_of_any(user, getattr(view, "view_roles", tenancy.ALL_ROLES))
        return tenancy.is_staff_of_any(user, getattr(view, "edit_roles", (tenancy.Staff.MANAGER,)))


class CooperativeScopedMixin:
    """Tenant scoping for an API view: it only ever sees rows of the caller's cooperatives.

    Rows of other cooperatives answer 404, exactly like rows that do not exist, so ids reveal
    nothing. ``cooperative_path`` leads from a row to its cooperative (``"pk"`` for the cooperatives
    themselves); ``view_roles`` may read, ``edit_roles`` may write. On create the cooperative is the
    caller's own (or the one they name, if they work for several and may edit it). The mixin offers
    no verbs: an endpoint takes them from one of the bases below.
    """

    permission_classes = [IsCooperativeStaff]
    cooperative_path = "cooperative"
    view_roles = tenancy.ALL_ROLES
    edit_roles = (tenancy.Staff.MANAGER,)

    def get_queryset(self):
        qs = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        return tenancy.scope(qs, self.request.user, self.cooperative_path, self.view_roles)

    def caller_cooperative(self, requested_id=None):
        coop, ids = tenancy.pick_cooperative(self.request.user, self.edit_roles, requested_id)
        if requested_id not in (None, "") and (coop is None or str(coop.pk) != str(requested_id).strip()):
            raise exceptions.ValidationError({"cooperative": [_("你不能在这个合作社下创建记录。")]})
        if requested_id in (None, "") and len(ids) != 1:
            raise exceptions.ValidationError({"cooperative": [_("你管理多个合作社，请指定 cooperative。")]})
        return coop


# The scoped bases: each endpoint says by its base exactly which verbs it offers; any other verb answers 405
# (after authentication and permissions, like every request). ``@action`` routes come on top.


class ScopedReadOnlyViewSet(CooperativeScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """list, retrieve."""


class ScopedCreateReadViewSet(CooperativeScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                              mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """create, list, retrieve: rows that are never edited nor deleted through the API."""


class ScopedModelViewSet(CooperativeScopedMixin, viewsets.ModelViewSet):
    """create, list, retrieve, update, partial_update, destroy."""


class PageFiguresMixin:
    """For a list whose rows show a computed figure (boxes left, income, a pledge's progress): the
    viewset's ``page_figures(rows)`` computes it for the whole page in a fixed number of queries and
    sets it on each row, and the serializer reads it from there — instead of two queries a row.
    A single object (retrieve) is computed alone by the serializer's fallback. The viewset defines
    ``page_figures``; there is no stub here, so one that forgets fails loudly on its first list."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.page_figures(page)
        return page
