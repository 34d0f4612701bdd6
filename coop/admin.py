from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coop.admin_support import AppendOnlyAdmin, CooperativeScopedAdmin
from coop.farmer import admin_actions as farmer_actions
from coop.forms_books import FarmerAdminForm
from coop.models import AuditEvent, Cooperative, Farmer, Notification, Staff, Village


@admin.register(Cooperative)
class CooperativeAdmin(CooperativeScopedAdmin):
    cooperative_path = None  # the row *is* the cooperative
    list_display = ("name", "producer_code", "township", "county", "prefecture")
    search_fields = ("name", "producer_code")

    def has_add_permission(self, request):
        return request.user.is_superuser  # new tenants are created by the platform operator

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Village)
class VillageAdmin(CooperativeScopedAdmin):
    list_display = ("name", "cooperative", "township", "altitude_m")
    list_filter = ("cooperative",)
    search_fields = ("name",)


@admin.register(Staff)
class StaffAdmin(CooperativeScopedAdmin):
    list_display = ("user", "cooperative", "role")
    list_filter = ("role",)
    autocomplete_fields = ()


@admin.register(Farmer)
class FarmerAdmin(CooperativeScopedAdmin):
    list_display = ("member_no", "head_name", "village", "phone_masked", "poverty_status", "hens", "active")
    list_filter = ("village", "poverty_status", "active")
    search_fields = ("head_name", "member_no", "phone")
    form = FarmerAdminForm  # payout account: replace, never read (coop/forms_books.py)
    actions = [farmer_actions.reset_pin_and_print_card, farmer_actions.print_cards]  # coop/farmer (issue 8)

    @admin.display(description=_("手机号"))
    def phone_masked(self, obj):
        return obj.masked_phone


@admin.register(AuditEvent)
class AuditEventAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor_label", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "reason", "action", "object_type")
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "event", "farmer", "phone", "channel", "status", "attempts", "sent_at")
    list_filter = ("status", "event", "channel")
    search_fields = ("dedupe_key", "phone", "farmer__head_name", "farmer__member_no")  # log (issue 8)
    inlines = [farmer_actions.NotificationAttemptInline]

from coop import admin_books  # noqa: E402,F401  (deliveries, batches, ledger, settlements, fund)
