"""The dashboard's figures: a team of reps over a period of days (both ends included, in the site's time zone).

- Visits: the check-ins of the period, by rep and day. The strike rate is the share of them during which an order was
  taken.
- Orders and sales: the order activities submitted in the period on the reps' visits, and their value.
- Target: each rep's own targets (a target for one client is not the rep's), each counted in proportion to the days
  of its period that fall in the chosen one: a month's target counts whole over that month, half over its first half.
- Clients not visited: the reps' clients in use whom nobody checked in at in the `NOT_VISITED_DAYS` days up to the
  period's last day, or today when the period ends later (`Dashboard.on`).
- Overdue debt: on that same day, what each client owes on invoices past their due date, by kpis.metrics.debt's rule
  (credits settle the oldest invoices first), summed over each rep's clients. A client of two reps counts for both;
  the team's totals count each client once.

Each figure is one grouped query (workflows.selectors for visits and orders), whatever the number of reps, visits,
clients or ledger entries: `dashboard_figures` makes ten queries.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextChoices,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.selectors import clients_of_reps
from fieldsales.accounts import SUPERVISORS, reps_of_supervisor, reps_queryset, team_of
from kpis.models import DEBIT_KINDS, LedgerEntry, Target, signed_amount
from workflows.board import STAFF_GROUP, board_group
from workflows.coverage import coverage_of, plan_against_done
from workflows.selectors import clients_unvisited, clients_unvisited_by_rep, orders_by_rep, visits_by_rep_and_day

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

ZERO = Decimal("0")
CENT = Decimal("0.01")
PERCENT = Decimal("0.1")
NOT_VISITED_DAYS = 30
# The clients not visited listed by name, those waiting longest first; the chart and the totals count them all.
UNVISITED_LISTED = 20
MONEY = DecimalField(max_digits=16, decimal_places=2)


class Preset(TextChoices):
    THIS_WEEK = "week", _("This week")
    THIS_MONTH = "month", _("This month")
    LAST_30_DAYS = "30days", _("Last 30 days")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, preset: str, today: dt.date) -> Period:
        """The week (Monday to Sunday) or the month that holds `today`, or the 30 days that end with it."""
        if preset == Preset.THIS_WEEK:
            monday = today - dt.timedelta(days=today.weekday())
            return cls(monday, monday + dt.timedelta(days=6))
        if preset == Preset.THIS_MONTH:
            first = today.replace(day=1)
            next_month = (first + dt.timedelta(days=31)).replace(day=1)
            return cls(first, next_month - dt.timedelta(days=1))
        return cls(today - dt.timedelta(days=29), today)

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


def ratio(part: Decimal | int, whole: Decimal | int | None, places: Decimal = PERCENT) -> Decimal | None:
    """`part` of `whole` in %, or None when there is no whole to compare with."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(places)


@dataclass
class RepFigures:
    rep_id: int
    name: str
    visits: int = 0
    with_order: int = 0
    orders: int = 0
    sales: Decimal = ZERO
    target: Decimal | None = None
    clients: int = 0
    unvisited: int = 0
    overdue: Decimal = ZERO
    overdue_clients: int = 0
    # Plan against done over the period's days up to `Dashboard.on` (workflows.coverage).
    planned: int = 0
    done: int = 0
    unplanned: int = 0
    walked_m: float = 0.0
    # The days with planned clients: where the day's first check-in was and the planned clients' positions, from
    # which the page works out the planned routes' kilometres (static/js/lib/plan.js: the phone's route).
    plan_routes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plan_routes_json(self) -> str:
        return json.dumps(self.plan_routes)

    @property
    def missed(self) -> int:
        return self.planned - self.done

    @property
    def coverage(self) -> int | None:
        return coverage_of(self.done, self.planned)

    @property
    def strike_rate(self) -> Decimal | None:
        return ratio(self.with_order, self.visits)

    @property
    def achievement(self) -> Decimal | None:
        return ratio(self.sales, self.target)


@dataclass
class Dashboard:
    period: Period
    # The day the clients not visited and the overdue debt are read on: the period's last day, or today.
    on: dt.date
    reps: list[RepFigures]
    # Day → rep id → visits, for the days of the period up to `on`.
    visits_by_day: dict[dt.date, dict[int, int]] = field(default_factory=dict)
    unvisited: int = 0
    unvisited_listed: list[dict[str, Any]] = field(default_factory=list)
    overdue: Decimal = ZERO
    overdue_clients: int = 0

    @property
    def days(self) -> list[dt.date]:
        return [self.period.start + dt.timedelta(days=n) for n in range((self.on - self.period.start).days + 1)]

    @property
    def visits_table(self) -> list[tuple[dt.date, list[int], int]]:
        """Each day: its visits by rep (in the reps' order) and in all."""
        rows = []
        for day in self.days:
            by_rep = self.visits_by_day.get(day, {})
            counts = [by_rep.get(rep.rep_id, 0) for rep in self.reps]
            rows.append((day, counts, sum(counts)))
        return rows

    @property
    def totals(self) -> RepFigures:
        """The team's visits, orders, sales and target summed over its reps; its clients not visited and overdue debt
        counted once a client."""
        targets = [rep.target for rep in self.reps if rep.target is not None]
        return RepFigures(
            rep_id=0,
            name="",
            visits=sum(rep.visits for rep in self.reps),
            with_order=sum(rep.with_order for rep in self.reps),
            orders=sum(rep.orders for rep in self.reps),
            sales=sum((rep.sales for rep in self.reps), ZERO),
            target=sum(targets, ZERO) if targets else None,
            unvisited=self.unvisited,
            overdue=self.overdue,
            overdue_clients=self.overdue_clients,
        )


# Who sees whom --------------------------------------------------------------------------------------------------


def dashboard_team(
    *, user: AbstractBaseUser | AnonymousUser, supervisor: AbstractBaseUser | None = None
) -> QuerySet | None:
    """The reps whose figures `user` reads, by the live board's rule (workflows.board.board_group): a supervisor their
    own reps, whatever `supervisor` says; back-office staff every rep, or `supervisor`'s team when they choose one.
    None for anyone else."""
    group = board_group(user)
    if group is None:
        return None
    if group != STAFF_GROUP:
        return team_of(user=user)
    return reps_queryset() if supervisor is None else reps_of_supervisor(supervisor)


def supervisors() -> QuerySet:
    """The active supervisors, whose teams back-office staff may choose."""
    return get_user_model().objects.filter(groups__name=SUPERVISORS, is_active=True).order_by("username")


def display_name(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username


# The figures ----------------------------------------------------------------------------------------------------


def targets_by_rep(*, rep_ids: list[int], period: Period) -> dict[int, Decimal]:
    """Each rep's own targets over `period`, each in proportion to its days within it. One query."""
    rows = Target.objects.filter(
        rep_id__in=rep_ids, client__isnull=True, period_start__lte=period.end, period_end__gte=period.start
    ).values_list("rep_id", "period_start", "period_end", "value")
    targets: dict[int, Decimal] = defaultdict(Decimal)
    for rep_id, start, end, value in rows:
        overlap = (min(end, period.end) - max(start, period.start)).days + 1
        targets[rep_id] += value * overlap / ((end - start).days + 1)
    return {rep_id: value.quantize(CENT) for rep_id, value in targets.items()}


def unpaid_on(on: dt.date) -> Greatest:
    """An invoice's part still unpaid on `on`, as an expression over invoices. Credits settle the oldest invoices
    first (kpis.metrics.debt), so what a client owes is its newest invoices back to its balance: an invoice is unpaid
    for what is left of the balance once the newer ones are counted, at most its amount."""
    entries = LedgerEntry.objects.filter(client=OuterRef("client_id"), date__lte=on).order_by().values("client_id")
    balance = Subquery(entries.annotate(total=Sum(signed_amount())).values("total"))
    newer = entries.filter(kind__in=DEBIT_KINDS).filter(
        Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), pk__gt=OuterRef("pk"))
    )
    left = ExpressionWrapper(
        balance - Coalesce(Subquery(newer.annotate(total=Sum("amount")).values("total")), Value(ZERO)),
        output_field=MONEY,
    )
    return Greatest(Value(ZERO), Least(F("amount"), left), output_field=MONEY)


def _overdue_sums(on: dt.date) -> tuple[Sum, Count]:
    """The overdue debt of invoices, and how many clients owe some."""
    unpaid = unpaid_on(on)
    return Sum(unpaid, output_field=MONEY), Count("client_id", distinct=True, filter=GreaterThan(unpaid, ZERO))


def overdue_by_rep(*, rep_ids: list[int], on: dt.date) -> tuple[dict[int, tuple[Decimal, int]], Decimal, int]:
    """The debt overdue on `on` of each rep's clients: rep id → (amount, clients owing it); then the team's, each
    client once. Two queries."""
    invoices = LedgerEntry.objects.debits().filter(date__lte=on, due_date__lt=on)
    overdue, clients = _overdue_sums(on)
    rows = (
        invoices.filter(client__assignments__rep_id__in=rep_ids)
        .values_list("client__assignments__rep_id")
        .annotate(overdue=overdue, clients=clients)
        .values_list("client__assignments__rep_id", "overdue", "clients")
        .order_by()
    )
    by_rep = {rep_id: (amount or ZERO, owing) for rep_id, amount, owing in rows}
    team = invoices.filter(client__in=clients_of_reps(rep_ids=rep_ids).values("pk"))
    totals = team.aggregate(overdue=overdue, clients=clients)
    return by_rep, totals["overdue"] or ZERO, totals["clients"]


def dashboard_figures(*, reps: QuerySet, period: Period, today: dt.date) -> Dashboard:
    """Every figure of the dashboard for `reps` over `period`. Fifteen queries, five of them plan against done (one if
    there is no rep)."""
    names = reps.order_by("first_name", "last_name", "username").values_list(
        "pk", "first_name", "last_name", "username"
    )
    team = {pk: RepFigures(rep_id=pk, name=display_name(first, last, username)) for pk, first, last, username in names}
    ids = list(team)
    board = Dashboard(period=period, on=min(period.end, today), reps=list(team.values()))
    if not ids:
        return board
    _add_activity(board, team, ids)
    for rep_id, value in targets_by_rep(rep_ids=ids, period=period).items():
        team[rep_id].target = value
    _add_unvisited(board, team, ids)
    by_rep, board.overdue, board.overdue_clients = overdue_by_rep(rep_ids=ids, on=board.on)
    for rep_id, (overdue, clients) in by_rep.items():
        team[rep_id].overdue, team[rep_id].overdue_clients = overdue, clients
    _add_plan(board, team, reps)
    return board


def _add_plan(board: Dashboard, team: dict[int, RepFigures], reps: QuerySet) -> None:
    """Plan against done by rep over the period's days up to `board.on`. Five queries (workflows.coverage)."""
    for rep_day in plan_against_done(reps=reps, first=board.period.start, last=board.on):
        rep = team[rep_day.rep_id]
        rep.planned += len(rep_day.planned)
        rep.done += rep_day.done
        rep.unplanned += len(rep_day.unplanned)
        rep.walked_m += rep_day.walked_m
        if rep_day.planned:
            stops = [{"lat": stop["lat"], "lng": stop["lng"]} for stop in rep_day.planned]
            rep.plan_routes.append({"start": rep_day.start, "planned": stops})


def _add_activity(board: Dashboard, team: dict[int, RepFigures], ids: list[int]) -> None:
    """Visits by rep and day, and orders by rep. Two queries."""
    period = board.period
    for row in visits_by_rep_and_day(rep_ids=ids, start=period.start, end=period.end):
        rep = team[row["rep_id"]]
        rep.visits += row["visits"]
        rep.with_order += row["with_order"]
        board.visits_by_day.setdefault(row["day"], {})[rep.rep_id] = row["visits"]
    for rep_id, (orders, value) in orders_by_rep(rep_ids=ids, start=period.start, end=period.end).items():
        team[rep_id].orders, team[rep_id].sales = orders, value


def _add_unvisited(board: Dashboard, team: dict[int, RepFigures], ids: list[int]) -> None:
    """The clients nobody checked in at in the NOT_VISITED_DAYS days up to `board.on`. Four queries."""
    until = timezone.make_aware(dt.datetime.combine(board.on + dt.timedelta(days=1), dt.time.min))
    since = until - dt.timedelta(days=NOT_VISITED_DAYS)
    for rep_id, (clients, unvisited) in clients_unvisited_by_rep(rep_ids=ids, since=since, until=until).items():
        team[rep_id].clients, team[rep_id].unvisited = clients, unvisited
    board.unvisited, listed = clients_unvisited(rep_ids=ids, since=since, until=until, limit=UNVISITED_LISTED)
    for client in listed:
        client["reps"] = [team[rep_id].name for rep_id in client.pop("rep_ids")]
        last = client["last_visit"]
        client["days"] = (board.on - timezone.localdate(last)).days if last else None
    board.unvisited_listed = listed
