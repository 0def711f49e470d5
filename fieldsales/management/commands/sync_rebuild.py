from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from fieldsales.accounts import reps_queryset
from fieldsales.sync.feed import refresh_reps


class Command(BaseCommand):
    help = _(
        "Bring reps' sync feeds in step with the database after data was written past the services "
        "(raw SQL, a restore). Devices then receive what they miss and deletions for what they should not hold."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="*", help=_("Only these reps (default: every active rep)."))

    def handle(self, *args: Any, **options: Any) -> None:
        reps = reps_queryset()
        if options["usernames"]:
            reps = reps.filter(username__in=options["usernames"])
        ids = list(reps.values_list("pk", flat=True))
        refresh_reps(ids)
        self.stdout.write(_("Rebuilt the sync feed of %(count)d reps.") % {"count": len(ids)})
