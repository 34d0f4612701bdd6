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

        _connect_stock_figure()
        checks.register(check_payment_provider, checks.Tags.security, deploy=True)
        checks.register(check_official_account)


def _connect_stock_figure():
    """Every batch write refreshes the shop's sold-out figure (orders/services/stock.py): saved (packed,
    edited), deleted, or a status change (an update(), so post_save does not see it — coop sends its own
    signal, as coop never imports orders)."""
    from django.db.models.signals import post_delete, post_save

    # Imported here, as in ready(): models and services need the app registry, which is only ready now.
    from coop.models import Batch
    from coop.services.batches import batch_status_changed  # app registry, as above
    from orders.services.stock import batch_changed  # app registry, as above

    def batch_saved(sender, instance, **kwargs):
        batch_changed(sender, batch=instance)

    post_save.connect(batch_saved, sender=Batch, weak=False, dispatch_uid="orders.stock.batch_saved")
    post_delete.connect(batch_saved, sender=Batch, weak=False, dispatch_uid="orders.stock.batch_deleted")
    batch_status_changed.connect(batch_changed, sender=Batch, dispatch_uid="orders.stock.batch_status")
