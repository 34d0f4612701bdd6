from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("质量与溯源")

    def ready(self):
        from quality import signals  # noqa: F401 - connects the receivers; apps must be loaded first
