from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows and visits")

    def ready(self) -> None:
        from workflows import planning, sync

        sync.register()
        planning.connect_signals()
