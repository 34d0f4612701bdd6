from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopConfig(AppConfig):
    name = "coop"
    verbose_name = _("合作社账本")

    def ready(self):
        from django.core import checks

        # Imported here: services need the app registry, which is only ready now.
        from coop.services.notifications import check_wechat_channel
        from coop.services.sms import check_sms_provider  # (the same: after the app registry)

        checks.register(check_sms_provider, checks.Tags.security, deploy=True)
        checks.register(check_wechat_channel, checks.Tags.security, deploy=True)
