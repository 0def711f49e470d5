"""The overdue debt the reps' phones show (the `debt` record, kpis/records.py): how much of a client's account is
past its due date, and for how many days its oldest unpaid item is. The rule is kpis/metrics.py's `debt_of`; this
module keeps what the phones hold in step with it.

It follows the ledger where the KPI cards do (`kpi_cards_refresh`, which every ledger write calls: the admin, the
import), and moves with the days nightly (`debts_refresh_all`, with every card).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from clients.selectors import clients_in_use
from fieldsales.sync.feed import publish
from kpis.metrics import NO_DEBT, Debt, debts
from kpis.models import LedgerEntry, OverdueDebt, signed_amount
from workflows.services import CENT, MONEY_ROUNDING

DEBT_TYPE = "debt"
# Clients whose debt is computed and written together by `debts_refresh_all`.
REFRESH_BATCH = 2000


@transaction.atomic
def debts_refresh(
    *, client_ids: Iterable[Any], today: dt.date | None = None, computed: Mapping[str, Debt] | None = None
) -> list[str]:
    """Recompute these clients' overdue debt; those that changed get a new version and reach the phones of the reps
    who see the client (or leave them, once nothing is overdue). Returns the ids of the clients whose debt changed.
    Queries: two for the debts (none when `computed` gives them, by client id, as `kpis.metrics.debts` does), one for
    what is held, then the writes and the feed's."""
    today = today or timezone.localdate()
    ids = sorted({str(client_id) for client_id in client_ids})
    if not ids:
        return []
    if computed is None:
        computed = debts(clients=ids, today=today)
    held = {str(row.client_id): row for row in OverdueDebt.objects.select_for_update().filter(client_id__in=ids)}
    new: list[OverdueDebt] = []
    moved: list[OverdueDebt] = []
    for client_id in ids:
        debt = computed.get(client_id, NO_DEBT)
        overdue, days = debt.overdue.quantize(CENT, rounding=MONEY_ROUNDING), debt.oldest_overdue_days
        row = held.get(client_id)
        if row is None:
            if overdue > 0:
                new.append(OverdueDebt(client_id=client_id, overdue=overdue, days=days, computed_on=today))
        elif (row.overdue, row.days) != (overdue, days):
            row.overdue, row.days, row.version, row.computed_on = overdue, days, row.version + 1, today
            moved.append(row)
    OverdueDebt.objects.bulk_create(new)
    OverdueDebt.objects.bulk_update(moved, ["overdue", "days", "version", "computed_on"])
    changed = [str(row.client_id) for row in [*new, *moved]]
    if changed:
        publish(DEBT_TYPE, changed)
    return changed


def debts_refresh_all(*, today: dt.date | None = None) -> int:
    """Recompute the debt of every client in use that owes something or that phones hold a debt of, REFRESH_BATCH
    at a time, each batch in a short transaction: the days overdue move with the calendar (nightly). Returns how
    many changed."""
    owing = (
        LedgerEntry.objects.filter(client__in=clients_in_use())
        .order_by()
        .values("client_id")
        .annotate(balance=Sum(signed_amount()))
        .filter(balance__gt=0)
        .values_list("client_id", flat=True)
    )
    held = OverdueDebt.objects.filter(overdue__gt=0).values_list("client_id", flat=True)
    ids = sorted({str(pk) for pk in owing} | {str(pk) for pk in held})
    return sum(
        len(debts_refresh(client_ids=ids[start : start + REFRESH_BATCH], today=today))
        for start in range(0, len(ids), REFRESH_BATCH)
    )
