"""Reads on visits and orders: the supervisors' live board (workflows.board), one summary shape for its first paint,
its re-sync and its live messages; what other apps ask of a client's history (kpis' metrics), each answer one
query through the (client, time) indexes, whatever the length of that history; and a team's activity over a period
(kpis' dashboard), each figure one grouped query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from clients.selectors import clients_in_use, clients_of_reps, clients_with_ids
from fieldsales.accounts import reps_of_supervisor, reps_queryset
from workflows.models import ActivityKind, ActivitySubmission, Order, OrderLine, OrderStatus, Visit

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AbstractBaseUser

    from clients.models import Client

ZERO = Decimal("0")

_COLUMNS = (
    "id",
    "checkin_flags",
    "version",
    "rep_id",
    "rep__username",
    "rep__first_name",
    "rep__last_name",
    "client_id",
    "client__name",
    "client__lat",
    "client__lng",
    "checked_in_at",
    "ended_at",
)


def board_day(now: dt.datetime | None = None, *, day: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """`day` (today unless given), from midnight to midnight in the site's time zone (TIME_ZONE): the board's day."""
    today = day or timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))


def board_summaries(visits: QuerySet[Visit], *, with_supervisor: bool = False) -> list[dict[str, Any]]:
    """Each of these visits as the board shows it, JSON-ready, oldest check-in first. One query, whatever their number.

    `with_supervisor` adds `supervisor_id` (the rep's, or None): where a live message goes."""
    columns = (*_COLUMNS, "rep__profile__supervisor_id") if with_supervisor else _COLUMNS
    # The visit's sales as everywhere else (`orders_counted`: a cancelled order is not one), summed in a subquery.
    sales = (
        orders_counted()
        .filter(visit=OuterRef("pk"))
        .order_by()
        .values("visit")
        .annotate(total=Sum("order_total"))
        .values("total")
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    rows = (
        visits.order_by()
        .values(*columns)
        .annotate(order_total=Coalesce(Subquery(sales, output_field=money), Value(Decimal("0")), output_field=money))
        .order_by("checked_in_at", "id")
    )
    return [_summary(row, with_supervisor=with_supervisor) for row in rows]


def _summary(row: dict[str, Any], *, with_supervisor: bool) -> dict[str, Any]:
    full_name = f"{row['rep__first_name']} {row['rep__last_name']}".strip()
    summary = {
        "id": str(row["id"]),
        "version": row["version"],
        "rep_id": row["rep_id"],
        "rep_name": full_name or row["rep__username"],
        "client_id": str(row["client_id"]),
        "client_name": row["client__name"],
        "lat": row["client__lat"],
        "lng": row["client__lng"],
        "checked_in_at": row["checked_in_at"].isoformat(),
        "ended_at": row["ended_at"].isoformat() if row["ended_at"] else None,
        "order_total": str(Decimal(row["order_total"]).quantize(Decimal("0.01"))),
        "checkin_flags": row["checkin_flags"],
    }
    if with_supervisor:
        summary["supervisor_id"] = row["rep__profile__supervisor_id"]
    return summary


def board_reps(*, supervisor: AbstractBaseUser | None, rep_id: int | None = None) -> QuerySet:
    """The reps a board watches: `supervisor`'s, or every rep (None: the back office); only `rep_id` when given."""
    reps = reps_queryset() if supervisor is None else reps_of_supervisor(supervisor)
    return reps if rep_id is None else reps.filter(pk=rep_id)


def board_visits_for(
    *,
    supervisor: AbstractBaseUser | None,
    now: dt.datetime | None = None,
    day: dt.date | None = None,
    rep_id: int | None = None,
) -> list[dict[str, Any]]:
    """The visits of `day` (today unless given) of the reps `supervisor` follows, or of every rep, as summaries;
    only `rep_id`'s when given (and one of them). One query."""
    start, end = board_day(now, day=day)
    reps = board_reps(supervisor=supervisor, rep_id=rep_id)
    return board_summaries(
        Visit.objects.filter(checked_in_at__gte=start, checked_in_at__lt=end, rep__in=reps.values("pk"))
    )


# A client's history, as kpis' metrics read it ---------------------------------------------------------------------


def orders_counted() -> QuerySet[ActivitySubmission]:
    """The orders that count as sales: the submissions of order-taking activities, but those of cancelled orders."""
    return ActivitySubmission.objects.filter(activity__kind=ActivityKind.ORDER).exclude(
        order__status=OrderStatus.CANCELLED
    )


def orders_of_client(*, client: Client) -> QuerySet[ActivitySubmission]:
    """The client's orders (`orders_counted`)."""
    return orders_counted().filter(client=client)


def order_latest(*, client: Client) -> Mapping[str, Any] | None:
    """The client's latest order as {"id", "order_total", "submitted_at"}, or None if it never ordered."""
    return orders_of_client(client=client).order_by("-submitted_at").values("id", "order_total", "submitted_at").first()


def order_quantity(*, order_id: uuid.UUID) -> Decimal:
    """The quantities of the order's lines, summed (0 for an order without lines)."""
    return OrderLine.objects.filter(submission_id=order_id).aggregate(total=Sum("quantity"))["total"] or ZERO


def orders_average_value(*, client: Client, since: dt.datetime) -> Decimal | None:
    """The mean value of the client's orders submitted since `since`; None if there were none."""
    orders = orders_of_client(client=client).filter(submitted_at__gte=since)
    return orders.aggregate(value=Avg("order_total"))["value"]


def _day_start(day: dt.date, days_after: int = 0) -> dt.datetime:
    """The first moment of `day` (plus `days_after` days) in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=days_after), dt.time.min))


def orders_value(*, start: dt.date, end: dt.date, client: Client | None = None, rep_id: int | None = None) -> Decimal:
    """The value of the orders submitted from `start` to `end` (days, both included): of `client` if given, taken
    on the visits of `rep_id` if given (whatever the client)."""
    # A range of moments rather than `submitted_at__date`: the date of each row would be computed in the current time
    # zone (a function call per row on SQLite, no index on either engine); a day's bounds are computed once.
    orders = orders_counted().filter(submitted_at__gte=_day_start(start), submitted_at__lt=_day_start(end, 1))
    if client is not None:
        orders = orders.filter(client=client)
    if rep_id is not None:
        orders = orders.filter(visit__rep_id=rep_id)
    return orders.aggregate(total=Sum("order_total"))["total"] or ZERO


def visits_first_and_last(*, client: Client) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the client was first and last checked in at; (None, None) if never. The row read is the first visit,
    the last one a subquery: each is one end of the (client, time) index, never a scan of the client's visits."""
    times = Visit.objects.filter(client=client).values("checked_in_at")
    row = (
        times.order_by("checked_in_at")
        .annotate(last=Subquery(times.order_by("-checked_in_at")[:1]))
        .values_list("checked_in_at", "last")
        .first()
    )
    return row or (None, None)


def visits_count_since(*, client: Client, since: dt.datetime) -> int:
    """How many times the client was checked in at since `since`."""
    return Visit.objects.filter(client=client, checked_in_at__gte=since).count()


# A team's activity over a period, as the supervisors' dashboard reads it (kpis.dashboard) ---------------------------
# Each answer is one grouped query, whatever the number of reps, visits or clients; periods are days, both ends
# included, in the current time zone.


def visits_by_rep_and_day(*, rep_ids: Iterable[int], start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """The visits checked in from `start` to `end`, counted by rep and day: {"rep_id", "day", "visits",
    "with_order"}, `with_order` being the visits during which an order was taken (one that counts:
    `orders_counted`). One query."""
    orders = orders_counted().filter(visit=OuterRef("pk"))
    rows = (
        Visit.objects.filter(
            rep_id__in=list(rep_ids), checked_in_at__gte=_day_start(start), checked_in_at__lt=_day_start(end, 1)
        )
        .annotate(day=TruncDate("checked_in_at", tzinfo=timezone.get_current_timezone()))
        .values("rep_id", "day")
        .annotate(visits=Count("pk"), with_order=Count("pk", filter=Exists(orders)))
        .order_by("day", "rep_id")
    )
    return [dict(row) for row in rows]


def orders_by_rep(*, rep_ids: Iterable[int], start: dt.date, end: dt.date) -> dict[int, tuple[int, Decimal]]:
    """The orders that count (`orders_counted`) submitted from `start` to `end` on each rep's visits: rep id → (how
    many, their value). Reps without an order are left out. One query."""
    rows = (
        orders_counted()
        .filter(
            visit__rep_id__in=list(rep_ids),
            submitted_at__gte=_day_start(start),
            submitted_at__lt=_day_start(end, 1),
        )
        .values("visit__rep_id")
        .annotate(orders=Count("pk"), value=Sum("order_total"))
        .order_by()
    )
    return {row["visit__rep_id"]: (row["orders"], row["value"] or ZERO) for row in rows}


def _visited(since: dt.datetime, until: dt.datetime, client_field: str = "pk") -> Exists:
    """A filter condition: the client at `client_field` was checked in at from `since` to `until` (excluded)."""
    return Exists(
        Visit.objects.filter(client=OuterRef(client_field), checked_in_at__gte=since, checked_in_at__lt=until)
    )


def clients_unvisited_by_rep(
    *, rep_ids: Iterable[int], since: dt.datetime, until: dt.datetime
) -> dict[int, tuple[int, int]]:
    """Each rep's clients in use: rep id → (how many, how many nobody checked in at from `since` to `until`). A
    client of two reps counts for both. Reps without a client are left out. One query."""
    rows = (
        clients_of_reps(rep_ids=rep_ids)
        .filter(archived_at__isnull=True)
        .values("assignments__rep_id")
        .annotate(clients=Count("pk"), unvisited=Count("pk", filter=~_visited(since, until)))
        .order_by()
    )
    return {row["assignments__rep_id"]: (row["clients"], row["unvisited"]) for row in rows}


def clients_unvisited(
    *, rep_ids: Iterable[int], since: dt.datetime, until: dt.datetime, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """The clients in use of these reps whom nobody checked in at from `since` to `until`: how many, and the `limit`
    waiting longest (never visited first), each {"id", "name", "last_visit", "rep_ids"}. Three queries."""
    rep_ids = list(rep_ids)
    unvisited = (
        clients_in_use().filter(pk__in=clients_of_reps(rep_ids=rep_ids).values("pk")).exclude(_visited(since, until))
    )
    last = Visit.objects.filter(client=OuterRef("pk"), checked_in_at__lt=until).order_by("-checked_in_at")
    rows = list(
        unvisited.annotate(last_visit=Subquery(last.values("checked_in_at")[:1]))
        .order_by(F("last_visit").asc(nulls_first=True), "name", "pk")
        .values("id", "name", "last_visit")[:limit]
    )
    reps: dict[Any, list[int]] = {}
    if rows:
        pairs = clients_with_ids(row["id"] for row in rows).filter(assignments__rep_id__in=rep_ids)
        for client_id, rep_id in pairs.values_list("pk", "assignments__rep_id").order_by("pk", "assignments__rep_id"):
            reps.setdefault(client_id, []).append(rep_id)
    return unvisited.count(), [{**row, "rep_ids": reps.get(row["id"], [])} for row in rows]


# The back office's orders, visits and photos ---------------------------------------------------------------------


def orders_totals(*, orders: QuerySet[Order]) -> dict[str, Any]:
    """How many `orders` there are and their value ("count", "amount"), and of these the cancelled ones
    ("cancelled_count", "cancelled_amount"). One query."""
    cancelled = Q(status=OrderStatus.CANCELLED)
    money = DecimalField(max_digits=16, decimal_places=2)
    return orders.order_by().aggregate(
        count=Count("pk"),
        amount=Coalesce(Sum("total"), Value(ZERO), output_field=money),
        cancelled_count=Count("pk", filter=cancelled),
        cancelled_amount=Coalesce(Sum("total", filter=cancelled), Value(ZERO), output_field=money),
    )


def order_lines(*, order: Order) -> QuerySet[OrderLine]:
    """The order's lines with their products, in the order they were taken."""
    return OrderLine.objects.filter(submission_id=order.submission_id).select_related("product").order_by("id")


def submissions_detailed(*, submissions: QuerySet[ActivitySubmission]) -> list[ActivitySubmission]:
    """`submissions` in the order they were recorded, each with its activity, its order if it is one, its lines and
    its photos. Three queries."""
    return list(
        submissions.select_related("activity", "order")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id")), "photos"
        )
        .order_by("submitted_at", "id")
    )
