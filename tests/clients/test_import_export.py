"""Client, ledger, visit and order-line exports (django-import-export), and the same files imported back with the
wizard (fieldsales.imports), which replaced django-import-export's import page."""

import io
import uuid
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
import tablib
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from import_export.formats import base_formats

from clients.models import Client
from clients.resources import BAD_ID, BAD_NUMBER, CLIENT_NOT_FOUND, OTHER_LIST, ClientResource
from fieldsales.imports.base import UNKNOWN_USER
from fieldsales.models import ImportJob
from kpis.models import LedgerEntry
from kpis.resources import NOT_A_NUMBER, NOT_POSITIVE, UNKNOWN_KIND
from tests.clients.conftest import FULL_ATTRIBUTES
from tests.factories import (
    ABIDJAN,
    LedgerEntryFactory,
    OrderLineFactory,
    ProductFactory,
    SubmissionFactory,
    VisitFactory,
    make_client,
)
from tests.wizard import tally, wizard_check, wizard_confirm, wizard_import, wizard_job
from workflows.models import OrderLine, Visit

POS_KEYS = ["quartier", "categorie", "surface_m2", "ca_mensuel", "ouverture", "frigo", "services", "gerant_email"]
CORE_COLUMNS = ["id", "list", "name", "phone", "lat", "lng", "accuracy_m", "statement_enabled", "reps"]
FORMATS = {"csv": base_formats.CSV, "xlsx": base_formats.XLSX}


# Helpers ------------------------------------------------------------------------------------


def snapshot() -> dict[Any, dict[str, Any]]:
    """Everything a user could see change on every client, by id."""
    return {
        client.pk: {
            "name": client.name,
            "phone": client.phone,
            "lat": client.lat,
            "lng": client.lng,
            "accuracy_m": client.accuracy_m,
            "statement_enabled": client.statement_enabled,
            "attributes": client.attributes,
            "field_versions": client.field_versions,
            "search_text": client.search_text,
            "version": client.version,
            "updated_at": client.updated_at,
            "updated_by": client.updated_by_id,
            "archived_at": client.archived_at,
            "reps": sorted(rep.username for rep in client.reps.all()),
        }
        for client in Client.objects.prefetch_related("reps")
    }


def csv_dataset(text: str) -> tablib.Dataset:
    return base_formats.CSV().create_dataset(text)


def to_file(dataset: tablib.Dataset, fmt: str) -> bytes:
    data = FORMATS[fmt]().export_data(dataset)
    return data.encode() if isinstance(data, str) else data


def from_file(content: bytes, fmt: str) -> tablib.Dataset:
    return FORMATS[fmt]().create_dataset(content.decode() if fmt == "csv" else content)


def format_index(model: type, fmt: str, *, kind: str) -> str:
    model_admin = admin.site._registry[model]
    formats = model_admin.get_export_formats()
    return str(formats.index(FORMATS[fmt]))


CLIENTS = "/admin/clients/client/import-file/"
LEDGER = "/admin/kpis/ledgerentry/import-file/"


def import_clients(http: Any, content: bytes, fmt: str, client_list: Any, *, mode: str = "all") -> ImportJob:
    """A client file through the wizard, into `client_list`, with the column matching it proposes."""
    return wizard_import(http, CLIENTS, content, f"clients.{fmt}", mode=mode, client_list=client_list.pk)


def import_ledger(http: Any, content: bytes, fmt: str, *, mode: str = "all") -> ImportJob:
    return wizard_import(http, LEDGER, content, f"ledger.{fmt}", mode=mode)


def admin_export(http: Any, url: str, model: type, fmt: str, query: str = "") -> Any:
    """The admin export page as a user submits it: the default fields all ticked, a format chosen."""
    page = http.get(url + query)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    data.update({"format": format_index(model, fmt, kind="export"), "resource": "0"})
    response = http.post(url + query, data)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response


def pos_row(**cells: Any) -> dict[str, Any]:
    row = dict.fromkeys(CORE_COLUMNS + POS_KEYS, "")
    row.update({"list": "Points de vente", "name": "Épicerie Awa", "quartier": "Cocody", "categorie": "Boutique"})
    row.update(cells)
    return row


def dataset_of(rows: list[dict[str, Any]]) -> tablib.Dataset:
    headers = list(dict.fromkeys(header for row in rows for header in row))
    dataset = tablib.Dataset(headers=headers)
    for row in rows:
        dataset.append([row.get(header, "") for header in headers])
    return dataset


@pytest.fixture
def filled(pos_list, wholesalers, awa, koffi):  # type: ignore[no-untyped-def]
    """Three points of sale (one with every attribute and two reps) and one wholesaler."""
    return [
        make_client(pos_list, "Épicerie du Marché", FULL_ATTRIBUTES, reps=[awa, koffi], statement_enabled=True),
        make_client(pos_list, "Boutique Koffi", {"quartier": "Yopougon", "categorie": "Boutique"}, reps=[koffi]),
        make_client(pos_list, "Supermarché Sans GPS", {"quartier": "Plateau", "categorie": "Supermarché"}, lat=None),
        make_client(wholesalers, "Grossiste Abidjan", {"volume_annuel": 50000, "zone": "Sud"}, reps=[awa]),
    ]


# Export columns -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_has_one_column_per_attribute_of_the_exported_list(filled, pos_list, wholesalers):
    pos = ClientResource().export(Client.objects.filter(client_list=pos_list))
    wholesale = ClientResource().export(Client.objects.filter(client_list=wholesalers))

    assert pos.headers == CORE_COLUMNS + POS_KEYS
    assert wholesale.headers == [*CORE_COLUMNS, "volume_annuel", "zone"]
    row = dict(zip(pos.headers, pos[pos["name"].index("Épicerie du Marché")], strict=True))
    assert row["list"] == "Points de vente"
    assert row["reps"] == "awa, koffi"
    assert row["services"] == "Mobile money; Crédit"
    assert row["frigo"] == "Yes"


@pytest.mark.django_db
def test_admin_export_filtered_to_one_list_has_only_that_lists_attribute_columns(
    clerk_client, filled, pos_list, wholesalers
):
    response = admin_export(
        clerk_client, "/admin/clients/client/export/", Client, "csv", f"?client_list__id__exact={pos_list.pk}"
    )

    dataset = csv_dataset(response.content.decode("utf-8-sig"))
    assert dataset.headers == CORE_COLUMNS + POS_KEYS
    assert sorted(dataset["name"]) == ["Boutique Koffi", "Supermarché Sans GPS", "Épicerie du Marché"]


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_the_number_of_clients(pos_list, awa, django_assert_num_queries):
    for n in range(10):
        make_client(pos_list, f"Boutique {n:03d}", reps=[awa])
    with CaptureQueriesContext(connection) as ten:
        assert len(ClientResource().export()) == 10

    # Three times as many: a query made per client would show as it would with a hundred (each costs a service call).
    for n in range(10, 30):
        make_client(pos_list, f"Boutique {n:03d}", reps=[awa])
    # 1. the lists and 2. every attribute definition (the resource's columns)
    # 3. the lists being exported (which attribute columns to keep)
    # 4. the count of clients and 5. the page of clients with their list (select_related; pages of 100)
    # 6. their reps (prefetch_related)
    with django_assert_num_queries(len(ten.captured_queries)):
        assert len(ClientResource().export()) == 30

    assert len(ten.captured_queries) == 6, [query["sql"] for query in ten.captured_queries]


# Round trip: an export imported back with the wizard --------------------------------------------------------------


def export_of_list(http: Any, client_list: Any, fmt: str) -> bytes:
    query = f"?client_list__id__exact={client_list.pk}"
    return admin_export(http, "/admin/clients/client/export/", Client, fmt, query).content


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("xlsx", "en"), ("csv", "fr"), ("xlsx", "fr")])
def test_an_export_imported_back_changes_nothing(clerk_client, filled, pos_list, wholesalers, fmt, language):
    """In French the file says "Oui" and "5,35", phones as the country dials them: read back, still no change."""
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    before = snapshot()

    for client_list, count in ((pos_list, 3), (wholesalers, 1)):
        job = import_clients(clerk_client, export_of_list(clerk_client, client_list, fmt), fmt, client_list)
        assert tally(job) == {"new": 0, "update": 0, "unchanged": count, "error": 0}, job.errors

    assert snapshot() == before


@pytest.mark.django_db
def test_admin_xlsx_export_keeps_numbers_as_numbers(clerk_client, filled, pos_list):
    response = admin_export(
        clerk_client, "/admin/clients/client/export/", Client, "xlsx", f"?client_list__id__exact={pos_list.pk}"
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    row = dict(zip(rows[0], next(r for r in rows[1:] if r[2] == "Épicerie du Marché"), strict=True))
    assert row["surface_m2"] == 120
    assert row["lat"] == pytest.approx(ABIDJAN[0])


# Import of new clients ----------------------------------------------------------------------

NEW_CLIENTS_CSV = (
    "id,list,name,phone,lat,lng,statement_enabled,reps,quartier,categorie,surface_m2,ca_mensuel,ouverture,frigo,services,"
    "gerant_email\n"
    ',Points de vente,Épicerie Awa,+225 01 01 02 03 04,"5,36",-4.01,oui,"awa, koffi",Treichville,epicerie,1 200,"12,5",'
    "15/01/2024,oui,livraison; MOBILE MONEY,Gerant@Example.COM\n"
    "0b5f0c8e-4a8e-4f57-9d52-1df1e0c3a7b1,Points de vente,  Boutique Sans Attributs  ,,,,,,"
    "Adjamé,SUPERMARCHE,,,,non,,\n"
)


def assert_new_clients_created(creator: Any) -> None:
    awa_shop = Client.objects.get(name="Épicerie Awa")
    assert awa_shop.attributes == {
        "quartier": "Treichville",
        "categorie": "Épicerie",
        "surface_m2": 1200,
        "ca_mensuel": "12.5",
        "ouverture": "2024-01-15",
        "frigo": True,
        "services": ["Mobile money", "Livraison"],
        "gerant_email": "Gerant@example.com",
    }
    assert (awa_shop.lat, awa_shop.lng, awa_shop.phone) == (5.36, -4.01, "+2250101020304")
    assert awa_shop.statement_enabled is True
    assert sorted(rep.username for rep in awa_shop.reps.all()) == ["awa", "koffi"]
    assert awa_shop.version == 1
    assert awa_shop.created_by == creator
    assert "epicerie awa" in awa_shop.search_text and "treichville" in awa_shop.search_text

    bare = Client.objects.get(pk=uuid.UUID("0b5f0c8e-4a8e-4f57-9d52-1df1e0c3a7b1"))
    assert bare.name == "Boutique Sans Attributs"
    assert bare.attributes == {"quartier": "Adjamé", "categorie": "Supermarché", "frigo": False}
    assert list(bare.reps.all()) == []
    assert bare.statement_enabled is False


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_creates_clients_with_canonical_values_and_reps_made_by_the_importing_clerk(
    clerk_client, clerk, pos_list, awa, koffi, fmt
):
    content = to_file(csv_dataset(NEW_CLIENTS_CSV), fmt)

    job = import_clients(clerk_client, content, fmt, pos_list)

    assert tally(job) == {"new": 2, "update": 0, "unchanged": 0, "error": 0}, job.errors
    assert_new_clients_created(clerk)


@pytest.mark.django_db
def test_the_check_writes_nothing(clerk_client, pos_list, awa, koffi):
    job = wizard_job(clerk_client, CLIENTS, NEW_CLIENTS_CSV.encode(), "clients.csv", client_list=pos_list.pk)

    job = wizard_check(clerk_client, CLIENTS, job)

    assert tally(job)["new"] == 2
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_import_cannot_move_a_client_to_another_list(clerk_client, filled, wholesalers):
    before = snapshot()
    rows = [{"id": str(filled[1].pk), "name": "Boutique Koffi", "volume_annuel": "12", "zone": "Sud"}]

    job = import_clients(clerk_client, to_file(dataset_of(rows), "csv"), "csv", wholesalers, mode="good")

    assert job.errors == [[2, f"Identifier (id): {OTHER_LIST % {'name': 'Points de vente'}}"]]
    assert snapshot() == before


@pytest.mark.django_db
def test_import_updates_only_the_changed_client_and_its_changed_fields(clerk_client, filled, pos_list):
    shop, koffi_shop = filled[0], filled[1]
    dataset = ClientResource().export(Client.objects.filter(pk__in=[shop.pk, koffi_shop.pk]).order_by("name"))
    rows = list(dataset.dict)
    changed = next(row for row in rows if row["name"] == "Boutique Koffi")
    changed["surface_m2"] = "80"
    changed["reps"] = "awa"

    job = import_clients(clerk_client, to_file(dataset_of(rows), "csv"), "csv", pos_list)

    assert tally(job) == {"new": 0, "update": 1, "unchanged": 1, "error": 0}
    koffi_shop.refresh_from_db()
    assert koffi_shop.attributes == {"quartier": "Yopougon", "categorie": "Boutique", "surface_m2": 80}
    assert [rep.username for rep in koffi_shop.reps.all()] == ["awa"]
    assert koffi_shop.version > 1
    assert shop.version == Client.objects.get(pk=shop.pk).version


# A bad row: all or nothing writes nothing ---------------------------------------------------
#
# The list is the one the clerk imports into (no "list" column to get wrong), and a column the list's schema does not
# have is shown unmatched on the matching page instead of failing its rows.

BAD_ROWS = {
    "missing required attribute": ({"quartier": ""}, "District", "This field is required."),
    "choice not in the options": ({"categorie": "Pharmacie"}, "Category", "“Pharmacie” is not one of the choices"),
    "unknown rep": ({"reps": "awa, nobody"}, "Reps", str(UNKNOWN_USER) % {"name": "nobody"}),
    "malformed id": ({"id": "12-34"}, "Identifier (id)", str(BAD_ID)),
    "bad integer": ({"surface_m2": "douze"}, "Area (m²)", "Enter a whole number."),
    "bad date": ({"ouverture": "31/02/2024"}, "Opened on", "Enter a date"),
    "bad latitude": ({"lat": "nord"}, "Latitude", str(BAD_NUMBER)),
    "latitude out of range": ({"lat": "95"}, "Latitude", "less than or equal to 90"),
}


def file_with_one_bad_row(existing: Client, bad_cells: dict[str, Any]) -> bytes:
    """Row 2 updates an existing client, row 3 is bad, row 4 is a good new client."""
    rows = [
        pos_row(id=str(existing.pk), name="Nouveau nom", quartier="Cocody", reps=""),
        pos_row(name="Mauvaise ligne", **bad_cells),
        pos_row(name="Bonne ligne", reps="awa"),
    ]
    return to_file(dataset_of(rows), "csv")


@pytest.mark.django_db
@pytest.mark.parametrize(("cells", "label", "message"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_import_with_one_bad_row_writes_nothing_and_names_the_column(
    clerk_client, filled, pos_list, cells, label, message
):
    before = snapshot()

    job = import_clients(clerk_client, file_with_one_bad_row(filled[1], cells), "csv", pos_list)

    [(number, error)] = job.errors
    assert number == 3
    assert error.startswith(f"{label}: ") and message in error, error
    assert tally(job) == {"new": 1, "update": 1, "unchanged": 0, "error": 1}
    page = clerk_client.get(f"{CLIENTS}{job.pk}/")
    assert page.context["refused"] is True
    assert snapshot() == before


@pytest.mark.django_db
def test_a_row_with_three_bad_cells_reports_all_three(clerk_client, filled, pos_list):
    content = file_with_one_bad_row(filled[1], {"quartier": "", "categorie": "Pharmacie", "reps": "nobody"})

    job = wizard_check(
        clerk_client, CLIENTS, wizard_job(clerk_client, CLIENTS, content, "c.csv", client_list=pos_list.pk)
    )

    [(_number, error)] = job.errors
    assert all(f"{label}: " in error for label in ("District", "Category", "Reps")), error


@pytest.mark.django_db
def test_a_file_that_went_bad_between_check_and_confirm_writes_nothing(clerk_client, filled, pos_list):
    """Between the check and the import a rep may leave: the import checks again and, all or nothing, writes
    nothing."""
    content = to_file(dataset_of([pos_row(name="Bonne ligne"), pos_row(name="Autre", reps="awa")]), "csv")
    job = wizard_check(
        clerk_client, CLIENTS, wizard_job(clerk_client, CLIENTS, content, "c.csv", client_list=pos_list.pk)
    )
    assert tally(job)["error"] == 0
    filled[3].reps.first().delete()  # awa leaves the company
    before = snapshot()

    job = wizard_confirm(clerk_client, CLIENTS, job)

    assert [number for number, _error in job.errors] == [3]
    assert snapshot() == before
    assert not Client.objects.filter(name__in=["Bonne ligne", "Autre"]).exists()


# Ledger -------------------------------------------------------------------------------------


def ledger_csv(*lines: str) -> bytes:
    return (
        "client,client_name,date,kind,reference,amount,due_date\n" + "".join(f"{line}\n" for line in lines)
    ).encode()


def ledger_snapshot() -> list[tuple[Any, ...]]:
    return list(LedgerEntry.objects.order_by("pk").values_list("client_id", "kind", "reference", "amount", "date"))


@pytest.mark.django_db
def test_ledger_import_by_client_identifier_creates_entries(clerk_client, filled):
    shop, koffi_shop = filled[0], filled[1]
    content = ledger_csv(
        f"{shop.pk},,2026-10-01,invoice,F0001,150000.50,2026-10-31",
        f"{shop.pk},,2026-10-15,payment,R0001,100000,",
        f"{koffi_shop.pk},Boutique Koffi,01/10/2026,credit_note,A0001,2500,",
    )

    job = import_ledger(clerk_client, content, "csv")

    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}, job.errors
    entries = {(entry.client_id, entry.kind, entry.reference): entry for entry in LedgerEntry.objects.all()}
    assert entries[(shop.pk, "invoice", "F0001")].amount == Decimal("150000.50")
    assert str(entries[(shop.pk, "invoice", "F0001")].due_date) == "2026-10-31"
    assert entries[(shop.pk, "payment", "R0001")].amount == Decimal("100000")
    assert str(entries[(koffi_shop.pk, "credit_note", "A0001")].date) == "2026-10-01"


@pytest.mark.django_db
@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("xlsx", "en"), ("csv", "fr"), ("xlsx", "fr")])
def test_a_ledger_export_imported_back_changes_nothing(clerk_client, filled, fmt, language):
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    LedgerEntryFactory(client=filled[0], reference="F1", amount=Decimal("1500.50"), due_date=None)
    LedgerEntryFactory(client=filled[1], reference="F2", kind=LedgerEntry.Kind.PAYMENT)
    before = ledger_snapshot()

    exported = admin_export(clerk_client, "/admin/kpis/ledgerentry/export/", LedgerEntry, fmt).content
    job = import_ledger(clerk_client, exported, fmt)

    dataset = from_file(exported, fmt)
    assert sorted(str(value) for value in dataset["client"]) == sorted([str(filled[0].pk), str(filled[1].pk)])
    assert tally(job) == {"new": 0, "update": 0, "unchanged": 2, "error": 0}, job.errors
    assert ledger_snapshot() == before


BAD_LEDGER_ROWS = {
    "unknown client": (str(uuid.UUID(int=7)), "invoice", "90", "Client", CLIENT_NOT_FOUND),
    "malformed client id": ("C-0001", "invoice", "90", "Client", CLIENT_NOT_FOUND),
    "negative amount": (None, "invoice", "-90", "Amount", NOT_POSITIVE),
    "zero amount": (None, "invoice", "0", "Amount", NOT_POSITIVE),
    "not an amount": (None, "invoice", "douze", "Amount", NOT_A_NUMBER),
    "bad kind": (None, "refund", "90", "Kind", UNKNOWN_KIND),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("client_id", "kind", "amount", "label", "message"), BAD_LEDGER_ROWS.values(), ids=BAD_LEDGER_ROWS.keys()
)
def test_ledger_import_with_one_bad_row_writes_nothing(clerk_client, filled, client_id, kind, amount, label, message):
    shop = filled[0]
    LedgerEntryFactory(client=shop, reference="F0001", amount=Decimal("10"))
    before = ledger_snapshot()
    content = ledger_csv(
        f"{shop.pk},,2026-10-01,invoice,F0001,20,",  # an update of the existing entry
        f"{client_id or shop.pk},,2026-10-02,{kind},X0001,{amount},",
        f"{shop.pk},,2026-10-03,payment,R0001,5,",
    )

    job = import_ledger(clerk_client, content, "csv")

    [(number, error)] = job.errors
    assert number == 3
    assert error.startswith(f"{label}: ") and str(message).split("%")[0] in error, error
    assert ledger_snapshot() == before


# Visits and order lines ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_admin_exports_visits_and_order_lines(clerk_client, filled, fmt):
    visit = VisitFactory(client=filled[0], distance_m=12.5)
    VisitFactory(client=filled[1])
    submission = SubmissionFactory(visit=visit)
    OrderLineFactory(submission=submission, product__sku="SKU-EAU", quantity=Decimal("3"), value=Decimal("3000"))
    OrderLineFactory(submission=submission, product__sku="SKU-RIZ")

    visits = from_file(admin_export(clerk_client, "/admin/workflows/visit/export/", Visit, fmt).content, fmt)
    lines = from_file(admin_export(clerk_client, "/admin/workflows/orderline/export/", OrderLine, fmt).content, fmt)

    assert sorted(visits["client"]) == ["Boutique Koffi", "Épicerie du Marché"]
    assert str(visit.pk) in [str(value) for value in visits["id"]]
    assert sorted(lines["sku"]) == ["SKU-EAU", "SKU-RIZ"]
    assert set(lines["client"]) == {"Épicerie du Marché"}
    assert {str(value) for value in lines["visit"]} == {str(visit.pk)}
    eau = dict(zip(lines.headers, lines[list(lines["sku"]).index("SKU-EAU")], strict=True))
    assert Decimal(str(eau["quantity"])) == Decimal("3")
    assert Decimal(str(eau["value"])) == Decimal("3000")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Visit, OrderLine], ids=["visits", "order lines"])
def test_admin_exports_of_visits_and_order_lines_do_not_grow_in_queries(
    clerk_client, filled, model, django_assert_num_queries
):
    submissions = [SubmissionFactory(visit__client=client) for client in filled[:2]]
    product = ProductFactory()
    url = f"/admin/workflows/{model._meta.model_name}/export/"

    def add(count: int) -> None:
        for n in range(count):
            submission = submissions[n % 2]
            if model is Visit:
                VisitFactory(client=filled[n % 2], rep=submission.visit.rep, workflow=submission.visit.workflow)
            else:
                OrderLine.objects.create(
                    submission=submission, product=product, quantity=1, unit_price=Decimal("1"), value=Decimal("1")
                )

    add(10)
    with CaptureQueriesContext(connection) as ten:
        admin_export(clerk_client, url, model, "csv")

    add(90)
    # Session, clerk, permissions; the export form page; then the export: the rows with their client, rep,
    # workflow or product in one query (select_related), whatever their number.
    with django_assert_num_queries(len(ten.captured_queries)):
        admin_export(clerk_client, url, model, "csv")
