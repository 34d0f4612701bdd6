"""Admin building blocks that apply the tenant rule (see coop/lib/tenancy.py)."""


from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from coop.forms import LockoutAdminAuthenticationForm
from coop.lib import tenancy
from coop.lib.validators import MOBILE_RE, mask_mobile, normalize_mobile
from coop.lib.words import person_name, yuan
from coop.models import (
    Cooperative,
)


class PageFiguresChangeList(ChangeList):
    """Lets the admin compute a column for the whole page at once (see ``PageFiguresAdmin``)."""

    def get_results(self, request):
        super().get_results(request)
        # Evaluating the page here fills result_list's cache: the template then renders these very rows.
        self.model_admin.page_figures(list(self.result_list))


class PageFiguresAdmin:
    """For a changelist column computed from other rows (a programme's income, a pledge's progress):
    ``page_figures(rows)`` sets it on the page's rows in a fixed number of queries; the column reads it."""

    # The admin using it defines ``page_figures(rows)``; no stub here, so one that forgets fails on its first
    # page in the tests (an AttributeError naming the admin), not with a blank column.

    def get_changelist(self, request, **kwargs):
        return PageFiguresChangeList


def money(field, description):
    """A list column showing ``field`` as money in words ("−¥6.00", not "-6.00"), sortable by the field."""

    @admin.display(description=description, ordering=field)
    def column(obj):
        return yuan(getattr(obj, field))

    column.__name__ = f"{field}_yuan"
    return column


def _person_column(model, name):
    """A list column for ``name`` that names the person, when ``name`` is a foreign key to the user model."""
    if not isinstance(name, str):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a method or an admin attribute, not a model field
        return None
    if not (field.many_to_one and field.related_model is get_user_model()):
        return None

    def column(obj):
        return person_name(getattr(obj, name)) or "—"

    column.short_description = field.verbose_name
    column.admin_order_field = name
    column.__name__ = name  # the column's CSS class and sort key stay the field's name
    return column


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
    # What the admin may do at all; a record that changes only through its service switches these off
    # (with the reason beside it) and the roles decide the rest.
    may_add = may_change = may_delete = True

    def get_list_display(self, request):
        """The list's columns, with every column that is a person (a foreign key to a user: 验收员, 记录人,
        操作人 …) showing the person's name, never the login ("inspector"): a user's ``str`` is its login."""
        return [_person_column(self.model, name) or name for name in super().get_list_display(request)]

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

    def _may_edit(self, request, allowed):
        return allowed and not self.readonly_in_admin and self._can(request, self.edit_roles)

    def has_add_permission(self, request):
        return self._may_edit(request, self.may_add)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, self.may_change)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, self.may_delete)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Only offer rows of the user's own cooperatives in every drop-down (and every raw-id box)."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        ids = tenancy.cooperative_ids(request.user, self.edit_roles)
        model = db_field.remote_field.model
        if model is Cooperative:
            field.queryset = field.queryset.filter(pk__in=ids)
        elif model is get_user_model():
            # People are platform-wide: a manager is offered the people of their own cooperatives, never
            # the platform's list of buyers (whose user names are often their phone numbers) and farmers.
            field.queryset = self.user_choices(request, ids).distinct()
            field.label_from_instance = user_label
        elif any(f.name == "cooperative" for f in model._meta.get_fields()):
            field.queryset = field.queryset.filter(cooperative__in=ids)
        if isinstance(field.widget, ForeignKeyRawIdWidget):
            field.widget = ScopedRawIdWidget(field.widget.rel, self.admin_site, field.queryset)
        return field

    def user_choices(self, request, ids):
        """The users a form of this admin may name: by default the staff of the cooperatives ``ids``."""
        return get_user_model().objects.filter(staff_roles__cooperative__in=ids, is_active=True)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = tenancy.cooperative_ids(request.user, self.edit_roles)
        if len(ids) == 1 and self.cooperative_path == "cooperative":
            initial.setdefault("cooperative", ids[0])
        return initial


def user_label(user):
    """How a person is named in a drop-down: their name, else their user name with a phone number masked."""
    name = user.get_full_name() or user.get_username()
    return mask_mobile(name) if MOBILE_RE.match(normalize_mobile(name)) else name


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """Django's raw-id box prints the label of whatever id was typed, looked up without any scope: after a
    failed save it would echo another cooperative's order number. This one names only rows the field offers."""

    def __init__(self, rel, admin_site, queryset):
        super().__init__(rel, admin_site)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        try:
            offered = self.queryset.filter(**{self.rel.get_related_field().name: value}).exists()
        except (ValueError, TypeError, ValidationError):
            offered = False
        return super().label_and_url_for_value(value) if offered else ("", "")


class AppendOnlyAdmin(CooperativeScopedAdmin):
    """For records that are never edited or deleted (ledger, audit trail): view only."""

    readonly_in_admin = True


admin.site.site_header = _("绿壳蛋合作社 · 管理后台")


admin.site.site_title = _("绿壳蛋合作社")


admin.site.index_title = _("合作社管理")


admin.site.login_form = LockoutAdminAuthenticationForm


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # shown inside a parent page that already applied the tenant rule


def ask_one_value(modeladmin, request, queryset, *, action, title, label=None, field=None, form_class=None,
                  summary=None, form_action="", hidden=None):
    """An intermediate page for an action that needs a value (payment reference, award amount).

    Returns the cleaned value (or the form's cleaned data, with ``form_class``) once the manager has
    submitted it, else a response showing the form. ``summary(queryset)`` may return
    ``{"columns": [...], "rows": [[...], ...], "total": [...]}``: a table of what the action will do
    (amounts and their total), shown above the form so the manager checks it before confirming.
    ``form_action`` is the list the form posts back to (default: this page's own), for a page shown by another
    action whose list no longer holds the rows (approve, then pay); ``hidden`` are fields the form carries back.
    """
    if form_class is None:
        field = field or forms.CharField(label=label, max_length=64)
        form_class = type("AskForm", (forms.Form,), {"value": field})
    if request.POST.get("confirm"):
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            return (data["value"] if "value" in data and len(data) == 1 else data), None
    else:
        form = form_class()
    context = {**modeladmin.admin_site.each_context(request), "title": title, "form": form, "objects": queryset,
               "action": action, "ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
               "checkbox": ACTION_CHECKBOX_NAME, "opts": modeladmin.model._meta,
               "summary": summary(queryset) if summary else None, "form_action": form_action,
               "hidden": sorted((hidden or {}).items())}
    return None, TemplateResponse(request, "coop/books/admin_ask.html", context)
