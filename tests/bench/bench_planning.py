"""Visit planning benchmark: `make bench-planning` (or `python -m tests.bench.bench_planning`).

A rep with 10,000 clients (`BENCH_CLIENTS`), on a throwaway database of the configured kind (SQLite unless
DATABASE_URL names PostgreSQL). A clerk plans every client on a weekly route from the client list's bulk action, as
the admin does it: the list's form with "all 10,000 selected", then the action's page posted back (issue 20's goal:
under 10 s). Baseline in the same run: a bare `bulk_create` of as many plans. Then the plans' list, with the next
four weeks' conflicts computed over those 10,000 plans (a rep away one of those days).
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from tests.bench.bench_sync import CLIENTS, build, timed
from tests.bench.throwaway import on_throwaway_db

LIST_REQUESTS = 5


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench-planning")


def run() -> None:
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.db import connection
    from django.test import Client as HttpClient
    from django.utils import timezone

    from clients.models import Client
    from tests.factories import BackOfficeFactory
    from workflows.models import RepAbsence, Repeat, VisitPlan, Workflow

    print(f"FieldSales planning benchmark on {connection.vendor}, {CLIENTS} clients for one rep", flush=True)
    seconds, (rep, _client_list, client_ids) = timed(lambda: build("planned"))
    print(f"  setup: {seconds:.1f} s", flush=True)
    workflow = Workflow.objects.filter(active=True).first()
    assert workflow is not None
    clerk = BackOfficeFactory(username="bench-clerk")
    http = HttpClient()
    http.force_login(clerk)
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())

    def plan_from_the_admin() -> Any:
        selection = {"action": "plan_visits", ACTION_CHECKBOX_NAME: [client_ids[0]], "select_across": "1"}
        page = http.post("/admin/clients/client/", {**selection, "index": "0"})
        assert page.status_code == 200, page.status_code
        done = http.post(
            "/admin/clients/client/",
            {
                **selection,
                "post": "yes",
                "rep": rep.pk,
                "workflow": workflow.pk,
                "starts_on": monday.isoformat(),
                "repeat": Repeat.WEEKLY,
                "ends_on": "",
            },
        )
        assert done.status_code == 302, done.status_code
        return VisitPlan.objects.count()

    seconds, planned = timed(plan_from_the_admin)
    assert planned == len(client_ids), planned
    VisitPlan.objects.all().delete()

    def bare() -> None:
        VisitPlan.objects.bulk_create(
            [
                VisitPlan(rep=rep, client_id=pk, workflow=workflow, starts_on=monday, repeat=Repeat.WEEKLY)
                for pk in Client.objects.values_list("pk", flat=True)
            ],
            batch_size=1000,
        )

    baseline, _ = timed(bare)
    print(
        f"plan {planned} clients weekly from the admin's client list (both pages): {seconds:.2f} s | bare bulk_create: "
        f"{baseline:.2f} s | ratio {seconds / baseline:.2f}x (goal: < 10 s)"
    )
    RepAbsence.objects.create(rep=rep, starts_on=monday + dt.timedelta(days=7), ends_on=monday + dt.timedelta(days=7))

    def plans_list() -> None:
        response = http.get("/admin/workflows/visitplan/")
        assert response.status_code == 200, response.status_code

    runs = [timed(plans_list)[0] for _ in range(LIST_REQUESTS)]
    print(
        f"the plans' list with the next four weeks' conflicts over {planned} weekly plans: p50 "
        f"{statistics.median(runs) * 1000:.0f} ms (max {max(runs) * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
