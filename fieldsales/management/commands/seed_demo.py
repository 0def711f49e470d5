"""`manage.py seed_demo`: demo users, a points-of-sale list, workflows, KPIs and six months of history.

The data and how each part is built live in `fieldsales.demo` (its docstring says how a second run adds nothing);
this command reads the options, runs the builders in one transaction and prints what the database holds.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils.translation import gettext as _

from clients.models import Assignment, AttributeDefinition, Client, ClientList, ListAccess
from fieldsales.accounts import reps_queryset
from fieldsales.demo.clients import seed_clients
from fieldsales.demo.identity import demo_id
from fieldsales.demo.kpis import seed_targets
from fieldsales.demo.plans import seed_plans
from fieldsales.demo.reference import seed_reference_data
from fieldsales.demo.users import seed_users
from fieldsales.models import Profile
from fieldsales.sync.feed import refresh_reps
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry, Target
from kpis.services import kpi_cards_refresh_all
from workflows.models import Activity, ActivitySubmission, Note, OrderLine, Product, Visit, VisitPlan, Workflow

# The tests name the demo's rows with `demo_id` and shorten the history through `HISTORY_CLIENTS`, both here.
__all__ = ["HISTORY_CLIENTS", "Command", "demo_id"]

User = get_user_model()

DEFAULT_CLIENTS = 300
DEFAULT_PASSWORD = "fieldsales"  # noqa: S105 - the documented demo password
# Visits, orders, notes and the ledger are made for the first clients only, so that --clients 10000 stays fast.
HISTORY_CLIENTS = 2000

# What the summary counts, in this order.
SEEDED_MODELS: tuple[type[models.Model], ...] = (
    User,
    Group,
    Profile,
    ClientList,
    AttributeDefinition,
    ListAccess,
    Client,
    Assignment,
    Product,
    Workflow,
    Activity,
    Visit,
    VisitPlan,
    ActivitySubmission,
    OrderLine,
    Note,
    LedgerEntry,
    KpiFolder,
    KpiDefinition,
    Target,
)


class Command(BaseCommand):
    help = _(
        "Load the demo data: the users admin, clerk, manager, sup1, rep1 and rep2, the “Points de vente” list and "
        "its clients, products, two workflows, KPIs and monthly targets, and six months of visits, orders, notes and "
        "ledger entries for the first %(history)d clients (whatever --clients says, so that large runs stay "
        "fast). Idempotent: a second run adds nothing and leaves existing rows as they are, except the demo users' "
        "roles and password, which are set again."
    ) % {"history": HISTORY_CLIENTS}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=DEFAULT_CLIENTS,
            help=_("Number of clients to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("Password of every demo user, set on each run (default: %(default)s)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["clients"]
        password: str = options["password"]
        if count < 1:
            raise CommandError(_("--clients must be at least 1."))
        if not password:
            raise CommandError(_("--password must not be empty."))
        started = time.monotonic()
        with transaction.atomic():
            users = seed_users(password)
            demo = seed_reference_data(users)
            sales = seed_clients(demo, count, history_clients=HISTORY_CLIENTS)
            seed_targets(demo, sales)
            seed_plans(demo)
            # The rows above were bulk-written, past the services: bring the reps' sync feeds in step at once.
            refresh_reps(reps_queryset().values_list("pk", flat=True))
            # Likewise the KPI cards, which the services keep up to date from then on.
            kpi_cards_refresh_all()
        if options["verbosity"] >= 1:
            self.print_summary(time.monotonic() - started, count)

    def print_summary(self, seconds: float, count: int) -> None:
        self.stdout.write(self.style.SUCCESS(_("Demo data ready in %(seconds).1f s.") % {"seconds": seconds}))
        for model in SEEDED_MODELS:
            self.stdout.write(f"  {model._meta.verbose_name_plural}: {model._default_manager.count()}")
        if count > HISTORY_CLIENTS:
            self.stdout.write(
                _("Visits, orders, notes and the ledger cover the first %(history)d of %(count)d clients.")
                % {"history": HISTORY_CLIENTS, "count": count}
            )
