"""Plan against done: for each rep and day, the clients planned, those visited (done), those not (missed), the visits
to clients not planned that day (unplanned), the coverage (the share of planned clients visited) and the kilometres
walked between check-ins. The supervisors' board and the dashboard show it; the length of the planned route is
worked out where it is shown, by the one route the phone follows (static/js/lib/route.js), from the stops given here.

A planned client is done when the rep checked in there that day, whatever the workflow; a plan's days are
`workflows.planning.plan_days`' (moved days where they were moved to). A day is the site's (TIME_ZONE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clients.models import Client
from fieldsales.geo import haversine_m
from workflows.models import Visit, VisitPlan
from workflows.planning import plans_window
from workflows.selectors import board_day


def coverage_of(done: int, planned: int) -> int | None:
    """The share of planned clients visited, in whole percent (none planned: None): a day's, or a period's."""
    if not planned:
        return None
    return int((Decimal(100 * done) / planned).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass
class RepDay:
    """One rep's day: `planned`, one stop per planned client (`done` once visited), `unplanned`, one per visit to a
    client not planned that day, `walked_m`, from check-in to check-in in time order, and `start`, the day's first
    check-in (where the planned route starts)."""

    rep_id: int
    rep_name: str
    day: dt.date
    planned: list[dict[str, Any]] = field(default_factory=list)
    unplanned: list[dict[str, Any]] = field(default_factory=list)
    walked_m: float = 0.0
    start: tuple[float, float] | None = None
    last: tuple[float, float] | None = field(default=None, repr=False)

    @property
    def done(self) -> int:
        return sum(1 for stop in self.planned if stop["done"])

    @property
    def missed(self) -> int:
        return len(self.planned) - self.done

    @property
    def coverage(self) -> int | None:
        return coverage_of(self.done, len(self.planned))

    def as_json(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id,
            "rep_name": self.rep_name,
            "day": self.day.isoformat(),
            "planned": self.planned,
            "unplanned": self.unplanned,
            "done": self.done,
            "missed": self.missed,
            "coverage": self.coverage,
            "walked_m": round(self.walked_m),
            "start": list(self.start) if self.start else None,
        }


def plan_against_done(*, reps: QuerySet, first: dt.date, last: dt.date) -> list[RepDay]:
    """Each day from `first` to `last` of each of `reps` that had a planned client or a visit, by day then rep name.
    Queries: five (the reps, the plans' moves, the plans, the visits, their clients), whatever the number of reps and
    days."""
    names = {
        pk: f"{first_name} {last_name}".strip() or username
        for pk, username, first_name, last_name in reps.values_list("pk", "username", "first_name", "last_name")
    }
    rep_ids = list(names)
    due = plans_window(first, last, VisitPlan.objects.filter(rep_id__in=rep_ids))
    start, _ = board_day(day=first)
    _, end = board_day(day=last)
    visits = list(
        Visit.objects.filter(rep_id__in=rep_ids, checked_in_at__gte=start, checked_in_at__lt=end)
        .order_by("checked_in_at", "id")
        .values_list("rep_id", "client_id", "checked_in_at", "checkin_lat", "checkin_lng")
    )
    client_ids = {row.client_id for row, _days in due} | {visit[1] for visit in visits}
    clients = {
        pk: (name, lat, lng)
        for pk, name, lat, lng in Client.objects.filter(pk__in=client_ids).values_list("pk", "name", "lat", "lng")
    }
    days: dict[tuple[int, dt.date], RepDay] = {}

    def rep_day(rep_id: int, day: dt.date) -> RepDay:
        return days.setdefault((rep_id, day), RepDay(rep_id, names.get(rep_id, ""), day))

    for row, plan_days in due:
        name, lat, lng = clients[row.client_id]
        for day in plan_days:
            stop: dict[str, Any] = {"plan_id": str(row.pk), "client_id": str(row.client_id), "client_name": name}
            rep_day(row.rep_id, day).planned.append({**stop, "lat": lat, "lng": lng, "done": False})
    for rep_id, client_id, checked_in_at, lat, lng in visits:
        current = rep_day(rep_id, timezone.localdate(checked_in_at))
        visited = [planned for planned in current.planned if planned["client_id"] == str(client_id)]
        for planned in visited:
            planned["done"] = True
        if not visited:
            current.unplanned.append({"client_id": str(client_id), "client_name": clients[client_id][0]})
        if lat is not None and lng is not None:
            if current.last is not None:
                current.walked_m += haversine_m(*current.last, lat, lng)
            current.start = current.start or (lat, lng)
            current.last = (lat, lng)
    for current in days.values():
        current.planned.sort(key=lambda stop: stop["client_name"])
    return sorted(days.values(), key=lambda current: (current.day, current.rep_name, current.rep_id))
