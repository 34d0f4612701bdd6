"""Admin actions for managers: reset a household's PIN and print its member card."""

from django.contrib import admin, messages
from django.contrib.admin import action
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coop import tenancy
from coop.farmer import pin as pin_service
from coop.farmer.cards import card_context
from coop.models import NotificationAttempt, Staff


@action(description=gettext_lazy("重设密码并打印社员卡"))
def reset_pin_and_print_card(modeladmin, request, queryset):
    """New random PINs for the selected households (a lock is lifted too), shown once on printable cards."""
    allowed = set(tenancy.cooperative_ids(request.user, (Staff.MANAGER,)))
    farmers = [f for f in queryset.select_related("cooperative", "village")
               if request.user.is_superuser or f.cooperative_id in allowed]
    if not farmers:
        messages.error(request, _("只有合作社管理员可以重设密码。"))
        return None
    cards = []
    for farmer in farmers:
        new_pin = pin_service.set_pin(farmer, by=request.user, reason=_("管理员重设密码"))
        cards.append(card_context(farmer, pin=new_pin, request=request))
    response = render(request, "coop/farmer/card.html", {"cards": cards, "own": False})
    # The PINs are on this page only: never cache it anywhere.
    response["Cache-Control"] = "no-store"
    return response


@action(description=gettext_lazy("打印社员卡（不含密码）"))
def print_cards(modeladmin, request, queryset):
    cards = [card_context(f, request=request) for f in queryset.select_related("cooperative", "village")]
    return render(request, "coop/farmer/card.html", {"cards": cards, "own": False})


class NotificationAttemptInline(admin.TabularInline):
    """Each call to the channel for one notification: when, ok or the error, the gateway's message id."""

    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = ("created_at", "channel", "ok", "provider_ref", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
