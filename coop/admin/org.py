"""Admin of the collective's organisation: cooperatives, villages, staff and farmer households
(with the managers' actions to reset a household's PIN and print its member card)."""

from django.contrib import admin, messages
from django.contrib.admin import action
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from coop.admin.base import CooperativeScopedAdmin, ask_one_value
from coop.forms import FarmerAdminForm
from coop.lib import tenancy
from coop.lib.errors import DomainError
from coop.models import Cooperative, Farmer, Staff, Village
from coop.services import farmers as pin_service
from coop.services import twofactor
from coop.services.farmers import card_context, create_farmer, search_farmers, update_farmer


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


@action(description=gettext_lazy("重置两步验证（手机丢了或换了）"))
def reset_second_factor(modeladmin, request, queryset):
    """Remove the selected people's authenticator and recovery codes; they set up a new phone at their next
    sign-in. The service decides who may (a manager: other staff of their cooperatives) and audits each one."""
    reason, response = ask_one_value(modeladmin, request, queryset, action="reset_second_factor",
                                     title=_("重置两步验证"), label=_("原因（例如：手机丢了）"))
    if response is not None:
        return response
    done = 0
    for user in {staff.user for staff in queryset.select_related("user")}:
        try:
            twofactor.reset(user, by=request.user, reason=reason)
        except DomainError as exc:
            messages.error(request, f"{user.get_username()}：{exc.message}")
        else:
            done += 1
    if done:
        messages.success(request, _("已重置 %(n)d 人的两步验证。他们下次登录时重新扫码设置。") % {"n": done})
    return None


# django-otp's own admin pages show each authenticator's secret key (and its QR code) to whoever may open
# them: an operator could then make any manager's codes. Devices are managed only by their owner on
# /account/2fa/ and removed by the reset above (or `manage.py reset_2fa`), both audited.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(Staff)
class StaffAdmin(CooperativeScopedAdmin):
    list_display = ("user", "cooperative", "role", "second_factor")
    list_filter = ("role",)
    autocomplete_fields = ()
    actions = [reset_second_factor]

    def get_queryset(self, request):
        # One query for the list, not one per row: whether each person has a confirmed authenticator.
        enrolled = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
        return super().get_queryset(request).select_related("user", "cooperative").annotate(
            has_second_factor=Exists(enrolled))

    @admin.display(description=gettext_lazy("两步验证"))
    def second_factor(self, obj):
        return _("已设置") if obj.has_second_factor else _("未设置")


@admin.register(Farmer)
class FarmerAdmin(CooperativeScopedAdmin):
    list_display = ("member_no", "head_name", "village", "phone_masked", "poverty_status", "hens", "active",
                    "wechat_words")
    list_filter = ("village", "poverty_status", "active")
    # The household binds its WeChat itself (社员之家 → 消息); staff see whether it did, never the openid.
    readonly_fields = ("wechat_words",)
    search_fields = ("head_name", "member_no", "phone")  # shows the search box; get_search_results decides
    search_help_text = gettext_lazy("社员编号、手机尾号、姓名或拼音首字母（如 ajmr）")
    form = FarmerAdminForm  # payout account: replace, never read (coop/forms.py)
    actions = [reset_pin_and_print_card, print_cards]

    @admin.display(description=gettext_lazy("手机号"))
    def phone_masked(self, obj):
        return obj.masked_phone

    @admin.display(description=gettext_lazy("微信通知"))
    def wechat_words(self, obj):
        if not obj.wechat_openid:
            return _("未绑定（发短信）")
        if obj.wechat_bound_at is None:
            return _("已绑定微信")
        return _("已绑定微信（%(day)s）") % {"day": date_format(timezone.localtime(obj.wechat_bound_at), "Y年n月j日")}

    def get_search_results(self, request, queryset, search_term):
        # One search for every place a household is looked up (coop.services.farmers.search_farmers); this
        # also serves the autocomplete of every admin page that picks a household.
        if not search_term.strip():
            return queryset, False
        return search_farmers(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        # The same path as the API: saved and audited by coop.services.farmers.
        if not change:
            create_farmer(obj, user=request.user)
            return
        changed = {("payout_account" if name == "new_payout_account" else name) for name in form.changed_data}
        update_farmer(obj, {name: getattr(obj, name) for name in sorted(changed)}, user=request.user)
