"""Each metric against values computed by hand on small fixtures, edge cases included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis.metrics import ACTIVE, DEBT_CLEAR, DEBT_CREDIT, DEBT_CURRENT, DEBT_OVERDUE, INACTIVE, NEW, Facts, compute
from kpis.models import LedgerEntry, Target
from tests.factories import (
    ActivityFactory,
    AssignmentFactory,
    ClientFactory,
    LedgerEntryFactory,
    OrderLineFactory,
    RepFactory,
    SubmissionFactory,
    VisitFactory,
)
from workflows.models import ActivityKind

TODAY = dt.date(2026, 11, 23)
pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def days_before(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def order(client, day: dt.date, lines: list[tuple[str, str]], rep=None):  # type: ignore[no-untyped-def]
    """An order taken on `day`: lines of (quantity, unit price)."""
    visit = VisitFactory(client=client, checked_in_at=at(day), **({"rep": rep} if rep else {}))
    total = sum((Decimal(q) * Decimal(p) for q, p in lines), Decimal("0"))
    submission = SubmissionFactory(
        visit=visit, activity=ActivityFactory(kind=ActivityKind.ORDER), submitted_at=at(day, 11), order_total=total
    )
    for quantity, price in lines:
        OrderLineFactory(
            submission=submission,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            value=Decimal(quantity) * Decimal(price),
        )
    return visit


def kpi(client, metric: str, **params):  # type: ignore[no-untyped-def]
    return compute(metric, Facts(client=client, today=TODAY), params)


def test_no_visits_and_no_orders_give_empty_values_not_zeros_that_lie():
    client = ClientFactory()
    assert kpi(client, "previous_order_value") is None
    assert kpi(client, "previous_order_quantity") is None
    assert kpi(client, "days_since_last_visit") is None
    assert kpi(client, "average_order_value") is None
    assert kpi(client, "visits_count") == 0
    assert kpi(client, "activity_status") == NEW
    assert kpi(client, "target_achievement") is None


def test_previous_order_is_the_latest_one_with_its_value_and_quantities():
    client = ClientFactory()
    order(client, days_before(40), [("10", "500")])
    order(client, days_before(12), [("3", "1500.00"), ("2", "250.50")])
    # A form filled after the last order is not an order.
    SubmissionFactory(
        visit=VisitFactory(client=client, checked_in_at=at(days_before(5))),
        activity=ActivityFactory(kind=ActivityKind.FORM),
        submitted_at=at(days_before(5)),
    )
    assert kpi(client, "previous_order_value") == Decimal("5001.00")  # 3 × 1500 + 2 × 250.50
    assert kpi(client, "previous_order_quantity") == Decimal("5")
    assert kpi(client, "days_since_last_visit") == 5


def test_average_order_value_and_visits_count_over_their_periods():
    client = ClientFactory()
    order(client, days_before(100), [("1", "9000")])  # outside 90 days
    order(client, days_before(60), [("1", "1000")])
    order(client, days_before(20), [("2", "1000")])
    order(client, days_before(3), [("1", "1500")])
    assert kpi(client, "average_order_value") == Decimal("1500.00")  # (1000 + 2000 + 1500) / 3
    assert kpi(client, "average_order_value", days=30) == Decimal("1750.00")  # (2000 + 1500) / 2
    assert kpi(client, "visits_count") == 2  # 20 and 3 days ago
    assert kpi(client, "visits_count", days=365) == 4


def test_activity_status_new_active_inactive_with_configurable_thresholds():
    newcomer, regular, dormant = ClientFactory(), ClientFactory(), ClientFactory()
    order(newcomer, days_before(10), [("1", "100")])
    order(regular, days_before(200), [("1", "100")])
    order(regular, days_before(15), [("1", "100")])
    order(dormant, days_before(200), [("1", "100")])
    order(dormant, days_before(90), [("1", "100")])
    assert kpi(newcomer, "activity_status") == NEW
    assert kpi(regular, "activity_status") == ACTIVE
    assert kpi(dormant, "activity_status") == INACTIVE
    assert kpi(dormant, "activity_status", active_days=120) == ACTIVE
    assert kpi(newcomer, "activity_status", new_days=5) == ACTIVE


def test_debt_settles_the_oldest_invoices_first():
    client = ClientFactory()
    LedgerEntryFactory(client=client, date=days_before(90), due_date=days_before(60), amount=Decimal("10000"))
    LedgerEntryFactory(client=client, date=days_before(50), due_date=days_before(20), amount=Decimal("8000"))
    LedgerEntryFactory(
        client=client, date=days_before(10), due_date=TODAY + dt.timedelta(days=20), amount=Decimal("5000")
    )
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.PAYMENT, date=days_before(30), amount=Decimal("12000"))
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.CREDIT_NOTE, date=days_before(5), amount=Decimal("1000"))
    # Credits 13000 pay the first invoice (10000) and 3000 of the second: 5000 of it is overdue (20 days); the
    # third is not due yet.
    assert kpi(client, "debt_balance") == Decimal("10000")
    assert kpi(client, "debt_overdue") == Decimal("5000")
    assert kpi(client, "debt_overdue_days") == 20
    assert kpi(client, "debt_status") == DEBT_OVERDUE


def test_debt_unpaid_over_more_invoices_than_one_read_counts_them_all():
    client = ClientFactory()
    # 700 invoices of 10, one a day; a payment of 1000 settles the oldest 100. The 600 unpaid take three reads.
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            client=client,
            date=days_before(day),
            due_date=days_before(day - 30),
            kind=LedgerEntry.Kind.INVOICE,
            reference=f"F{day}",
            amount=Decimal("10"),
        )
        for day in range(1, 701)
    )
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.PAYMENT, date=days_before(1), amount=Decimal("1000"))
    assert kpi(client, "debt_balance") == Decimal("6000")
    # Unpaid: invoices of days 1 to 600, of which those of days 31 to 600 are overdue, the oldest by 570 days.
    assert kpi(client, "debt_overdue") == Decimal("5700")
    assert kpi(client, "debt_overdue_days") == 570


def test_overdue_by_more_than_some_days_counts_only_what_fell_due_before_them():
    client = ClientFactory()
    LedgerEntryFactory(client=client, date=days_before(90), due_date=days_before(60), amount=Decimal("4000"))
    LedgerEntryFactory(client=client, date=days_before(60), due_date=days_before(30), amount=Decimal("3000"))
    LedgerEntryFactory(client=client, date=days_before(40), due_date=days_before(10), amount=Decimal("2000"))
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.PAYMENT, date=days_before(5), amount=Decimal("1000"))
    # The payment settles 1000 of the oldest: unpaid 3000 (60 days late), 3000 (30 days), 2000 (10 days).
    assert kpi(client, "debt_overdue") == kpi(client, "debt_overdue", days=0) == Decimal("8000")
    assert kpi(client, "debt_overdue", days=10) == Decimal("6000")  # more than 10 days: not the 10-day one
    assert kpi(client, "debt_overdue", days=30) == Decimal("3000")
    assert kpi(client, "debt_overdue", days=60) == Decimal("0")


def test_a_future_due_date_is_owed_but_not_overdue():
    client = ClientFactory()
    LedgerEntryFactory(
        client=client, date=days_before(1), due_date=TODAY + dt.timedelta(days=30), amount=Decimal("7000")
    )
    assert (kpi(client, "debt_balance"), kpi(client, "debt_overdue")) == (Decimal("7000"), Decimal("0"))
    assert kpi(client, "debt_overdue_days") is None
    assert kpi(client, "debt_status") == DEBT_CURRENT


def test_payments_exceeding_invoices_leave_the_client_in_credit():
    client = ClientFactory()
    LedgerEntryFactory(client=client, date=days_before(40), due_date=days_before(10), amount=Decimal("3000"))
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.PAYMENT, date=days_before(2), amount=Decimal("5000"))
    assert kpi(client, "debt_balance") == Decimal("-2000")
    assert kpi(client, "debt_overdue") == Decimal("0")
    assert kpi(client, "debt_status") == DEBT_CREDIT


def test_no_ledger_means_nothing_owed():
    client = ClientFactory()
    assert (kpi(client, "debt_balance"), kpi(client, "debt_status")) == (Decimal("0"), DEBT_CLEAR)


def test_target_achievement_uses_the_clients_own_target_first_then_its_reps():
    rep = RepFactory()
    client, other = ClientFactory(), ClientFactory()
    AssignmentFactory(client=client, rep=rep)
    AssignmentFactory(client=other, rep=rep)
    order(client, days_before(5), [("4", "1000")], rep=rep)
    order(other, days_before(5), [("2", "1000")], rep=rep)
    order(client, dt.date(2026, 10, 30), [("9", "1000")], rep=rep)  # before the period
    Target.objects.create(rep=rep, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30), value=12000)
    assert kpi(client, "target_achievement") == Decimal("50.0")  # the rep's 6000 of 12000
    Target.objects.create(
        client=client, period_start=dt.date(2026, 11, 1), period_end=dt.date(2026, 11, 30), value=5000
    )
    assert kpi(client, "target_achievement") == Decimal("80.0")  # the client's 4000 of 5000
