import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from fieldsales.jobs import run_ready, schedule_due, stalled_requeue, work


class Command(BaseCommand):
    help = _(
        "Run the queued and scheduled jobs until stopped (on one node or several, as many as wanted). "
        "--once runs what is ready now, then stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help=_("Run the jobs ready now, then stop."))

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        if once:
            schedule_due()
            stalled_requeue()
            self.stdout.write(_("Jobs run: %(count)d") % {"count": run_ready()})
            return
        stop = threading.Event()

        def finish(signum: int, frame: Any) -> None:
            # The job running ends first; a second signal stops at once.
            signal.signal(signum, signal.SIG_DFL)
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, finish)
        work(stop)
