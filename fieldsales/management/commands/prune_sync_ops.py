import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from fieldsales.sync.push import OPS_KEPT, prune_ops

MINIMUM_DAYS = OPS_KEPT.days


class Command(BaseCommand):
    help = _(
        "Forget the results of pushed ops older than --days (at least 90: the sync contract keeps them that long)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=MINIMUM_DAYS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < MINIMUM_DAYS:
            raise CommandError(_("--days must be at least 90."))
        count = prune_ops(older_than=dt.timedelta(days=options["days"]))
        self.stdout.write(_("Forgot %(count)d op results.") % {"count": count})
