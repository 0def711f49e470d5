"""The metrics a KPI definition can name: each a plain function of one client, its parameters and a day.

Each metric declares its parameters (`Param`): the KPI form is built from them and `metric_params_clean` checks a
definition's against them, so that a definition the registry cannot compute is refused where it is written.

A metric reads what it needs with aggregate queries, so that a card costs the same number of queries for a client
with ten orders as for one with a hundred thousand order lines. Metrics that several definitions share (the last
order, the ledger) are read once per card through `Facts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from kpis.models import LedgerEntry, LedgerEntryQuerySet, Target, signed_amount
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
    """New: first visited within `new_days`; active: ordered within `active_days`; inactive otherwise."""
    new_days = int(params["new_days"])
    active_days = int(params["active_days"])
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
    # The unpaid part of each overdue debit, with the days since it fell due.
    late: tuple[tuple[int, Decimal], ...] = ()

    def overdue_for_more_than(self, days: int) -> Decimal:
        return sum((amount for late_days, amount in self.late if late_days > days), ZERO)


def debt_of(*, balance: Decimal, debits: Iterable[tuple[Decimal, dt.date | None]], today: dt.date) -> Debt:
    """The debt rule, on its own: credits (payments, credit notes) settle the oldest debits (invoices) first, so what
    is unpaid is the newest debits, back to the balance. `debits` are (amount, due date), newest first (by date, then
    entry); they are read only as far as the balance reaches, so that a long ledger may be handed in lazily."""
    late: list[tuple[int, Decimal]] = []
    left = balance
    if left > 0:
        for amount, due_date in debits:
            unpaid = min(amount, left)
            left -= unpaid
            if due_date is not None and due_date < today:
                late.append(((today - due_date).days, unpaid))
            if left <= 0:
                break
    overdue = sum((amount for _days, amount in late), ZERO)
    if balance < 0:
        status = DEBT_CREDIT
    elif balance == 0:
        status = DEBT_CLEAR
    else:
        status = DEBT_OVERDUE if overdue > 0 else DEBT_CURRENT
    days = max((late_days for late_days, _amount in late), default=None)
    return Debt(balance=balance, overdue=overdue, oldest_overdue_days=days, status=status, late=tuple(late))


def _newest_debits(entries: LedgerEntryQuerySet) -> Iterator[tuple[Decimal, dt.date | None]]:
    """A client's debits, newest first, read a page at a time (then four times as many each time)."""
    invoices = entries.debits().order_by("-date", "-id").values_list("amount", "due_date")
    start, size = 0, UNPAID_PAGE
    while True:
        page = list(invoices[start : start + size])
        yield from page
        if len(page) < size:
            return
        start, size = start + size, size * 4


def debt(facts: Facts) -> Debt:
    """The client's account (`debt_of`). Two queries, the second reading only the debits the balance reaches back
    to (one page for nearly every client)."""

    def read() -> Debt:
        entries = LedgerEntry.objects.filter(client=facts.client)
        balance = entries.balance()
        return debt_of(balance=balance, debits=_newest_debits(entries) if balance > 0 else (), today=facts.today)

    return facts.once("debt", read)


# What `debt_of` gives a client without a ledger (or whose ledger balances): nothing owed.
NO_DEBT = Debt(balance=ZERO, overdue=ZERO, oldest_overdue_days=None, status=DEBT_CLEAR)
# Debits read from the database at a time by `debts`: bounds its memory, not its queries' count.
DEBITS_CHUNK = 2000
OWING_NAMED = 10_000


def debts(*, clients: QuerySet[Any] | Iterable[Any], today: dt.date) -> dict[str, Debt]:
    """`debt` for many clients at once, by client id (as text): `debt_of` over two queries whatever the number of
    clients (`clients`: a queryset, read as a subquery, or ids). Only clients with a ledger are in it: the others'
    debt is NO_DEBT. The second query reads the debits of the clients who owe something, by client, newest first."""
    # A queryset is read as a subquery.
    chosen: Any = clients.values("pk") if isinstance(clients, QuerySet) else [str(pk) for pk in clients]
    balances = {
        str(client_id): balance
        for client_id, balance in LedgerEntry.objects.filter(client_id__in=chosen)
        .order_by()
        .values("client_id")
        .annotate(balance=Sum(signed_amount()))
        .values_list("client_id", "balance")
    }
    found = {client_id: debt_of(balance=balance, debits=(), today=today) for client_id, balance in balances.items()}
    owing = [client_id for client_id, balance in balances.items() if balance > 0]
    if owing:
        # Named one by one while they are few enough to stay well within the database's limit on parameters.
        rows = (
            LedgerEntry.objects.filter(client_id__in=owing if len(owing) <= OWING_NAMED else chosen)
            .debits()
            .order_by("client_id", "-date", "-id")
            .values_list("client_id", "amount", "due_date")
        )
        for client_id, group in groupby(rows.iterator(chunk_size=DEBITS_CHUNK), key=itemgetter(0)):
            key = str(client_id)
            if balances[key] > 0:
                found[key] = debt_of(balance=balances[key], debits=(row[1:] for row in group), today=today)
    return found


def debt_balance(facts: Facts, params: dict[str, Any]) -> Decimal:
    return debt(facts).balance


def debt_overdue(facts: Facts, params: dict[str, Any]) -> Decimal:
    """What is unpaid of the debits overdue by more than `days` (0: all that are overdue)."""
    return debt(facts).overdue_for_more_than(int(params["days"]))


def debt_overdue_days(facts: Facts, params: dict[str, Any]) -> int | None:
    return debt(facts).oldest_overdue_days


def debt_status(facts: Facts, params: dict[str, Any]) -> str:
    return debt(facts).status


def average_order_value(facts: Facts, params: dict[str, Any]) -> Decimal | None:
    """Mean order value over the last `days` days."""
    since = facts.days_ago(int(params["days"]))
    average = orders_average_value(client=facts.client, since=since)
    return Decimal(average).quantize(Decimal("0.01")) if average is not None else None


def visits_count(facts: Facts, params: dict[str, Any]) -> int:
    """Visits over the last `days` days."""
    return visits_count_since(client=facts.client, since=facts.days_ago(int(params["days"])))


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


INTEGER = "integer"
DECIMAL = "decimal"
# The longest period a parameter counts back over: ten years.
MAX_DAYS = 3650


@dataclass(frozen=True)
class Param:
    """A parameter a metric declares: its type, its label in the KPI form, its default and its bounds."""

    name: str
    label: Any
    default: int | Decimal
    min_value: int | Decimal | None = None
    max_value: int | Decimal | None = None
    kind: str = INTEGER
    help_text: Any = ""

    def form_field(self) -> forms.Field:
        field_class = forms.DecimalField if self.kind == DECIMAL else forms.IntegerField
        return field_class(
            label=self.label,
            help_text=self.help_text,
            initial=self.default,
            min_value=self.min_value,  # type: ignore[arg-type]  # an int for an integer, a Decimal for a decimal
            max_value=self.max_value,  # type: ignore[arg-type]
        )

    def clean(self, value: Any) -> Any:
        """The value typed and within bounds, as stored in JSON (a decimal as text, to stay exact)."""
        cleaned = self.form_field().clean(value)
        return str(cleaned) if self.kind == DECIMAL else cleaned


@dataclass(frozen=True)
class Metric:
    compute: Callable[[Facts, dict[str, Any]], Any]
    label: Any
    display: str
    params: tuple[Param, ...] = ()

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {param.name: params.get(param.name, param.default) for param in self.params}


def _period(default: int) -> Param:
    return Param(
        "days",
        _("Period (days)"),
        default,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=_("Counted over this many days up to today."),
    )


METRICS: dict[str, Metric] = {
    "previous_order_value": Metric(previous_order_value, _("Previous order value"), "money"),
    "previous_order_quantity": Metric(previous_order_quantity, _("Previous order quantity"), "number"),
    "days_since_last_visit": Metric(days_since_last_visit, _("Days since the last visit"), "days"),
    "activity_status": Metric(
        activity_status,
        _("Activity status"),
        "text",
        (
            Param("new_days", _("New: first visit within (days)"), 30, min_value=0, max_value=MAX_DAYS),
            Param("active_days", _("Active: ordered within (days)"), 60, min_value=1, max_value=MAX_DAYS),
        ),
    ),
    "debt_balance": Metric(debt_balance, _("Balance"), "money"),
    "debt_overdue": Metric(
        debt_overdue,
        _("Overdue amount"),
        "money",
        (
            Param(
                "days",
                _("Overdue by more than (days)"),
                0,
                min_value=0,
                max_value=MAX_DAYS,
                help_text=_("0 counts everything past its due date."),
            ),
        ),
    ),
    "debt_overdue_days": Metric(debt_overdue_days, _("Days of the oldest overdue item"), "days"),
    "debt_status": Metric(debt_status, _("Debt status"), "text"),
    "average_order_value": Metric(average_order_value, _("Average order value"), "money", (_period(90),)),
    "visits_count": Metric(visits_count, _("Visits"), "number", (_period(30),)),
    "target_achievement": Metric(target_achievement, _("Target achievement"), "percent"),
}

UNKNOWN_METRIC = _("“%(metric)s” is not a metric FieldSales knows: choose one from the list.")
PARAMS_NOT_A_MAPPING = _("The parameters must be a set of named values.")
TAKES_NO_PARAMS = _("%(metric)s takes no parameters: remove %(names)s.")
UNKNOWN_PARAMS = ngettext_lazy(
    "%(metric)s has no parameter %(names)s; its parameters are: %(known)s.",
    "%(metric)s has no parameters %(names)s; its parameters are: %(known)s.",
    "count",
)
PARAM_INVALID = _("%(label)s: %(error)s")


def metric_choices() -> list[tuple[str, Any]]:
    return [(key, metric.label) for key, metric in METRICS.items()]


def metric_params_clean(*, metric: str, params: Any) -> dict[str, Any]:
    """A definition's parameters checked against what its metric declares: each typed and within its bounds, the
    missing ones at their default. Raises a ValidationError naming the field at fault (`metric` or `params`)."""
    if metric not in METRICS:
        raise ValidationError({"metric": ValidationError(UNKNOWN_METRIC, "unknown_metric", {"metric": metric})})
    if not isinstance(params, Mapping):
        raise ValidationError({"params": ValidationError(PARAMS_NOT_A_MAPPING, "not_a_mapping")})
    declared = METRICS[metric]
    unknown = sorted(set(params) - {param.name for param in declared.params})
    if unknown:
        names = ", ".join(unknown)
        known = ", ".join(param.name for param in declared.params)
        message = UNKNOWN_PARAMS if known else TAKES_NO_PARAMS
        words = {"metric": declared.label, "names": names, "known": known, "count": len(unknown)}
        raise ValidationError({"params": ValidationError(message, "unknown_params", words)})
    cleaned: dict[str, Any] = {}
    errors: list[ValidationError] = []
    for param in declared.params:
        try:
            cleaned[param.name] = param.clean(params.get(param.name, param.default))
        except ValidationError as error:
            errors.extend(
                ValidationError(PARAM_INVALID, "invalid_param", {"label": param.label, "error": message})
                for message in error.messages
            )
    if errors:
        raise ValidationError({"params": errors})
    return cleaned


def compute(metric: str, facts: Facts, params: dict[str, Any]) -> Any:
    declared = METRICS[metric]
    return declared.compute(facts, declared.with_defaults(params or {}))
