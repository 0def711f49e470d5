"""Collection visits: planning, in one go, a visit to each client of a selection whose debt has been overdue for too
long (the client list's bulk action, kpis/admin.py).

Which clients: those whose debt overdue for more than `days` days (`Debt.overdue_for_more_than`, the rule of
kpis/metrics.py, computed for the whole selection at once) is above nothing and at least `minimum`. Who visits them:
the rep chosen, or else each client's own reps (a supervisor's team only). The plans themselves are made by
workflows' `visit_plans_create`, one call per rep: it checks the rights, leaves out the clients the rep is not
assigned to, and sends the plans to the reps' phones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clients.selectors import clients_with_ids
from fieldsales.accounts import reps_to_pick
from kpis.metrics import debts
from workflows.planning import visit_plans_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from clients.models import Client
    from workflows.models import Workflow

# What the form offers by default: a debt overdue for more than a month.
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class CollectionPlanned:
    """What planning collection visits did: the plans made, the reps they were made for, the clients of the
    selection planned, and those left out (no debt overdue long enough, or none of their reps could be planned)."""

    created: int
    reps: int
    clients: int
    left_out: int


def clients_overdue(
    *, clients: QuerySet[Client], days: int, minimum: Decimal | None = None, today: dt.date | None = None
) -> list[str]:
    """The ids of `clients` whose debt overdue for more than `days` days is above nothing and at least `minimum`.
    Two queries, whatever the number of clients."""
    today = today or timezone.localdate()
    found = []
    for client_id, debt in debts(clients=clients, today=today).items():
        late = debt.overdue_for_more_than(days)
        if late > 0 and (minimum is None or late >= minimum):
            found.append(client_id)
    return sorted(found)


def _by_rep(*, user: User, client_ids: list[str], rep: User | None) -> list[tuple[User, list[str]]]:
    """Who visits which of these clients: `rep`, or else each client's own reps among those `user` may plan for (a
    supervisor: their team), by rep's name. Two queries."""
    if rep is not None:
        return [(rep, client_ids)] if client_ids else []
    pairs = (
        clients_with_ids(client_ids)
        .filter(assignments__rep__in=reps_to_pick(user=user))
        .values_list("pk", "assignments__rep")
    )
    wanted: dict[int, list[str]] = {}
    for client_id, rep_id in pairs:
        wanted.setdefault(rep_id, []).append(str(client_id))
    reps = reps_to_pick(user=user).filter(pk__in=list(wanted)).order_by("username")
    return [(person, sorted(wanted[person.pk])) for person in reps]


@transaction.atomic
def collection_visits_plan(
    *,
    user: User,
    clients: QuerySet[Client],
    days: int,
    workflow: Workflow,
    starts_on: dt.date,
    repeat: str,
    ends_on: dt.date | None = None,
    minimum: Decimal | None = None,
    rep: User | None = None,
    today: dt.date | None = None,
) -> CollectionPlanned:
    """Plan a visit with `workflow` to each of `clients` whose debt is overdue for more than `days` days (at least
    `minimum`), by `rep` or else by each client's own reps, through `visit_plans_create` per rep (which raises a
    ValidationError for a rep outside a supervisor's team, an inactive workflow, an end before the start). Queries: a
    few, then `visit_plans_create`'s per rep."""
    total = clients.order_by().values("pk").distinct().count()
    due = clients_overdue(clients=clients, days=days, minimum=minimum, today=today)
    created, reps = 0, 0
    planned_clients: set[Any] = set()
    for person, ids in _by_rep(user=user, client_ids=due, rep=rep):
        planned = visit_plans_create(
            user=user,
            clients=clients_with_ids(ids),
            rep=person,
            workflow=workflow,
            starts_on=starts_on,
            repeat=repeat,
            ends_on=ends_on,
        )
        created += planned.created
        reps += 1 if planned.created else 0
        # A client of two reps is planned twice, and counted once.
        planned_clients.update(planned.client_ids)
    count = len(planned_clients)
    return CollectionPlanned(created=created, reps=reps, clients=count, left_out=total - count)
