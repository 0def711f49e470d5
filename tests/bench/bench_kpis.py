"""KPI and statement benchmark: `make bench-kpis` (or `python -m tests.bench.bench_kpis`).

On a throwaway database of the configured kind (SQLite unless DATABASE_URL names PostgreSQL), with the demo's KPI
definitions. Each figure is printed with a baseline measured in the same run.

- KPI card refresh of a client with 100,000 order lines (10,000 visits with an order of 10 lines each, and a ledger
  of 20,000 entries), against the same refresh of a client with one visit, one order and one invoice: p50 and the
  queries each costs (goal: under 50 ms, and the same queries);
- account statement PDF of 500 transactions (goal: under 3 s); ms per row at 1,600 rows against 100 rows (goal:
  a ratio of 1.3 or less: rendering time grows linearly).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tests.bench.throwaway import on_throwaway_db

VISITS = 10_000
LINES_PER_ORDER = 10
REFRESH_RUNS = 25
STATEMENT_SIZES = (100, 500, 1600)
STATEMENT_RUNS = 3


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench-kpis")


def median_of(function: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def history(client: Any, rep: Any, activity: Any, products: list[Any], visits: int, today: dt.date) -> int:
    """`visits` visits, one a day back from yesterday, each with an order of LINES_PER_ORDER lines, and an invoice
    for each order with a payment for all but the last 50. Bulk-written: returns the order lines written."""
    from django.utils import timezone

    from kpis.models import LedgerEntry
    from workflows.models import ActivitySubmission, OrderLine, Visit

    lines_written = 0
    batch = 1000
    for start in range(0, visits, batch):
        count = min(batch, visits - start)
        days = range(start + 1, start + count + 1)
        moments = [
            timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=day), dt.time(10))) for day in days
        ]
        visit_rows = [
            Visit(id=uuid.uuid4(), rep=rep, client=client, workflow=activity.workflow, checked_in_at=moment)
            for moment in moments
        ]
        Visit.objects.bulk_create(visit_rows)
        total = sum(product.unit_price for product in products[:LINES_PER_ORDER])
        submissions = [
            ActivitySubmission(
                id=uuid.uuid4(),
                visit=visit,
                client=client,
                activity=activity,
                values={},
                order_total=total,
                submitted_at=moment,
            )
            for visit, moment in zip(visit_rows, moments, strict=True)
        ]
        ActivitySubmission.objects.bulk_create(submissions)
        lines = [
            OrderLine(
                submission=submission,
                product=product,
                quantity=1,
                unit_price=product.unit_price,
                value=product.unit_price,
            )
            for submission in submissions
            for product in products[:LINES_PER_ORDER]
        ]
        OrderLine.objects.bulk_create(lines, batch_size=5000)
        lines_written += len(lines)
        ledger = []
        for day, submission in zip(days, submissions, strict=True):
            date = today - dt.timedelta(days=day)
            ledger.append(
                LedgerEntry(
                    client=client,
                    date=date,
                    kind=LedgerEntry.Kind.INVOICE,
                    reference=f"F{submission.pk.hex[:12]}",
                    amount=total,
                    due_date=date + dt.timedelta(days=30),
                )
            )
            if day > 50:
                ledger.append(
                    LedgerEntry(
                        client=client,
                        date=date + dt.timedelta(days=20),
                        kind=LedgerEntry.Kind.PAYMENT,
                        reference=f"R{submission.pk.hex[:12]}",
                        amount=total,
                    )
                )
        LedgerEntry.objects.bulk_create(ledger, batch_size=5000)
    return lines_written


def statement_ledger(client: Any, rows: int, today: dt.date) -> None:
    """`rows` transactions spread over the statement's default 90 days: invoices and payments alternating."""
    from kpis.models import LedgerEntry

    entries = []
    for index in range(rows):
        date = today - dt.timedelta(days=1 + index * 88 // rows)
        invoice = index % 2 == 0
        entries.append(
            LedgerEntry(
                client=client,
                date=date,
                kind=LedgerEntry.Kind.INVOICE if invoice else LedgerEntry.Kind.PAYMENT,
                reference=f"{'F' if invoice else 'R'}{index:06d}",
                amount=Decimal("125000.50") if invoice else Decimal("100000"),
                due_date=date + dt.timedelta(days=30) if invoice else None,
            )
        )
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)


def run() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clients.models import ClientList
    from kpis.services import kpi_cards_refresh
    from kpis.statements import statement_pdf
    from tests.factories import ActivityFactory, ClientFactory, ProductFactory, RepFactory, WorkflowFactory
    from workflows.models import ActivityKind

    call_command("seed_demo", clients=1, verbosity=0)  # the demo's KPI definitions and folders
    client_list = ClientList.objects.get(name="Points de vente")
    today = timezone.localdate()
    rep = RepFactory(username="bench")
    workflow = WorkflowFactory()
    activity = ActivityFactory(workflow=workflow, kind=ActivityKind.ORDER)
    products = [ProductFactory(unit_price=Decimal(1000 + 125 * index)) for index in range(LINES_PER_ORDER)]
    long_client = ClientFactory(client_list=client_list, name="Grossiste Adjamé")
    short_client = ClientFactory(client_list=client_list, name="Kiosque Plateau")

    started = time.perf_counter()
    lines = history(long_client, rep, activity, products, VISITS, today)
    history(short_client, rep, activity, products, 1, today)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    written = time.perf_counter() - started
    print(f"database: {connection.vendor}; history of {lines:,} order lines written in {written:.1f} s")

    def refresh(client: Any) -> Callable[[], Any]:
        days = iter(range(10_000))

        # A day later each time: the card changes (days since the last visit), so each run also writes it.
        def once() -> Any:
            return kpi_cards_refresh(client_ids=[client.pk], today=today + dt.timedelta(days=next(days) % 2))

        return once

    results = {}
    for name, client in (("short", short_client), ("long", long_client)):
        once = refresh(client)
        once()  # the card's first version
        with CaptureQueriesContext(connection) as queries:
            once()
        results[name] = (median_of(once, REFRESH_RUNS), len(queries))
    (short_s, short_q), (long_s, long_q) = results["short"], results["long"]
    print(
        f"KPI card refresh, {lines:,} order lines: p50 {long_s * 1000:.1f} ms, {long_q} queries "
        f"(goal < 50 ms) | baseline, 10 order lines: {short_s * 1000:.1f} ms, {short_q} queries | "
        f"ratio {long_s / short_s:.2f}x"
    )

    per_row = {}
    for rows in STATEMENT_SIZES:
        client = ClientFactory(client_list=client_list, name=f"Épicerie {rows} lignes", statement_enabled=True)
        statement_ledger(client, rows, today)
        pdf_size = len(statement_pdf(client=client, language="fr"))  # the fonts' first load is not the statement's
        seconds = median_of(lambda client=client: statement_pdf(client=client, language="fr"), STATEMENT_RUNS)
        per_row[rows] = seconds * 1000 / rows
        goal = " (goal < 3 s)" if rows == 500 else ""
        print(
            f"statement of {rows:,} transactions: {seconds:.2f} s{goal}, {per_row[rows]:.2f} ms per row, "
            f"{pdf_size / 1024:.0f} KB"
        )
    ratio = per_row[STATEMENT_SIZES[-1]] / per_row[STATEMENT_SIZES[0]]
    print(
        f"statement ms per row, {STATEMENT_SIZES[-1]:,} rows against {STATEMENT_SIZES[0]:,}: "
        f"ratio {ratio:.2f} (goal <= 1.3)"
    )


if __name__ == "__main__":
    main()
