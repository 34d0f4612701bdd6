"""Admin of the courier fee rules: the cooperative's manager only (inspectors and the committee have no say in
prices), each manager their own cooperative's table."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop.admin.base import CooperativeScopedAdmin
from coop.lib import tenancy
from orders.models import CourierFeeRegion, CourierFees
from orders.services import regions


class CourierFeeRegionForm(forms.ModelForm):
    # A select of the statistics bureau's provinces, so a rule can only name a province an address can have.
    province_code = forms.ChoiceField(label=_("省份"), choices=lambda: [("", "---------"), *regions.provinces()])

    class Meta:
        model = CourierFeeRegion
        fields = ["province_code", "fee"]


class CourierFeeRegionInline(admin.TabularInline):
    model = CourierFeeRegion
    form = CourierFeeRegionForm
    extra = 1

    # The parent page has applied the tenant rule and the manager-only roles; the rows follow it.
    def has_view_permission(self, request, obj=None):
        return CourierFeesAdmin._can_manage(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(CourierFees)
class CourierFeesAdmin(CooperativeScopedAdmin):
    view_roles = edit_roles = (tenancy.Staff.MANAGER,)
    list_display = ["cooperative", "default_fee", "free_from_boxes"]
    inlines = [CourierFeeRegionInline]

    @staticmethod
    def _can_manage(request):
        user = request.user
        return user.is_active and (user.is_superuser or tenancy.is_staff_of_any(user, (tenancy.Staff.MANAGER,)))
