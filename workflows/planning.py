"""Visit planning: the days a plan falls on, the plans of a window of days, what conflicts, and planning many clients
at once (the client list's bulk action). A planned day is moved or dropped on the plan's page (`PlanMove`).

A plan repeats by days (every 7, 14 or 28 days from its first visit: the same weekday, whatever the month) or by
months (the same day of the month; the 29th, 30th and 31st fall on the month's last day in shorter months, and come
back to their own day after). Both read only dates, never times: a plan is for a day in the rep's working calendar.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from fieldsales.accounts import team_of
from workflows.models import PlanMove, RepAbsence, Repeat, VisitPlan, Workflow

if TYPE_CHECKING:
    from django.contrib.auth.models import User

STEP_DAYS = {Repeat.WEEKLY: 7, Repeat.FORTNIGHTLY: 14, Repeat.FOUR_WEEKLY: 28}

# Plans written per statement when many clients are planned at once.
BATCH = 1000

AWAY = "away"
TWICE = "twice"
CONFLICT_LABELS = {
    AWAY: _("The rep is away that day."),
    TWICE: _("The client is planned more than once that day."),
}
WORKFLOW_INACTIVE = _("This workflow is inactive: plan visits with an active one.")
ENDS_BEFORE = _("The last day cannot come before the first visit.")
NOT_IN_TEAM = _("You can only plan visits for the reps of your team.")


def repeat_days(
    *, starts_on: dt.date, repeat: str, ends_on: dt.date | None, first: dt.date, last: dt.date
) -> list[dt.date]:
    """The days from `first` to `last` (both included) that a plan starting on `starts_on`, repeating as `repeat`
    until `ends_on` (included; None: without end), falls on, in order."""
    first, last = max(first, starts_on), min(last, ends_on) if ends_on is not None else last
    if first > last:
        return []
    if repeat == Repeat.ONCE:
        return [starts_on] if first <= starts_on <= last else []
    if repeat == Repeat.MONTHLY:
        return [day for day in _month_days(starts_on.day, first, last) if first <= day <= last]
    step = STEP_DAYS[Repeat(repeat)]
    day = first + dt.timedelta(days=-(first - starts_on).days % step)
    days = []
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=step)
    return days


def _month_days(day_of_month: int, first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """`day_of_month` of each month from `first`'s to `last`'s, or the month's last day when it has fewer days."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield dt.date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class PlanRule(Protocol):
    """What the days of a plan depend on: a VisitPlan, or a row of one read without the rest (`PlanRow`)."""

    @property
    def starts_on(self) -> dt.date: ...

    @property
    def repeat(self) -> str: ...

    @property
    def ends_on(self) -> dt.date | None: ...


@dataclass(frozen=True)
class PlanRow:
    """A plan as a window of many reads it: what its days and conflicts depend on, no more."""

    pk: Any
    rep_id: int
    client_id: Any
    starts_on: dt.date
    repeat: str
    ends_on: dt.date | None


def plan_days(plan: PlanRule, first: dt.date, last: dt.date, moves: Iterable[PlanMove] = ()) -> list[dt.date]:
    """The days from `first` to `last` the plan falls on, with its moved days (`moves`: the plan's) where they were
    moved to."""
    moved = {move.from_day: move.to_day for move in moves}
    days = {
        day
        for day in repeat_days(
            starts_on=plan.starts_on, repeat=plan.repeat, ends_on=plan.ends_on, first=first, last=last
        )
        if day not in moved
    }
    days.update(day for day in moved.values() if day is not None and first <= day <= last)
    return sorted(days)


def _window(first: dt.date, last: dt.date, plans: QuerySet[VisitPlan]) -> list[tuple[PlanRow, list[dt.date]]]:
    """Each of `plans` that falls on a day from `first` to `last`, as a row, with those days. Queries: two, whatever
    the number of plans (10,000 weekly plans read in a few hundred milliseconds)."""
    moves: dict[Any, list[PlanMove]] = {}
    for move in PlanMove.objects.filter(
        Q(from_day__range=(first, last)) | Q(to_day__range=(first, last)), plan__in=plans.values("pk")
    ).only("plan_id", "from_day", "to_day"):
        moves.setdefault(move.plan_id, []).append(move)
    current = Q(ends_on__isnull=True) | Q(ends_on__gte=first)
    rows = [
        PlanRow(*values)
        for values in plans.filter((current & Q(starts_on__lte=last)) | Q(pk__in=list(moves)))
        .order_by("starts_on", "pk")
        .values_list("pk", "rep_id", "client_id", "starts_on", "repeat", "ends_on")
    ]
    found = [(row, plan_days(row, first, last, moves.get(row.pk, ()))) for row in rows]
    return [(row, days) for row, days in found if days]


def plans_between(first: dt.date, last: dt.date, **filters: Any) -> list[tuple[VisitPlan, list[dt.date]]]:
    """Each plan (matching `filters`) that falls on a day from `first` to `last`, with those days. Queries: three."""
    due = _window(first, last, VisitPlan.objects.filter(**filters))
    plans = VisitPlan.objects.select_related("client", "rep", "workflow").in_bulk([row.pk for row, _days in due])
    return [(plans[row.pk], days) for row, days in due]


@dataclass(frozen=True)
class Conflict:
    """Something wrong with the plans of one day: a rep away (AWAY: `rep`, and how many of their plans fall on the
    day, `count`), or a client planned more than once (TWICE: those `plans`)."""

    kind: str
    day: dt.date
    plans: tuple[VisitPlan, ...] = ()
    rep: Any = None
    count: int = 0

    @property
    def label(self) -> str:
        return str(CONFLICT_LABELS[self.kind])


def plan_conflicts(first: dt.date, last: dt.date, **filters: Any) -> list[Conflict]:
    """The conflicts of the plans (matching `filters`: a supervisor's reps, say) from `first` to `last`, by day: a rep
    planned on a day they are away, a client planned twice on one day (by one rep or two, whatever other plans
    `filters` leaves out). Only the plans planned twice are read whole. Queries: five, or seven with `filters`."""
    mine = VisitPlan.objects.filter(**filters)
    due = _window(first, last, VisitPlan.objects.filter(client_id__in=mine.values("client_id")) if filters else mine)
    own = {row.pk for row, _days in due} if not filters else set(mine.values_list("pk", flat=True))
    away: dict[int, list[tuple[dt.date, dt.date]]] = {}
    reps = {row.rep_id for row, _days in due if row.pk in own}
    for absence in RepAbsence.objects.filter(rep_id__in=reps, starts_on__lte=last, ends_on__gte=first):
        away.setdefault(absence.rep_id, []).append((absence.starts_on, absence.ends_on))
    away_days: dict[tuple[int, dt.date], int] = {}
    by_client_day: dict[tuple[Any, dt.date], list[Any]] = {}
    for row, days in due:
        for day in days:
            by_client_day.setdefault((row.client_id, day), []).append(row.pk)
            if row.pk in own and any(start <= day <= end for start, end in away.get(row.rep_id, ())):
                away_days[row.rep_id, day] = away_days.get((row.rep_id, day), 0) + 1
    twice = [
        (day, pks) for (_client, day), pks in by_client_day.items() if len(pks) > 1 and any(pk in own for pk in pks)
    ]
    plans = VisitPlan.objects.select_related("client", "rep").in_bulk({pk for _day, pks in twice for pk in pks})
    people = get_user_model().objects.in_bulk({rep_id for rep_id, _day in away_days})
    conflicts = [Conflict(TWICE, day, plans=tuple(plans[pk] for pk in pks)) for day, pks in twice]
    conflicts += [Conflict(AWAY, day, rep=people[rep_id], count=count) for (rep_id, day), count in away_days.items()]
    return sorted(
        conflicts, key=lambda conflict: (conflict.day, conflict.kind, str(conflict.rep or conflict.plans[0].client))
    )


@dataclass(frozen=True)
class Planned:
    """What planning many clients did: the plans made, and the clients left out (archived, not the rep's, or on a
    list the workflow is not for)."""

    created: int
    left_out: int


@transaction.atomic
def visit_plans_create(
    *,
    user: User,
    clients: QuerySet[Client],
    rep: User,
    workflow: Workflow,
    starts_on: dt.date,
    repeat: str,
    ends_on: dt.date | None = None,
) -> Planned:
    """Plan a visit of `rep` with `workflow` to each of `clients` that the rep is assigned to (not archived, on a list
    the workflow is for): once on `starts_on`, or repeating from it until `ends_on`. A supervisor plans their own
    reps only. Queries: a few, then one insert per BATCH plans (10,000 clients: about ten)."""
    team = team_of(user=user)
    if team is not None and not team.filter(pk=rep.pk).exists():
        raise ValidationError({"rep": [NOT_IN_TEAM]})
    if not workflow.active:
        raise ValidationError({"workflow": [WORKFLOW_INACTIVE]})
    if repeat == Repeat.ONCE:
        ends_on = None
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": [ENDS_BEFORE]})
    eligible = clients.filter(archived_at__isnull=True, assignments__rep=rep)
    lists = list(workflow.client_lists.values_list("pk", flat=True))
    if lists:
        eligible = eligible.filter(client_list__in=lists)
    ids = list(eligible.order_by().values_list("pk", flat=True).distinct())
    total = clients.order_by().values("pk").distinct().count()
    plans = [
        VisitPlan(
            rep=rep,
            client_id=client_id,
            workflow=workflow,
            starts_on=starts_on,
            repeat=repeat,
            ends_on=ends_on,
            created_by=user,
        )
        for client_id in ids
    ]
    VisitPlan.objects.bulk_create(plans, batch_size=BATCH)
    return Planned(created=len(plans), left_out=total - len(plans))
