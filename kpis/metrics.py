"""The metrics a KPI definition can name: each a plain function of one client, its parameters and a day.

A metric reads what it needs with aggregate queries, so that a card costs the same number of queries for a client
with ten orders as for one with a hundred thousand order lines. Metrics that several definitions share (the last
order, the ledger) are read once per card through `Facts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.models import LedgerEntry, Target
from workflows.selectors import (
    order_latest,
    order_quantity,
    orders_average_value,
    orders_value,
    visits_count_since,
    visits_first_and_last,
)

# Unpaid invoices read at first (then four times as many each time): one query for nearly every client.
UNPAID_PAGE = 100
ZERO = Decimal("0")

ACTIVE = "active"
INACTIVE = "inactive"
NEW = "new"
DEBT_CLEAR = "clear"
DEBT_CURRENT = "current"
DEBT_OVERDUE = "overdue"
DEBT_CREDIT = "credit"

STATUS_LABELS = {
    ACTIVE: _("Active"),
    INACTIVE: _("Inactive"),
    NEW: _("New"),
    DEBT_CLEAR: _("Nothing owed"),
    DEBT_CURRENT: _("Owes, nothing overdue"),
    DEBT_OVERDUE: _("Overdue"),
    DEBT_CREDIT: _("In credit"),
}


@dataclass
class Facts:
    """What a card's metrics read about one client, each read at most once."""

    client: Any
    today: dt.date
    _cache: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, read: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def days_ago(self, days: int) -> dt.datetime:
        start = dt.datetime.combine(self.today - dt.timedelta(days=days), dt.time.min)
        return timezone.make_aware(start) if timezone.is_naive(start) else start


def last_order(facts: Facts) -> Mapping[str, Any] | None:
    """The client's latest order: its id, value and time. One query."""
    return facts.once("last_order", lambda: order_latest(client=facts.client))


def previous_order_value(facts: Facts, params: dict[str, Any]) -> Decimal | None:
    order = last_order(facts)
    return order["order_total"] if order else None


def previous_order_quantity(facts: Facts, params: dict[str, Any]) -> Decimal | None:
    order = last_order(facts)
    return None if order is None else order_quantity(order_id=order["id"])


def _visit_dates(facts: Facts) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last check-ins. One query."""
    return facts.once("visit_dates", lambda: visits_first_and_last(client=facts.client))


def days_since_last_visit(facts: Facts, params: dict[str, Any]) -> int | None:
    _first, last = _visit_dates(facts)
    return (facts.today - timezone.localdate(last)).days if last else None


def activity_status(facts: Facts, params: dict[str, Any]) -> str:
    """New: first visited within `new_days` (30); active: ordered within `active_days` (60); inactive otherwise."""
    new_days = int(params.get("new_days", 30))
    active_days = int(params.get("active_days", 60))
    first, _last = _visit_dates(facts)
    if first is None or (facts.today - timezone.localdate(first)).days <= new_days:
        return NEW
    order = last_order(facts)
    if order and (facts.today - timezone.localdate(order["submitted_at"])).days <= active_days:
        return ACTIVE
    return INACTIVE


@dataclass(frozen=True)
class Debt:
    balance: Decimal
    overdue: Decimal
    oldest_overdue_days: int | None
    status: str


def debt(facts: Facts) -> Debt:
    """The client's account: credits (payments, credit notes) settle the oldest debits (invoices) first, so what is
    unpaid is the newest debits, back to the balance. Two queries, the second reading only those debits."""

    def read() -> Debt:
        entries = LedgerEntry.objects.filter(client=facts.client)
        balance = entries.balance()
        overdue = ZERO
        oldest: dt.date | None = None
        left = balance
        invoices = entries.debits().order_by("-date", "-id").values_list("amount", "due_date")
        start, size = 0, UNPAID_PAGE
        while left > 0:
            page = list(invoices[start : start + size])
            for amount, due_date in page:
                unpaid = min(amount, left)
                left -= unpaid
                if due_date is not None and due_date < facts.today:
                    overdue += unpaid
                    oldest = due_date if oldest is None else min(oldest, due_date)
                if left <= 0:
                    break
            if len(page) < size:
                break
            start, size = start + size, size * 4
        if balance < 0:
            status = DEBT_CREDIT
        elif balance == 0:
            status = DEBT_CLEAR
        else:
            status = DEBT_OVERDUE if overdue > 0 else DEBT_CURRENT
        days = (facts.today - oldest).days if oldest else None
        return Debt(balance=balance, overdue=overdue, oldest_overdue_days=days, status=status)

    return facts.once("debt", read)


def debt_balance(facts: Facts, params: dict[str, Any]) -> Decimal:
    return debt(facts).balance


def debt_overdue(facts: Facts, params: dict[str, Any]) -> Decimal:
    return debt(facts).overdue


def debt_overdue_days(facts: Facts, params: dict[str, Any]) -> int | None:
    return debt(facts).oldest_overdue_days


def debt_status(facts: Facts, params: dict[str, Any]) -> str:
    return debt(facts).status


def average_order_value(facts: Facts, params: dict[str, Any]) -> Decimal | None:
    """Mean order value over the last `days` (90) days."""
    since = facts.days_ago(int(params.get("days", 90)))
    average = orders_average_value(client=facts.client, since=since)
    return Decimal(average).quantize(Decimal("0.01")) if average is not None else None


def visits_count(facts: Facts, params: dict[str, Any]) -> int:
    """Visits over the last `days` (30) days."""
    return visits_count_since(client=facts.client, since=facts.days_ago(int(params.get("days", 30))))


def target_achievement(facts: Facts, params: dict[str, Any]) -> Decimal | None:
    """Orders of the target's period against the target, in %: the client's own target, else its rep's (then all
    of that rep's orders count). Two queries."""
    target = (
        Target.objects.filter(period_start__lte=facts.today, period_end__gte=facts.today)
        .filter(Q(client=facts.client) | Q(client__isnull=True, rep__assignments__client=facts.client))
        .order_by(F("client_id").asc(nulls_last=True), "-period_start")  # the client's own target first
        .values("client_id", "rep_id", "period_start", "period_end", "value")
        .first()
    )
    if target is None or not target["value"]:
        return None
    own = target["client_id"] is not None
    done = orders_value(
        start=target["period_start"],
        end=target["period_end"],
        client=facts.client if own else None,
        rep_id=None if own else target["rep_id"],
    )
    return (done * 100 / target["value"]).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Metric:
    compute: Callable[[Facts, dict[str, Any]], Any]
    label: Any
    display: str


METRICS: dict[str, Metric] = {
    "previous_order_value": Metric(previous_order_value, _("Previous order value"), "money"),
    "previous_order_quantity": Metric(previous_order_quantity, _("Previous order quantity"), "number"),
    "days_since_last_visit": Metric(days_since_last_visit, _("Days since the last visit"), "days"),
    "activity_status": Metric(activity_status, _("Activity status"), "text"),
    "debt_balance": Metric(debt_balance, _("Balance"), "money"),
    "debt_overdue": Metric(debt_overdue, _("Overdue amount"), "money"),
    "debt_overdue_days": Metric(debt_overdue_days, _("Days of the oldest overdue item"), "days"),
    "debt_status": Metric(debt_status, _("Debt status"), "text"),
    "average_order_value": Metric(average_order_value, _("Average order value"), "money"),
    "visits_count": Metric(visits_count, _("Visits"), "number"),
    "target_achievement": Metric(target_achievement, _("Target achievement"), "percent"),
}


def metric_choices() -> list[tuple[str, Any]]:
    return [(key, metric.label) for key, metric in METRICS.items()]


def compute(metric: str, facts: Facts, params: dict[str, Any]) -> Any:
    return METRICS[metric].compute(facts, params or {})
