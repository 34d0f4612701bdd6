from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("商城与订单")

    def ready(self):
        from django.core import checks

        # Imported here: services need the app registry, which is only ready now.
        from orders.services.payments import check_payment_provider

        # Likewise: the official account's check reads settings through the services.
        from orders.services.wechat import check_official_account

        checks.register(check_payment_provider, checks.Tags.security, deploy=True)
        checks.register(check_official_account)
