import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fieldsales.imports.runner import import_jobs_run_pending


class Command(BaseCommand):
    help = _(
        "Run the import files waiting, and those whose process stopped on the way (a restart of the server). "
        "--loop keeps at it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help=_("Keep looking every --interval seconds."))
        parser.add_argument("--interval", type=int, default=30)

    def handle(self, *args: Any, loop: bool = False, interval: int = 30, **options: Any) -> None:
        while True:
            ran = import_jobs_run_pending()
            if ran:
                self.stdout.write(_("Imports run: %(count)d") % {"count": ran})
            if not loop:
                return
            time.sleep(interval)
