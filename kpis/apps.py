from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Workflows' signal module holds no model, so it can be read while the app registry is still loading.
from workflows.signals import client_history_changed


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs and statements")

    def ready(self) -> None:
        from kpis import sync
        from kpis.services import kpi_cards_follow

        sync.register()
        client_history_changed.connect(kpi_cards_follow, dispatch_uid="kpis.kpi_cards_follow")
