from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopConfig(AppConfig):
    name = "coop"
    verbose_name = _("合作社账本")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        # Imported here: services and models need the app registry, which is only ready now.
        from rest_framework.authtoken.models import Token

        from coop.lib.drf import token_changed, user_changed  # receivers, connected once the registry is ready

        # Imported here: services need the app registry, which is only ready now.
        from coop.services.notifications import check_wechat_channel
        from coop.services.sms import check_sms_provider  # (the same: after the app registry)

        checks.register(check_sms_provider, checks.Tags.security, deploy=True)
        checks.register(check_wechat_channel, checks.Tags.security, deploy=True)
        # A cached API token is forgotten when it is revoked or its user changes (coop/lib/drf.py).
        for signal in (post_save, post_delete):
            signal.connect(token_changed, sender=Token, dispatch_uid="coop-token-changed")
            signal.connect(user_changed, sender=get_user_model(), dispatch_uid="coop-user-changed")
