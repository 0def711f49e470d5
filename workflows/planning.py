"""Visit planning: the days a plan falls on, the plans of a window of days, what conflicts, and planning many clients
at once (the client list's bulk action). A planned day is moved or dropped on the plan's page (`PlanMove`).

A plan repeats by days (every 7, 14 or 28 days from its first visit: the same weekday, whatever the month) or by
months (the same day of the month; the 29th, 30th and 31st fall on the month's last day in shorter months, and come
back to their own day after). Both read only dates, never times: a plan is for a day in the rep's working calendar.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.models import Assignment, Client
from fieldsales.accounts import team_of
from fieldsales.models import SyncEntry
from fieldsales.sync import feed
from fieldsales.sync.registry import TYPES
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

# The days of a plan a rep's phone holds (its record's `days`): the last week, for what was missed, and four weeks
# ahead, so that a phone offline for weeks still knows its days. The window moves nightly (`plans_window_move`).
PHONE_DAYS_BACK = 7
PHONE_DAYS_AHEAD = 28
# The feed's name for plans (workflows/records.py registers it).
PLAN_TYPE = "visit_plan"


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


def plans_window(first: dt.date, last: dt.date, plans: QuerySet[VisitPlan]) -> list[tuple[PlanRow, list[dt.date]]]:
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


def phone_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of the plans a phone holds."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=PHONE_DAYS_BACK), today + dt.timedelta(days=PHONE_DAYS_AHEAD)


def plans_on_phones(plans: QuerySet[VisitPlan]) -> list[tuple[PlanRow, list[dt.date]]]:
    """Those of `plans` a phone holds (that fall on a day of its window), with their days in it."""
    return plans_window(*phone_window(), plans)


def plans_published(ids: Iterable[Any]) -> None:
    """Send these plans (made, changed, moved or deleted) to their reps' phones, and `deleted` to a phone that held
    one no longer its rep's or out of its window."""
    feed.publish(PLAN_TYPE, ids)


def plans_window_move() -> int:
    """The nightly move of the phones' window: every plan a phone holds, and every one the window now reaches, is sent
    again with its days of the new window (or as deleted once out of it, however many nights went by). Returns how
    many."""
    held = SyncEntry.objects.filter(kind=TYPES[PLAN_TYPE].rank, deleted=False).values_list("entity_id", flat=True)
    ids = {str(row.pk) for row, _days in plans_window(*phone_window(), VisitPlan.objects.all())} | set(held.distinct())
    plans_published(ids)
    return len(ids)


def plan_changed(*, sender: Any, instance: Any, **kwargs: Any) -> None:
    """A plan or one of its moves saved or deleted, wherever (the admin, an import, the shell): its rep's phone
    follows."""
    plans_published([instance.plan_id if isinstance(instance, PlanMove) else instance.pk])


def connect_signals() -> None:
    for model in (VisitPlan, PlanMove):
        post_save.connect(plan_changed, sender=model, dispatch_uid=f"plan_changed_save_{model.__name__}")
        post_delete.connect(plan_changed, sender=model, dispatch_uid=f"plan_changed_delete_{model.__name__}")


def plans_between(first: dt.date, last: dt.date, **filters: Any) -> list[tuple[VisitPlan, list[dt.date]]]:
    """Each plan (matching `filters`) that falls on a day from `first` to `last`, with those days. Queries: three."""
    due = plans_window(first, last, VisitPlan.objects.filter(**filters))
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
    due = plans_window(
        first, last, VisitPlan.objects.filter(client_id__in=mine.values("client_id")) if filters else mine
    )
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
    """What planning many clients did: the plans made, the clients they visit, and the clients left out (archived,
    not the rep's, or on a list the workflow is not for)."""

    created: int
    left_out: int
    client_ids: tuple[Any, ...] = ()


# The rules of one plan, whoever makes it (the client list's bulk action, the import wizard) ---------------------------

NOT_PLANNABLE = _(
    "This client cannot be planned for this rep: the rep is not assigned to it, or it is archived, or on a list the "
    "workflow is not for."
)


def plan_team(*, user: User) -> set[int] | None:
    """The ids of the reps `user` may plan visits for when a team bounds them (a supervisor's); None for anyone
    else. One query, or none."""
    team = team_of(user=user)
    return None if team is None else set(team.values_list("pk", flat=True))


def plan_ends_on(repeat: str, ends_on: dt.date | None) -> dt.date | None:
    """A plan's last day as kept: a single visit has none."""
    return None if repeat == Repeat.ONCE else ends_on


def visit_plan_problems(
    *,
    team: Collection[int] | None,
    rep_id: int,
    workflow: Workflow,
    starts_on: dt.date,
    repeat: str,
    ends_on: dt.date | None,
) -> dict[str, list[Any]]:
    """What forbids a plan, by field (nothing: empty): a rep outside the planner's `team` (`plan_team`'s), an inactive
    workflow, a last day before the first visit. Which clients the plan may visit is `Plannable`'s. No query."""
    problems: dict[str, list[Any]] = {}
    if team is not None and rep_id not in team:
        problems["rep"] = [NOT_IN_TEAM]
    if not workflow.active:
        problems["workflow"] = [WORKFLOW_INACTIVE]
    ends_on = plan_ends_on(repeat, ends_on)
    if ends_on is not None and ends_on < starts_on:
        problems["ends_on"] = [ENDS_BEFORE]
    return problems


class Plannable:
    """Which clients plans may visit: those assigned to the plan's rep, not archived, on a list the plan's workflow
    is for (every list when it names none). Read once for many plans: `wanted` gives, by rep id, the clients asked of
    that rep (ids, or a queryset of clients). Queries: two, whatever the number of plans."""

    def __init__(self, wanted: Mapping[int, Any], workflows: Iterable[Workflow]) -> None:
        assigned = Q()
        for rep_id, clients in wanted.items():
            # A queryset is read as its ids alone: the client list's may carry annotations and an ordering.
            ids = clients.order_by().values("pk") if isinstance(clients, QuerySet) else clients
            assigned |= Q(rep_id=rep_id, client__in=ids)
        rows = (
            Assignment.objects.filter(assigned, client__archived_at__isnull=True).values_list(
                "rep_id", "client_id", "client__client_list_id"
            )
            if wanted
            else []
        )
        self.list_of: dict[tuple[int, Any], int] = {(rep_id, client_id): list_id for rep_id, client_id, list_id in rows}
        through = Workflow.client_lists.through.objects.filter(workflow__in=[workflow.pk for workflow in workflows])
        self.lists: dict[int, set[int]] = {}
        for workflow_id, list_id in through.values_list("workflow_id", "clientlist_id"):
            self.lists.setdefault(workflow_id, set()).add(list_id)

    def allows(self, *, rep_id: int, workflow_id: int, client_id: Any) -> bool:
        list_id = self.list_of.get((rep_id, client_id))
        lists = self.lists.get(workflow_id)
        return list_id is not None and (not lists or list_id in lists)

    def clients(self, *, rep_id: int, workflow_id: int) -> list[Any]:
        """The ids of the clients of `wanted` a plan of this rep with this workflow may visit."""
        return [
            client_id
            for rep, client_id in self.list_of
            if rep == rep_id and self.allows(rep_id=rep_id, workflow_id=workflow_id, client_id=client_id)
        ]


def visit_plans_write(*, created: Iterable[VisitPlan] = (), updated: Iterable[VisitPlan] = ()) -> None:
    """Write checked plans in bulk, as saving them one by one would: a changed plan gets a new version, and every plan
    written reaches its rep's phone. Queries: one insert and one update per BATCH plans, then the feed's."""
    created, updated = list(created), list(updated)
    VisitPlan.objects.bulk_create(created, batch_size=BATCH)
    for plan in updated:
        plan.version += 1
    VisitPlan.objects.bulk_update(updated, ["repeat", "ends_on", "version"], batch_size=BATCH)
    if created or updated:
        plans_published([plan.pk for plan in [*created, *updated]])


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
    """Plan a visit of `rep` with `workflow` to each of `clients` that the plan may visit (`Plannable`): once on
    `starts_on`, or repeating from it until `ends_on`. The plan's rules are `visit_plan_problems`'. Queries: a few,
    then one insert per BATCH plans (10,000 clients: about ten)."""
    problems = visit_plan_problems(
        team=plan_team(user=user), rep_id=rep.pk, workflow=workflow, starts_on=starts_on, repeat=repeat, ends_on=ends_on
    )
    if problems:
        raise ValidationError(problems)
    ends_on = plan_ends_on(repeat, ends_on)
    ids = Plannable({rep.pk: clients}, [workflow]).clients(rep_id=rep.pk, workflow_id=workflow.pk)
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
    visit_plans_write(created=plans)
    return Planned(created=len(plans), left_out=total - len(plans), client_ids=tuple(ids))


# One planned day moved -----------------------------------------------------------------------------------------------

MOVE_NOT_ALLOWED = _("You may not move the visits of this plan.")
DAY_NOT_PLANNED = _("The plan has no visit on %(day)s.")
DAY_PAST = _("Choose a day from today on.")
DAY_TAKEN = _("The plan already has a visit on %(day)s.")


@transaction.atomic
def plan_day_move(
    *, user: User, plan: VisitPlan, from_day: dt.date, to_day: dt.date | None, today: dt.date | None = None
) -> PlanMove:
    """Move the plan's visit of `from_day` to `to_day`, or drop it (`to_day` None): a missed visit planned again.
    `from_day` is a day the plan falls on (moved there or not), or a day whose visit was moved already, whose move is
    then changed. Who may: those who change plans or move their visits, a supervisor for their own reps only. Its
    rep's phone follows (`plan_changed`). Queries: a few, whatever the plan's length."""
    if not (user.has_perm("workflows.change_visitplan") or user.has_perm("workflows.add_planmove")):
        raise PermissionDenied(MOVE_NOT_ALLOWED)
    team = plan_team(user=user)
    if team is not None and plan.rep_id not in team:
        raise PermissionDenied(NOT_IN_TEAM)
    moves = {move.from_day: move for move in PlanMove.objects.select_for_update().filter(plan=plan)}
    move = moves.get(from_day) or next((move for move in moves.values() if move.to_day == from_day), None)
    if move is None and from_day not in plan_days(plan, from_day, from_day, moves.values()):
        raise ValidationError({"from_day": [ValidationError(DAY_NOT_PLANNED, params={"day": date_format(from_day)})]})
    if to_day is not None and to_day < (today or timezone.localdate()):
        raise ValidationError({"to_day": [DAY_PAST]})
    origin = move.from_day if move is not None else from_day
    # The plan's days without this visit: the new day must not be one of them.
    others = [other for other in moves.values() if other is not move] + [PlanMove(from_day=origin, to_day=None)]
    if to_day is not None and plan_days(plan, to_day, to_day, others):
        raise ValidationError({"to_day": [ValidationError(DAY_TAKEN, params={"day": date_format(to_day)})]})
    if move is None:
        move = PlanMove(plan=plan, from_day=origin)
    else:
        move.moved_at = timezone.now()
    move.to_day, move.moved_by = to_day, user
    move.save()
    return move
