"""Visit planning benchmark: `make bench-planning` (or `python -m tests.bench.bench_planning`).

A rep with 10,000 clients (`BENCH_CLIENTS`), on a throwaway database of the configured kind (SQLite unless
DATABASE_URL names PostgreSQL). A clerk plans every client on a weekly route from the client list's bulk action, as
the admin does it: the list's form with "all 10,000 selected", then the action's page posted back (issue 20's goal:
under 10 s). Baseline in the same run: a bare `bulk_create` of as many plans. Then the plans' list, with the next
four weeks' conflicts computed over those 10,000 plans (a rep away one of those days). Then collection visits
(kpis/planning.py): every client given a year of monthly invoices, a third of them paid up, a third owing only what
is not due yet, a third 55 days late; the clerk plans a visit to those more than 30 days late from the same list's
action, both pages. Baselines: the debts of all the clients computed at once (`kpis.metrics.debts`), one client's
`debt` (two queries) times the number of clients, and a bare `bulk_create` of as many plans.
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
        return VisitPlan.objects.filter(rep=rep).count()  # the demo may hold plans of its own

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
    RepAbsence.objects.all().delete()
    collection_visits(http, rep, workflow, client_ids, monday)


def seed_ledger(client_ids: list[str]) -> int:
    """A year of monthly invoices of 50,000 due at 30 days for each client; a third paid up, a third paid but for the
    last month's (not due yet), a third but for the last three months' (55 days late). Returns how many clients owe
    more than 30 days."""
    from django.utils import timezone

    from kpis.models import LedgerEntry

    today = timezone.localdate()
    rows, late = [], 0
    for index, client_id in enumerate(client_ids):
        unpaid = (0, 1, 3)[index % 3]
        late += unpaid == 3
        for month in range(12):
            date = today - dt.timedelta(days=30 * (12 - month) - 5)
            rows.append(
                LedgerEntry(
                    client_id=client_id,
                    kind="invoice",
                    reference=f"F{index}-{month}",
                    date=date,
                    amount=50000,
                    due_date=date + dt.timedelta(days=30),
                )
            )
        rows.append(
            LedgerEntry(
                client_id=client_id, kind="payment", reference=f"P{index}", date=today, amount=50000 * (12 - unpaid)
            )
        )
    LedgerEntry.objects.bulk_create(rows, batch_size=5000)
    return late


def collection_visits(http: Any, rep: Any, workflow: Any, client_ids: list[str], monday: dt.date) -> None:
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.utils import timezone

    from clients.models import Client
    from kpis.metrics import Facts, debt, debts
    from workflows.models import Repeat, VisitPlan

    VisitPlan.objects.all().delete()
    seconds, late = timed(lambda: seed_ledger(client_ids))
    print(f"  ledger of {len(client_ids) * 13} entries: {seconds:.1f} s", flush=True)
    selection = {"action": "plan_collection_visits", ACTION_CHECKBOX_NAME: [client_ids[0]], "select_across": "1"}

    def plan() -> int:
        page = http.post("/admin/clients/client/", {**selection, "index": "0"})
        assert page.status_code == 200, page.status_code
        fields = {"days": 30, "minimum": "", "rep": "", "workflow": workflow.pk, "ends_on": ""}
        fields |= {"starts_on": monday.isoformat(), "repeat": Repeat.ONCE}
        done = http.post("/admin/clients/client/", {**selection, "post": "yes", **fields})
        assert done.status_code == 302, done.status_code
        return VisitPlan.objects.filter(rep=rep).count()  # the demo's clients are planned for the demo's reps

    seconds, planned = timed(plan)
    assert planned == late, (planned, late)
    today = timezone.localdate()
    batched, _ = timed(lambda: debts(clients=Client.objects.all(), today=today))
    sample = list(Client.objects.all()[:500])
    one_by_one, _ = timed(lambda: [debt(Facts(client=client, today=today)) for client in sample])
    VisitPlan.objects.all().delete()
    bare, _ = timed(
        lambda: VisitPlan.objects.bulk_create(
            [VisitPlan(rep=rep, client_id=pk, workflow=workflow, starts_on=monday) for pk in client_ids[:late]],
            batch_size=1000,
        )
    )
    per_client = one_by_one / len(sample) * len(client_ids)
    print(
        f"plan collection visits over {len(client_ids)} clients ({planned} more than 30 days late) from the admin's "
        f"client list (both pages): {seconds:.2f} s | their debts at once: {batched:.2f} s | one client at a time "
        f"(from 500): {per_client:.1f} s | bare bulk_create of {planned} plans: {bare:.2f} s"
    )


if __name__ == "__main__":
    main()
