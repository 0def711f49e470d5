import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kpis.delivery import deliveries_process


class Command(BaseCommand):
    help = _("Send the account statements that are due, and retry those a provider refused. --loop keeps at it.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help=_("Keep sending every --interval seconds."))
        parser.add_argument("--interval", type=int, default=30)

    def handle(self, *args: Any, loop: bool = False, interval: int = 30, **options: Any) -> None:
        while True:
            counts = deliveries_process()
            if counts:
                self.stdout.write(", ".join(f"{status}: {count}" for status, count in sorted(counts.items())))
            if not loop:
                return
            time.sleep(interval)
