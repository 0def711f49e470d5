"""kpis' services called directly, without HTTP: the cards follow what they count, and the ledger's sign rule (a
debit adds to what the client owes, a credit subtracts) gives one balance wherever the balance is read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kpis.metrics import Facts, debt
from kpis.models import KpiCard, KpiDefinition, KpiFolder, LedgerEntry, Target
from kpis.services import kpi_cards_refresh, kpi_cards_refresh_all, targets_write
from kpis.statements import statement_build
from tests.factories import AssignmentFactory, ClientFactory, LedgerEntryFactory, RepFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)

# What one entry of each kind does to the balance, written here by hand: a kind added to the model fails
# `test_ledger_sign_is_decided_for_every_kind` until its direction is decided (kpis.models.DEBIT_KINDS).
SIGN = {LedgerEntry.Kind.INVOICE: 1, LedgerEntry.Kind.PAYMENT: -1, LedgerEntry.Kind.CREDIT_NOTE: -1}


@pytest.fixture
def balance_kpi(db):  # type: ignore[no-untyped-def]
    """One KPI defined, the balance: a card exists once it is computed."""
    folder = KpiFolder.objects.create(name_en="Account", name_fr="Compte")
    return KpiDefinition.objects.create(
        key="balance", metric="debt_balance", folder=folder, display="money", label_en="Balance", label_fr="Solde"
    )


def card_balance(client: Any) -> Decimal:
    card = KpiCard.objects.get(client=client)
    values = {kpi["key"]: kpi["value"] for folder in card.folders for kpi in folder["kpis"]}
    return Decimal(values["balance"])


def card_versions() -> dict[Any, int]:
    return dict(KpiCard.objects.values_list("client_id", "version"))


# The ledger's sign rule -------------------------------------------------------------------------------------------


def test_ledger_sign_is_decided_for_every_kind():
    assert set(SIGN) == set(LedgerEntry.Kind)


@pytest.mark.parametrize("kind", list(LedgerEntry.Kind))
def test_ledger_balance_of_a_single_entry_carries_its_kinds_sign(kind):
    client = ClientFactory()
    LedgerEntryFactory(client=client, kind=kind, amount=Decimal("250.50"))
    assert LedgerEntry.objects.filter(client=client).balance() == SIGN[kind] * Decimal("250.50")


def test_ledger_balance_adds_the_debit_and_subtracts_the_credits():
    client, other = ClientFactory(), ClientFactory()
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.INVOICE, amount=Decimal("1000"))
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.PAYMENT, amount=Decimal("300"))
    LedgerEntryFactory(client=client, kind=LedgerEntry.Kind.CREDIT_NOTE, amount=Decimal("200.25"))
    LedgerEntryFactory(client=other, kind=LedgerEntry.Kind.INVOICE, amount=Decimal("9999"))
    assert LedgerEntry.objects.filter(client=client).balance() == Decimal("499.75")
    assert LedgerEntry.objects.filter(client=ClientFactory()).balance() == Decimal("0")  # no ledger: owes nothing


def test_ledger_balance_is_the_same_on_the_card_in_the_debt_metric_and_on_the_statement(balance_kpi):
    client = ClientFactory(statement_enabled=True)
    entries = [
        (dt.date(2026, 5, 1), LedgerEntry.Kind.INVOICE, "4000"),  # before the statement's 90 days: its opening
        (dt.date(2026, 5, 9), LedgerEntry.Kind.PAYMENT, "1500"),
        (dt.date(2026, 10, 1), LedgerEntry.Kind.INVOICE, "2000.40"),
        (dt.date(2026, 10, 20), LedgerEntry.Kind.CREDIT_NOTE, "400.40"),
        (dt.date(2026, 11, 2), LedgerEntry.Kind.PAYMENT, "600"),
    ]
    for date, kind, amount in entries:
        LedgerEntryFactory(client=client, date=date, kind=kind, amount=Decimal(amount))
    expected = Decimal("3500")  # 4000 − 1500 + 2000.40 − 400.40 − 600

    kpi_cards_refresh(client_ids=[client.pk], today=TODAY)
    statement = statement_build(client=client, end=TODAY)

    assert card_balance(client) == expected
    assert debt(Facts(client=client, today=TODAY)).balance == expected
    assert (statement.opening, statement.closing) == (Decimal("2500"), expected)
    # The statement's columns follow the same rule: the debit in its column, each credit in the other.
    assert [(line.debit, line.credit, line.balance) for line in statement.lines] == [
        (Decimal("2000.40"), None, Decimal("4500.40")),
        (None, Decimal("400.40"), Decimal("4100.00")),
        (None, Decimal("600"), Decimal("3500.00")),
    ]


# The cards' refresh -----------------------------------------------------------------------------------------------


def test_kpi_cards_refresh_makes_no_card_while_no_kpi_is_defined():
    client = ClientFactory()
    LedgerEntryFactory(client=client)
    assert kpi_cards_refresh(client_ids=[client.pk], today=TODAY) == []
    assert not KpiCard.objects.exists()


def test_kpi_cards_refresh_changes_only_the_cards_whose_values_moved(balance_kpi):
    moved, still = ClientFactory(), ClientFactory()
    changed = kpi_cards_refresh(client_ids=[moved.pk, still.pk, moved.pk], today=TODAY)
    assert sorted(changed) == sorted([str(moved.pk), str(still.pk)])  # each once, though named twice

    LedgerEntryFactory(client=moved, kind=LedgerEntry.Kind.INVOICE, amount=Decimal("700"))
    assert kpi_cards_refresh(client_ids=[moved.pk, still.pk], today=TODAY) == [str(moved.pk)]

    assert card_balance(moved) == Decimal("700")
    assert card_versions() == {moved.pk: 2, still.pk: 1}


def test_kpi_cards_refresh_for_a_reps_target_recomputes_every_client_of_that_rep_only(balance_kpi):
    rep = RepFactory()
    mine = [AssignmentFactory(rep=rep).client, AssignmentFactory(rep=rep).client]
    AssignmentFactory()  # another rep's client
    period = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 11, 30)}

    targets_write(created=[Target(rep=rep, value=Decimal("5000"), **period)], updated=[])

    assert set(card_versions()) == {client.pk for client in mine}


def test_kpi_cards_refresh_for_a_clients_target_recomputes_that_card_alone(balance_kpi):
    rep = RepFactory()
    client = AssignmentFactory(rep=rep).client
    AssignmentFactory(rep=rep)  # a neighbour: same rep, no target of its own
    period = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 11, 30)}

    targets_write(created=[Target(client=client, value=Decimal("5000"), **period)], updated=[])

    assert set(card_versions()) == {client.pk}


def test_kpi_cards_refresh_all_recomputes_the_clients_in_use_and_skips_the_archived(balance_kpi):
    kept = ClientFactory()
    ClientFactory(archived_at=timezone.now())
    assert kpi_cards_refresh_all(today=TODAY) == (1, 1)  # (cards changed, clients in use)
    assert set(card_versions()) == {kept.pk}
    assert kpi_cards_refresh_all(today=TODAY) == (0, 1)  # nothing moved: no new version
