"""Exports that Excel opens as they are: a CSV for Excel in the clerk's language (a BOM, ";" and decimal commas in
French), XLSX with numbers and dates typed, phones as the list's country dials them (text, no apostrophe), and
formulas never live. Each test reads the bytes the clerk downloads."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import translation

from clients.models import Client
from clients.schema import AttributeType
from fieldsales.spreadsheets import ExcelCSV
from kpis.models import LedgerEntry
from tests.clients.conftest import FULL_ATTRIBUTES
from tests.clients.test_import_export import FORMATS, admin_export, snapshot
from tests.factories import AttributeFactory, LedgerEntryFactory, OrderLineFactory, SubmissionFactory, make_client
from tests.wizard import tally, wizard_import
from workflows.models import OrderLine

CLIENTS = "/admin/clients/client/export/"
IMPORT = "/admin/clients/client/import-file/"
FORMULA = '=HYPERLINK("http://evil.example/","Cliquez")'


@pytest.fixture(autouse=True)
def language_after():  # type: ignore[no-untyped-def]
    """A request leaves its language active in the test's thread: the next test starts in the default again."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def shops(pos_list, awa):  # type: ignore[no-untyped-def]
    AttributeFactory(
        client_list=pos_list, key="tel2", label_en="Second phone", label_fr="Tél. 2", type=AttributeType.PHONE, order=20
    )
    pos_list.refresh_from_db()
    return [
        make_client(
            pos_list,
            "Épicerie du Marché",
            {**FULL_ATTRIBUTES, "tel2": "+33 6 12 34 56 78"},
            reps=[awa],
            phone="07 01 02 03 04",
            lat=5.35,
            lng=-4.01,
            statement_enabled=True,
        ),
        make_client(pos_list, FORMULA, {"quartier": "-2+3", "categorie": "Boutique"}, phone=""),
    ]


def export(http: Any, url: str, model: type, fmt: str, language: str) -> bytes:
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if fmt == "excel-csv":
        FORMATS["excel-csv"] = ExcelCSV
    try:
        return admin_export(http, url, model, fmt).content
    finally:
        FORMATS.pop("excel-csv", None)


def excel_rows(content: bytes, separator: str) -> list[dict[str, str]]:
    """The file as Excel reads it: the BOM says UTF-8, the separator splits the columns."""
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(content[len(codecs.BOM_UTF8) :].decode("utf-8")), delimiter=separator))


def xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, *rows = list(sheet.iter_rows())
    return [{head.value: cell for head, cell in zip(header, row, strict=True)} for row in rows]


def by_name(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(row for row in rows if (row["name"].value if hasattr(row["name"], "value") else row["name"]) == name)


# CSV for Excel -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_french_clerks_csv_for_excel_has_a_bom_semicolons_and_decimal_commas(clerk_client, shops):
    rows = excel_rows(export(clerk_client, CLIENTS, Client, "excel-csv", "fr"), ";")

    shop = by_name(rows, "Épicerie du Marché")
    assert (shop["lat"], shop["lng"], shop["ca_mensuel"], shop["surface_m2"]) == ("5,35", "-4,01", "12,5", "120")
    assert shop["ouverture"] == "2024-01-15"  # ISO: a date to Excel in every language
    assert shop["statement_enabled"] == "1"
    # As Côte d'Ivoire dials them: text to Excel (spaces, a leading 0), never "+225…", which it reads as a number.
    assert (shop["phone"], shop["tel2"]) == ("07 01 02 0304", "00 33 6 12 34 56 78")


@pytest.mark.django_db
def test_an_english_clerks_csv_for_excel_has_a_bom_commas_and_decimal_points(clerk_client, shops):
    rows = excel_rows(export(clerk_client, CLIENTS, Client, "excel-csv", "en"), ",")

    shop = by_name(rows, "Épicerie du Marché")
    assert (shop["lat"], shop["ca_mensuel"], shop["phone"]) == ("5.35", "12.5", "07 01 02 0304")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "separator"), [("fr", ";"), ("en", ",")])
def test_no_cell_of_a_csv_for_excel_runs_as_a_formula(clerk_client, shops, language, separator):
    rows = excel_rows(export(clerk_client, CLIENTS, Client, "excel-csv", language), separator)

    assert by_name(rows, "'" + FORMULA)["quartier"] == "'-2+3"  # a sum Excel would compute, quoted
    cells = [cell for row in rows for cell in row.values()]
    assert [cell for cell in cells if cell.startswith(("=", "+", "@")) or cell.startswith("-2")] == []


@pytest.mark.django_db
def test_the_export_page_offers_the_csv_for_excel_in_the_clerks_language(clerk_client, shops):
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = clerk_client.get(CLIENTS).context["form"]
    titles = [title for _value, title in form.fields["format"].choices]
    assert "CSV for Excel (,, with BOM)" in titles
    assert titles[1:4] == ["csv", "CSV for Excel (,, with BOM)", "xlsx"]
    assert ExcelCSV in admin.site._registry[LedgerEntry].get_export_formats()
    assert ExcelCSV in admin.site._registry[OrderLine].get_export_formats()


@pytest.mark.django_db
def test_a_csv_for_excel_read_back_changes_nothing(clerk_client, shops):
    before = snapshot()
    content = export(clerk_client, CLIENTS, Client, "excel-csv", "fr")
    client_list = Client.objects.values_list("client_list", flat=True).first()

    job = wizard_import(clerk_client, IMPORT, content, "clients.csv", client_list=client_list)

    assert tally(job) == {"new": 0, "update": 0, "unchanged": len(shops), "error": 0}, job.errors
    assert snapshot() == before


# XLSX ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_xlsx_numbers_and_dates_are_typed_and_phones_are_text_without_an_apostrophe(clerk_client, shops, language):
    rows = xlsx_rows(export(clerk_client, CLIENTS, Client, "xlsx", language))

    shop = by_name(rows, "Épicerie du Marché")
    assert (shop["surface_m2"].data_type, shop["surface_m2"].value) == ("n", 120)
    assert (shop["ca_mensuel"].data_type, shop["ca_mensuel"].value) == ("n", 12.5)
    assert (shop["lat"].data_type, shop["lat"].value) == ("n", 5.35)
    assert shop["ouverture"].is_date and shop["ouverture"].value == dt.datetime(2024, 1, 15)
    assert (shop["phone"].data_type, shop["phone"].value) == ("s", "07 01 02 0304")
    assert (shop["tel2"].data_type, shop["tel2"].value) == ("s", "00 33 6 12 34 56 78")
    formula = by_name(rows, "'" + FORMULA)
    assert [cell.value for cell in formula.values() if cell.data_type == "f"] == []


@pytest.mark.django_db
def test_ledger_xlsx_has_real_dates_and_amounts(clerk_client, shops):
    LedgerEntryFactory(client=shops[0], amount=Decimal("1250000.50"), date=dt.date(2026, 11, 2))

    [row] = xlsx_rows(export(clerk_client, "/admin/kpis/ledgerentry/export/", LedgerEntry, "xlsx", "fr"))

    assert (row["amount"].data_type, row["amount"].value) == ("n", 1250000.5)
    assert row["date"].is_date and row["date"].value == dt.datetime(2026, 11, 2)


@pytest.mark.django_db
def test_ledger_csv_for_excel_writes_a_french_amount(clerk_client, shops):
    LedgerEntryFactory(client=shops[0], amount=Decimal("1250000.50"), date=dt.date(2026, 11, 2))

    [row] = excel_rows(export(clerk_client, "/admin/kpis/ledgerentry/export/", LedgerEntry, "excel-csv", "fr"), ";")

    assert (row["amount"], row["date"]) == ("1250000,50", "2026-11-02")


@pytest.mark.django_db
def test_order_lines_xlsx_has_numbers_and_a_moment(clerk_client, shops):
    submission = SubmissionFactory(visit__client=shops[0])
    OrderLineFactory(submission=submission, quantity=Decimal("3"), unit_price=Decimal("1000"), value=Decimal("3000"))

    [row] = xlsx_rows(export(clerk_client, "/admin/workflows/orderline/export/", OrderLine, "xlsx", "fr"))

    assert [(row[key].data_type, row[key].value) for key in ("quantity", "unit_price", "value")] == [
        ("n", 3),
        ("n", 1000),
        ("n", 3000),
    ]
    assert row["date"].is_date
