"""Reads on visits for the supervisors' live board (workflows.board): one summary shape for its first paint, its
re-sync and its live messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from fieldsales.accounts import reps_of_supervisor, reps_queryset
from workflows.models import Visit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

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
