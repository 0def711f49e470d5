"""The KPI and statement jobs (fieldsales/jobs.py): enqueued in the transaction of what they follow, run by a worker."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from fieldsales.jobs import job
from kpis.delivery import deliveries_process, delivery_attempt, delivery_next_attempt
from kpis.services import QUIET_BATCH, kpi_cards_refresh_all, kpi_cards_refresh_quietly


@job(label=_("KPI cards after a push"), attempts=5)
def refresh_cards(*, client_ids: list[str]) -> int:
    """The cards of the clients a push changed, computed outside any transaction and written in a short one."""
    return sum(
        len(kpi_cards_refresh_quietly(client_ids=client_ids[start : start + QUIET_BATCH]))
        for start in range(0, len(client_ids), QUIET_BATCH)
    )


@job(label=_("Every KPI card"), attempts=3)
def refresh_all_cards() -> list[int]:
    return list(kpi_cards_refresh_all())


@job(label=_("Account statement"))
def deliver_statement(*, delivery_id: Any) -> str:
    """One attempt at one statement; refused by its provider (or held by the hourly limit), the next attempt is
    enqueued for when the delivery says."""
    status = delivery_attempt(delivery_id)
    later = delivery_next_attempt(delivery_id)
    if later is not None:
        deliver_statement.using(run_after=later).enqueue(delivery_id=delivery_id)
    return status


@job(label=_("Account statements due"))
def deliver_due_statements() -> dict[str, int]:
    return deliveries_process()
