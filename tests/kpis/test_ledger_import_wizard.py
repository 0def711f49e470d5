"""Ledger files with the wizard: clients named by their code, kinds and amounts as a French ERP writes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from clients.models import ClientList
from clients.resources import CLIENT_AMBIGUOUS, CLIENT_NOT_FOUND
from clients.services import client_create
from fieldsales.models import ImportJob
from kpis.models import LedgerEntry
from tests.factories import AttributeFactory, ClientListFactory, make_coded_shops
from tests.wizard import french_excel_csv, tally, wizard_import

LEDGER = "/admin/kpis/ledgerentry/import-file/"
HEADERS = ["Code client", "Date", "Type", "Référence", "Montant", "Échéance"]
ROWS = [
    ["C001", "01/10/2026", "Facture", "F0001", "150 000,50", "31/10/2026"],
    ["c001", "15/10/2026", "Paiement", "R0001", "100 000", ""],
    ["C002", "2026-10-01", "Avoir", "A0001", "2 500", ""],
]


@pytest.fixture
def shops(db: Any) -> dict[str, Any]:
    """Two points of sale of a list whose business key is a client code."""
    return make_coded_shops()


def run(http: Any, content: bytes, *, mode: str = "all") -> ImportJob:
    return wizard_import(http, LEDGER, content, "grand-livre.csv", mode=mode)


@pytest.mark.django_db
def test_a_french_ledger_names_clients_by_code_and_a_second_import_changes_nothing(clerk_fr, shops):
    job = run(clerk_fr, french_excel_csv(HEADERS, ROWS))

    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}, job.errors
    entries = {(entry.client_id, entry.kind, entry.reference): entry for entry in LedgerEntry.objects.all()}
    invoice = entries[(shops["C001"].pk, "invoice", "F0001")]
    assert (invoice.amount, str(invoice.date), str(invoice.due_date)) == (
        Decimal("150000.50"),
        "2026-10-01",
        "2026-10-31",
    )
    assert entries[(shops["C001"].pk, "payment", "R0001")].amount == Decimal("100000")
    assert entries[(shops["C002"].pk, "credit_note", "A0001")].amount == Decimal("2500")

    again = run(clerk_fr, french_excel_csv(HEADERS, ROWS))
    assert tally(again) == {"new": 0, "update": 0, "unchanged": 3, "error": 0}

    changed = [[*ROWS[0][:4], "160 000", ROWS[0][5]], *ROWS[1:]]
    updated = run(clerk_fr, french_excel_csv(HEADERS, changed))
    assert tally(updated) == {"new": 0, "update": 1, "unchanged": 2, "error": 0}
    assert LedgerEntry.objects.get(reference="F0001").amount == Decimal("160000")


@pytest.mark.django_db
def test_an_unknown_or_ambiguous_client_code_is_the_rows_error(clerk_fr, shops):
    other: Any = ClientListFactory(name="Grossistes")
    AttributeFactory(client_list=other, key="code", label_en="Code", label_fr="Code", unique=True)
    client_create(
        user=None, client_list=ClientList.objects.get(pk=other.pk), data={"name": "G", "attributes": {"code": "C002"}}
    )
    rows = [ROWS[0], ["C999", "01/10/2026", "Facture", "F9", "10", ""], ROWS[2]]

    job = run(clerk_fr, french_excel_csv(HEADERS, rows), mode="good")

    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 2}
    errors = dict(job.errors)
    with translation.override("fr"):
        assert str(CLIENT_NOT_FOUND) % {"value": "C999"} in errors[3]
        assert str(CLIENT_AMBIGUOUS) % {"value": "C002", "lists": "Grossistes, Points de vente"} in errors[4]
    assert list(LedgerEntry.objects.values_list("reference", flat=True)) == ["F0001"]
