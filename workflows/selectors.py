"""Reads on visits and orders: the supervisors' live board (workflows.board), one summary shape for its first paint,
its re-sync and its live messages; and what other apps ask of a client's history (kpis' metrics), each answer one
query through the (client, time) indexes, whatever the length of that history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, DecimalField, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from fieldsales.accounts import reps_of_supervisor, reps_queryset
from workflows.models import ActivityKind, ActivitySubmission, OrderLine, Visit

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AbstractBaseUser

    from clients.models import Client

ZERO = Decimal("0")

_COLUMNS = (
    "id",
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


def board_day(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Today, from midnight to midnight in the site's time zone (TIME_ZONE): the board's day."""
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))


def board_summaries(visits: QuerySet[Visit], *, with_supervisor: bool = False) -> list[dict[str, Any]]:
    """Each of these visits as the board shows it, JSON-ready, oldest check-in first. One query, whatever their number.

    `with_supervisor` adds `supervisor_id` (the rep's, or None): where a live message goes."""
    columns = (*_COLUMNS, "rep__profile__supervisor_id") if with_supervisor else _COLUMNS
    rows = (
        visits.order_by()
        .values(*columns)
        .annotate(
            order_total=Coalesce(
                Sum("submissions__order_total"), Value(Decimal("0")), output_field=DecimalField(max_digits=16)
            )
        )
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
    }
    if with_supervisor:
        summary["supervisor_id"] = row["rep__profile__supervisor_id"]
    return summary


def board_visits_for(*, supervisor: AbstractBaseUser | None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Today's visits of the reps `supervisor` follows, or of every rep, as summaries. One query."""
    start, end = board_day(now)
    reps = reps_queryset() if supervisor is None else reps_of_supervisor(supervisor)
    visits = Visit.objects.filter(checked_in_at__gte=start, checked_in_at__lt=end, rep__in=reps.values("pk"))
    return board_summaries(visits)


# A client's history, as kpis' metrics read it ---------------------------------------------------------------------


def orders_of_client(*, client: Client) -> QuerySet[ActivitySubmission]:
    """The client's orders: its submissions of order-taking activities."""
    return ActivitySubmission.objects.filter(client=client, activity__kind=ActivityKind.ORDER)


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
    orders = ActivitySubmission.objects.filter(
        activity__kind=ActivityKind.ORDER, submitted_at__gte=_day_start(start), submitted_at__lt=_day_start(end, 1)
    )
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
