from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs and statements")

    def ready(self) -> None:
        from kpis import sync

        sync.register()
