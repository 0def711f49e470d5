"""The demo's visit plans: each rep has a weekly round of a few of their clients falling today, so that the phone's
Today screen and the supervisors' plan against done show something from the first run."""

from __future__ import annotations

import datetime as dt

from clients.models import Assignment
from fieldsales.demo.identity import demo_id, ensure
from fieldsales.demo.rows import Demo
from workflows.models import Repeat, VisitPlan

# Clients of each rep on today's weekly round.
ROUND = 8


def seed_plans(demo: Demo) -> int:
    """A weekly round per rep, from a week before the demo's day, over the first ROUND clients assigned to them (in
    name order). Returns how many plans were made (none on a second run)."""
    made = 0
    starts_on = demo.today - dt.timedelta(days=7)
    for rep_id in demo.rep_ids.values():
        client_ids = (
            Assignment.objects.filter(rep_id=rep_id, client__archived_at__isnull=True)
            .order_by("client__name")
            .values_list("client_id", flat=True)[:ROUND]
        )
        for number, client_id in enumerate(client_ids):
            _plan, created = ensure(
                VisitPlan,
                {"pk": demo_id("plan", rep_id, number)},
                {
                    "rep_id": rep_id,
                    "client_id": client_id,
                    "workflow_id": demo.sales_visit_id,
                    "starts_on": starts_on,
                    "repeat": Repeat.WEEKLY,
                    "created_by_id": demo.clerk_id,
                },
            )
            made += created
    return made
