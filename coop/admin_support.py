"""Admin building blocks that apply the tenant rule (see coop/tenancy.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop import security, tenancy
from coop.models import Cooperative


class CooperativeScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and permissions follow the cooperatives the user works for.

    ``cooperative_path`` is the lookup from the model to its cooperative. Access comes from the
    user's Staff roles rather than Django's per-model permissions, so giving someone a role in a
    cooperative is the whole of onboarding them.
    """

    cooperative_path = "cooperative"
    view_roles = tenancy.ALL_ROLES
    edit_roles = (tenancy.Staff.MANAGER,)
    readonly_in_admin = False  # append-only records (ledger, audit) set this

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if self.cooperative_path is None:
            return qs.filter(pk__in=tenancy.cooperative_ids(request.user, self.view_roles))
        return tenancy.scope(qs, request.user, self.cooperative_path, self.view_roles)

    def _can(self, request, roles):
        return request.user.is_active and (request.user.is_superuser or tenancy.is_staff_of_any(request.user, roles))

    def has_module_permission(self, request):
        return self._can(request, self.view_roles)

    def has_view_permission(self, request, obj=None):
        return self._can(request, self.view_roles)

    def has_add_permission(self, request):
        return not self.readonly_in_admin and self._can(request, self.edit_roles)

    def has_change_permission(self, request, obj=None):
        return not self.readonly_in_admin and self._can(request, self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return not self.readonly_in_admin and self._can(request, self.edit_roles)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Only offer rows of the user's own cooperatives in every drop-down."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        ids = tenancy.cooperative_ids(request.user, self.edit_roles)
        model = db_field.remote_field.model
        if model is Cooperative:
            field.queryset = field.queryset.filter(pk__in=ids)
        elif any(f.name == "cooperative" for f in model._meta.get_fields()):
            field.queryset = field.queryset.filter(cooperative__in=ids)
        return field

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = tenancy.cooperative_ids(request.user, self.edit_roles)
        if len(ids) == 1 and self.cooperative_path == "cooperative":
            initial.setdefault("cooperative", ids[0])
        return initial


class AppendOnlyAdmin(CooperativeScopedAdmin):
    """For records that are never edited or deleted (ledger, audit trail): view only."""

    readonly_in_admin = True


admin.site.site_header = _("绿壳蛋合作社 · 管理后台")
admin.site.site_title = _("绿壳蛋合作社")
admin.site.index_title = _("合作社管理")
# Wrong passwords lock a username+address out for a while (coop/security.py).
admin.site.login_form = security.LockoutAdminAuthenticationForm
