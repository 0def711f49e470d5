from django.apps import AppConfig
from django.core.checks import Tags, register
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Workflows' signal module holds no model, so it can be read while the app registry is still loading.
from workflows.signals import client_history_changed


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("KPIs and statements")

    def ready(self) -> None:
        from kpis import checks, panels, sync, tasks  # noqa: F401 - tasks: the jobs, by name
        from kpis.services import kpi_cards_follow, kpi_folders_after_migrate

        sync.register()
        panels.register()
        register(checks.kpi_definitions_known, Tags.database)
        client_history_changed.connect(kpi_cards_follow, dispatch_uid="kpis.kpi_cards_follow")
        post_migrate.connect(kpi_folders_after_migrate, sender=self, dispatch_uid="kpis.kpi_folders_after_migrate")
