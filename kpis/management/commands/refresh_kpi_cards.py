from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from clients.models import Client
from kpis.services import kpi_cards_refresh

BATCH = 500


class Command(BaseCommand):
    help = _("Recompute every client's KPI card (run daily: days since the last visit and statuses move with time).")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(Client.objects.filter(archived_at__isnull=True).values_list("pk", flat=True))
        changed = 0
        for start in range(0, len(ids), BATCH):
            changed += len(kpi_cards_refresh(client_ids=ids[start : start + BATCH]))
        self.stdout.write(f"{changed} / {len(ids)}")
