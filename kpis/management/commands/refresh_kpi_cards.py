from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kpis.services import kpi_cards_refresh_all


class Command(BaseCommand):
    help = _("Recompute every client's KPI card (run daily: days since the last visit and statuses move with time).")

    def handle(self, *args: Any, **options: Any) -> None:
        changed, clients = kpi_cards_refresh_all()
        self.stdout.write(f"{changed} / {clients}")
