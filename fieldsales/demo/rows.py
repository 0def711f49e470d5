"""What the builders hand each other: the reference rows the clients need, the rows written together, and the sales
that set the reps' targets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clients.models import Assignment, Client
from clients.recording import clients_history_record
from clients.schema import AttributeSpec
from kpis.models import LedgerEntry
from workflows.models import ActivitySubmission, Note, Order, OrderLine, Product, Visit

# Clients generated and written together. It also bounds the `IN (...)` of the order-line check below
# under SQLite's 999-parameter limit.
CHUNK = 500
BATCH_SIZE = 1000

# Order totals by (rep id, year, month).
SalesByRepMonth = defaultdict[tuple[int, int, int], Decimal]


@dataclass(frozen=True)
class Demo:
    """What the client generator needs from the rows made before it."""

    today: dt.date
    list_id: int
    specs: list[AttributeSpec]
    clerk_id: int
    rep_ids: dict[str, int]
    products: list[Product]
    sales_visit_id: int
    shelf_check_id: int
    shelf_specs: list[AttributeSpec]
    order_taking_id: int


@dataclass
class Batch:
    clients: list[Client] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    submissions: list[ActivitySubmission] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def write(self) -> None:
        options: dict[str, Any] = {"batch_size": BATCH_SIZE, "ignore_conflicts": True}
        Client.objects.bulk_create(self.clients, **options)
        # Their history starts with them (a bulk_create records none), once: a seed run again adds none.
        recorded = set(
            Client.history.filter(id__in=[client.pk for client in self.clients]).values_list("id", flat=True)
        )
        clients_history_record(clients=[client for client in self.clients if client.pk not in recorded], created=True)
        Assignment.objects.bulk_create(self.assignments, **options)
        Visit.objects.bulk_create(self.visits, **options)
        ActivitySubmission.objects.bulk_create(self.submissions, **options)
        # Order lines have no natural key to conflict on: add them only to orders that have none yet.
        visited = {visit.client_id for visit in self.visits}
        done = set(
            OrderLine.objects.filter(submission__visit__client_id__in=visited).values_list("submission_id", flat=True)
        )
        OrderLine.objects.bulk_create([line for line in self.lines if line.submission_id not in done], **options)
        Order.objects.bulk_create(self.orders, **options)
        Note.objects.bulk_create(self.notes, **options)
        LedgerEntry.objects.bulk_create(self.ledger, **options)
