"""The import wizard with files as French and English spreadsheets save them: send, match the columns, check,
import, import again, and the file of the rows that were not imported."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from clients.models import AttributeDefinition, Client, ClientList
from clients.services import KEY_TAKEN, client_create
from fieldsales.imports import runner
from fieldsales.imports.base import DUPLICATE_IN_FILE, UNKNOWN_USER
from fieldsales.imports.reading import BROKEN_XLSX, EMPTY_FILE, OLD_EXCEL, parse_number, read_table
from fieldsales.models import ImportJob
from tests.factories import RepFactory, with_client_code
from tests.wizard import (
    english_excel_csv,
    excel_workbook,
    french_excel_csv,
    tally,
    unicode_text,
    wizard_confirm,
    wizard_job,
    wizard_send,
)

WIZARD = "/admin/clients/client/import-file/"

FRENCH_HEADERS = [
    "Code client",
    "Nom",
    "Téléphone",
    "Latitude",
    "Longitude",
    "Quartier",
    "Catégorie",
    "Surface (m²)",
    "CA mensuel",
    "Ouverture",
    "Frigo",
    "Commerciaux",
]
FRENCH_ROWS = [
    [
        "C001",
        "Épicerie Awa",
        "07 07 07 07 07",
        "5,36",
        "-4,01",
        "Treichville",
        "épicerie",
        "1 200",
        "1 234,5",
        "15/01/2024",
        "oui",
        "Awa Koné",
    ],
    ["C002", "Boutique Koffi", "", "5,3", "-4", "Yopougon", "Boutique", "80", "12,5", "", "non", "koffi"],
    ["C003", "Supermarché Plateau", "", "", "", "Plateau", "Supermarché", "", "", "", "", ""],
]
ENGLISH_HEADERS = ["Client code", "Name", "District", "Category", "Area (m²)", "Monthly turnover", "Reps"]
ENGLISH_ROWS = [
    ["C001", "Épicerie Awa", "Treichville", "Épicerie", "1,200", "1,234.5", "awa"],
    ["C002", "Boutique Koffi", "Yopougon", "Boutique", "80", "12.5", "Koffi Yao"],
]


def typed(rows: list[list[str]]) -> list[list[Any]]:
    """French rows as a workbook holds them: numbers and dates as values, not text."""
    import datetime as dt

    out = []
    for row in rows:
        cells: list[Any] = list(row)
        cells[3] = float(row[3].replace(",", ".")) if row[3] else None
        cells[4] = float(row[4].replace(",", ".")) if row[4] else None
        cells[7] = int(row[7].replace(" ", "")) if row[7] else None
        cells[8] = float(row[8].replace(" ", "").replace(",", ".")) if row[8] else None
        cells[9] = dt.datetime.strptime(row[9], "%d/%m/%Y") if row[9] else None
        out.append(cells)
    return out


FRENCH_FILES = {
    "windows-1252-semicolons": ("clients.csv", lambda: french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS)),
    "utf-8-bom-semicolons": (
        "clients.csv",
        lambda: ("\r\n".join(";".join(r) for r in [FRENCH_HEADERS, *FRENCH_ROWS]) + "\r\n;;;\r\n").encode("utf-8-sig"),
    ),
    "utf-16-tabs": ("clients.txt", lambda: unicode_text(FRENCH_HEADERS, FRENCH_ROWS)),
    "xlsx": ("clients.xlsx", lambda: excel_workbook(FRENCH_HEADERS, typed(FRENCH_ROWS))),
}


# Fixtures and steps -------------------------------------------------------------------------------------------


@pytest.fixture
def keyed_list(pos_list: ClientList) -> ClientList:
    """The points-of-sale list with a client code as its business key."""
    return with_client_code(pos_list)


@pytest.fixture
def reps(db: Any) -> dict[str, Any]:
    return {
        "awa": RepFactory(username="awa", first_name="Awa", last_name="Koné"),
        "koffi": RepFactory(username="koffi", first_name="Koffi", last_name="Yao"),
    }


@pytest.fixture
def clerk_en(clerk_client: Any) -> Any:
    clerk_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return clerk_client


def upload(http: Any, content: bytes, name: str, client_list: ClientList) -> Any:
    return wizard_send(http, WIZARD, content, name, client_list=client_list.pk)


def sent(http: Any, content: bytes, name: str, client_list: ClientList) -> ImportJob:
    return wizard_job(http, WIZARD, content, name, client_list=client_list.pk)


def matched(job: ImportJob) -> dict[str, str]:
    """Header → column key, as the mapping step proposes it."""
    return {job.headers[int(position)]: key for position, key in job.mapping.items()}


def check(http: Any, job: ImportJob, *, mode: str = "all", choose: dict[str, str] | None = None) -> ImportJob:
    """The mapping step as the clerk submits it (the proposed matching, with `choose` by header), then the check
    run to its end."""
    page = http.get(f"{WIZARD}{job.pk}/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name.startswith("column_")}
    for header, key in (choose or {}).items():
        data[f"column_{job.headers.index(header)}"] = key
    response = http.post(f"{WIZARD}{job.pk}/", {**data, "mode": mode})
    assert response.status_code == 302, response.context["form"].errors
    assert runner.import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.stage, job.status) == ("check", "done"), job.problem
    return job


def confirm(http: Any, job: ImportJob, *, mode: str = "all") -> ImportJob:
    return wizard_confirm(http, WIZARD, job, mode=mode)


def import_file(http: Any, content: bytes, name: str, client_list: ClientList, **kwargs: Any) -> ImportJob:
    return confirm(http, check(http, sent(http, content, name, client_list), **kwargs), **kwargs)


def snapshot() -> dict[Any, tuple[Any, ...]]:
    return {
        client.pk: (client.name, client.phone, client.lat, client.attributes, client.version, client.updated_at)
        for client in Client.objects.all()
    }


# Reading what Excel saves ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make"), FRENCH_FILES.values(), ids=FRENCH_FILES)
def test_a_file_as_french_excel_saves_it_is_read_with_its_headers_and_without_its_blank_rows(name, make):
    table = read_table(content=make())

    assert table.headers == FRENCH_HEADERS
    assert [number for number, _cells in table.rows] == [2, 3, 4]
    assert table.rows[0][1][1] == "Épicerie Awa"


@pytest.mark.parametrize(
    ("text", "language", "number"),
    [
        ("1 234,5", "fr", "1234.5"),
        ("1\u202f234,5", "fr", "1234.5"),
        ("1.234,5", "fr", "1234.5"),
        ("12,5", "fr", "12.5"),
        ("5.35", "fr", "5.35"),
        ("1.234.567", "fr", "1234567"),
        ("1,234.5", "en", "1234.5"),
        ("1,234", "en", "1234"),
        ("12,5", "en", "12.5"),
        ("-4,01", "fr", "-4.01"),
    ],
)
def test_numbers_are_read_as_the_clerks_spreadsheet_writes_them(text, language, number):
    assert parse_number(text, language=language) == Decimal(number)


# The whole journey ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "make"), FRENCH_FILES.values(), ids=FRENCH_FILES)
def test_a_french_clerks_file_is_matched_checked_and_imported_then_the_same_file_changes_nothing(
    clerk_fr, keyed_list, reps, clerk, name, make
):
    job = sent(clerk_fr, make(), name, keyed_list)
    assert matched(job) == {
        "Code client": "code",
        "Nom": "name",
        "Téléphone": "phone",
        "Latitude": "lat",
        "Longitude": "lng",
        "Quartier": "quartier",
        "Catégorie": "categorie",
        "Surface (m²)": "surface_m2",
        "CA mensuel": "ca_mensuel",
        "Ouverture": "ouverture",
        "Frigo": "frigo",
        "Commerciaux": "reps",
    }

    job = check(clerk_fr, job)
    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}, job.errors
    assert not Client.objects.exists(), "the check writes nothing"

    job = confirm(clerk_fr, job)
    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}
    awa = Client.objects.get(business_key="c001")
    assert awa.attributes == {
        "code": "C001",
        "quartier": "Treichville",
        "categorie": "Épicerie",
        "surface_m2": 1200,
        "ca_mensuel": "1234.5",
        "ouverture": "2024-01-15",
        "frigo": True,
    }
    assert (awa.name, awa.lat, awa.lng, awa.phone) == ("Épicerie Awa", 5.36, -4.01, "+2250707070707")
    assert [rep.username for rep in awa.reps.all()] == ["awa"]
    assert awa.created_by == clerk and awa.version == 1
    assert [rep.username for rep in Client.objects.get(business_key="c002").reps.all()] == ["koffi"]

    before = snapshot()
    again = import_file(clerk_fr, make(), name, keyed_list)

    assert tally(again) == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    assert snapshot() == before


@pytest.mark.django_db
def test_an_english_clerks_utf8_file_with_commas_is_read_in_english(clerk_en, keyed_list, reps):
    job = import_file(clerk_en, english_excel_csv(ENGLISH_HEADERS, ENGLISH_ROWS), "clients.csv", keyed_list)

    assert tally(job) == {"new": 2, "update": 0, "unchanged": 0, "error": 0}, job.errors
    awa = Client.objects.get(business_key="c001")
    assert (awa.attributes["surface_m2"], awa.attributes["ca_mensuel"]) == (1200, "1234.5")
    assert [rep.username for rep in Client.objects.get(business_key="c002").reps.all()] == ["koffi"]


@pytest.mark.django_db
def test_rows_with_a_known_code_update_that_client_and_the_others_create_one(clerk_fr, keyed_list, reps):
    existing = client_create(
        user=None,
        client_list=keyed_list,
        data={"name": "Ancien nom", "attributes": {"code": "c001", "quartier": "Cocody", "categorie": "Boutique"}},
    )
    job = import_file(clerk_fr, french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS), "clients.csv", keyed_list)

    assert tally(job) == {"new": 2, "update": 1, "unchanged": 0, "error": 0}
    existing.refresh_from_db()
    assert (existing.name, existing.attributes["code"], existing.version) == ("Épicerie Awa", "C001", 2)
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_a_code_twice_in_the_file_is_reported_on_both_rows_and_imported_on_neither(clerk_fr, keyed_list, reps):
    rows = [FRENCH_ROWS[0], FRENCH_ROWS[1], [" c001", *FRENCH_ROWS[2][1:]]]

    job = check(clerk_fr, sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, rows), "clients.csv", keyed_list))

    with translation.override("fr"):
        expected = str(DUPLICATE_IN_FILE) % {"value": "C001", "rows": "2, 4"}
    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 2}
    assert [number for number, _message in job.errors] == [2, 4]
    assert all(expected in message for _number, message in job.errors)


# Matching columns -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_header_the_list_does_not_know_is_matched_by_the_clerk_and_remembered_for_the_next_file(
    clerk_fr, keyed_list, reps
):
    headers = ["Code client", "Raison sociale", "Zone géographique", "Catégorie", "Remarques"]
    rows = [["C010", "Kiosque Gare", "Adjamé", "Boutique", "à rappeler"]]
    job = sent(clerk_fr, french_excel_csv(headers, rows), "clients.csv", keyed_list)
    assert matched(job) == {"Code client": "code", "Catégorie": "categorie"}

    job = check(clerk_fr, job, choose={"Zone géographique": "quartier", "Raison sociale": "name"})
    confirm(clerk_fr, job)

    assert Client.objects.get(business_key="c010").attributes["quartier"] == "Adjamé"
    following = sent(clerk_fr, french_excel_csv(headers, rows), "clients2.csv", keyed_list)
    assert matched(following) == {
        "Code client": "code",
        "Raison sociale": "name",
        "Zone géographique": "quartier",
        "Catégorie": "categorie",
    }


@pytest.mark.django_db
def test_two_columns_of_the_file_cannot_be_matched_to_the_same_field(clerk_fr, keyed_list):
    job = sent(clerk_fr, french_excel_csv(["Nom", "Enseigne"], [["A", "B"]]), "c.csv", keyed_list)
    page = clerk_fr.get(f"{WIZARD}{job.pk}/")
    data = {name: "name" for name in page.context["form"].fields if name.startswith("column_")}

    response = clerk_fr.post(f"{WIZARD}{job.pk}/", {**data, "mode": "all"})

    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == "mapping"
    assert response.context["form"].errors["column_1"]


# Errors: all or nothing, the good rows, the error file ------------------------------------------------------------

BAD_ROWS = [
    FRENCH_ROWS[0],
    ["C002", "Boutique Koffi", "", "nord", "-4", "Yopougon", "Pharmacie", "80", "", "", "", "personne"],
    FRENCH_ROWS[2],
]


@pytest.mark.django_db
def test_all_or_nothing_imports_nothing_from_a_file_with_a_bad_row(clerk_fr, keyed_list, reps):
    job = check(clerk_fr, sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, BAD_ROWS), "clients.csv", keyed_list))
    assert tally(job) == {"new": 2, "update": 0, "unchanged": 0, "error": 1}

    job = confirm(clerk_fr, job, mode="all")

    assert not Client.objects.exists()
    page = clerk_fr.get(f"{WIZARD}{job.pk}/")
    assert page.context["refused"] is True


@pytest.mark.django_db
def test_the_good_rows_are_imported_and_the_others_come_back_in_an_error_file_as_they_were(clerk_fr, keyed_list, reps):
    content = french_excel_csv(FRENCH_HEADERS, BAD_ROWS)
    job = import_file(clerk_fr, content, "clients.csv", keyed_list, mode="good")

    assert tally(job) == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    assert sorted(Client.objects.values_list("business_key", flat=True)) == ["c001", "c003"]
    [(number, message)] = job.errors
    assert number == 3
    with translation.override("fr"):
        assert str(UNKNOWN_USER) % {"name": "personne"} in message
    assert "Catégorie" in message and "Latitude" in message

    csv_file = clerk_fr.get(f"{WIZARD}{job.pk}/errors.csv")
    assert csv_file.status_code == 200 and csv_file["Content-Disposition"].startswith("attachment")
    text = csv_file.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("fr"):
        assert rows[0] == [*FRENCH_HEADERS, str(runner.ERROR_COLUMN)]
    assert rows[1][:-1] == BAD_ROWS[1] and rows[1][-1] == message
    assert len(rows) == 2

    book = openpyxl.load_workbook(io.BytesIO(clerk_fr.get(f"{WIZARD}{job.pk}/errors.xlsx").content))
    sheet_rows = list(book.active.values)
    assert [cell or "" for cell in sheet_rows[1][:-1]] == BAD_ROWS[1] and sheet_rows[1][-1] == message

    # The corrected error file imports the last row; the others are not touched again.
    fixed = [[*BAD_ROWS[1][:3], "5,3", "-4", "Yopougon", "Boutique", "80", "", "", "", "koffi"]]
    again = import_file(clerk_fr, french_excel_csv(FRENCH_HEADERS, fixed), "fixed.csv", keyed_list, mode="good")
    assert tally(again) == {"new": 1, "update": 0, "unchanged": 0, "error": 0}
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_a_code_another_client_has_is_refused_by_the_service(keyed_list):
    client_create(
        user=None,
        client_list=keyed_list,
        data={"name": "A", "attributes": {"code": "C1", "quartier": "Cocody", "categorie": "Boutique"}},
    )
    with pytest.raises(Exception) as raised:
        client_create(
            user=None,
            client_list=keyed_list,
            data={"name": "B", "attributes": {"code": " c1", "quartier": "Cocody", "categorie": "Boutique"}},
        )
    assert str(KEY_TAKEN) % {"value": "c1"} in str(raised.value)
    assert Client.objects.count() == 1


@pytest.mark.django_db
def test_an_attribute_cannot_become_the_key_while_clients_share_its_value(keyed_list):
    AttributeDefinition.objects.filter(client_list=keyed_list, key="code").update(unique=False)
    for name in ("A", "B"):
        client_create(
            user=None,
            client_list=keyed_list,
            data={"name": name, "attributes": {"quartier": "Cocody", "categorie": "Boutique"}},
        )
    quartier = AttributeDefinition.objects.get(client_list=keyed_list, key="quartier")
    quartier.unique = True

    with pytest.raises(Exception) as raised:
        quartier.full_clean()
    assert "unique" in raised.value.error_dict  # type: ignore[attr-defined]


# Files that cannot be read ------------------------------------------------------------------------------------------

UNREADABLE = {
    "old-excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "clients.xls", OLD_EXCEL),
    "broken-xlsx": (b"PK\x03\x04" + bytes(range(256)) * 8, "clients.xlsx", BROKEN_XLSX),
    "empty": (b"\r\n;;;\r\n", "clients.csv", EMPTY_FILE),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "name", "message"), UNREADABLE.values(), ids=UNREADABLE)
def test_a_file_that_cannot_be_read_is_explained_in_the_clerks_language(clerk_fr, keyed_list, content, name, message):
    response = upload(clerk_fr, content, name, keyed_list)

    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    with translation.override("fr"):
        assert error == str(message)
    assert "Traceback" not in response.content.decode() and "/work/" not in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_unexpected_failure_is_told_in_the_clerks_language_without_a_traceback(clerk_fr, keyed_list, monkeypatch):
    job = sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS), "clients.csv", keyed_list)
    clerk_fr.post(f"{WIZARD}{job.pk}/", {f"column_{i}": key for i, key in job.mapping.items()} | {"mode": "all"})

    def broken(self: Any, rows: Any) -> Any:
        raise RuntimeError("/srv/app/clients/resources.py line 12")

    monkeypatch.setattr("clients.resources.ClientImporter.check", broken)
    runner.import_jobs_run_pending()

    job.refresh_from_db()
    page = clerk_fr.get(f"{WIZARD}{job.pk}/").content.decode()
    with translation.override("fr"):
        assert job.problem == str(runner.UNEXPECTED)
    assert job.status == "failed" and "/srv/app" not in page and "RuntimeError" not in page


# Templates, progress, background --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_template_of_a_list_has_its_columns_in_the_clerks_language_and_reads_back_matched(
    clerk_fr, keyed_list, file_format
):
    response = clerk_fr.get(f"{WIZARD}template.{file_format}?client_list={keyed_list.pk}")

    assert response.status_code == 200
    table = read_table(content=response.content)
    assert {"Code client", "Quartier", "Catégorie", "Email du gérant"} <= set(table.headers)
    job = sent(clerk_fr, response.content, f"template.{file_format}", keyed_list)
    assert len(matched(job)) == len(table.headers), set(table.headers) - set(matched(job))


@pytest.mark.django_db
def test_the_progress_page_can_be_left_and_the_job_runs_without_it(clerk_fr, keyed_list, reps):
    job = sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS), "clients.csv", keyed_list)
    clerk_fr.post(f"{WIZARD}{job.pk}/", {f"column_{i}": key for i, key in job.mapping.items()} | {"mode": "all"})

    waiting = clerk_fr.get(f"{WIZARD}{job.pk}/")
    assert b'http-equiv="refresh"' in waiting.content and b"<progress" in waiting.content
    assert clerk_fr.get(f"{WIZARD}{job.pk}/status.json").json()["status"] == "queued"

    call_command("run_imports", stdout=io.StringIO())

    status = clerk_fr.get(f"{WIZARD}{job.pk}/status.json").json()
    assert (status["status"], status["rows_done"], status["total_rows"], status["percent"]) == ("done", 3, 3, 100)
    assert b'http-equiv="refresh"' not in clerk_fr.get(f"{WIZARD}{job.pk}/").content


@pytest.mark.django_db
def test_a_job_whose_process_stopped_is_run_again_and_a_live_one_is_left_alone(clerk_fr, keyed_list, reps):
    job = sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS), "clients.csv", keyed_list)
    ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())
    assert runner.import_jobs_run_pending() == 0

    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - runner.STALE * 2)
    assert runner.import_jobs_run_pending() == 1
    job.refresh_from_db()
    assert job.status == "done"


@pytest.mark.django_db
def test_good_rows_resume_after_the_last_batch_committed(clerk_fr, keyed_list, reps, monkeypatch):
    monkeypatch.setattr(runner, "BATCH", 1)
    job = check(clerk_fr, sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, FRENCH_ROWS), "c.csv", keyed_list))
    job.stage, job.mode, job.status = "import", "good", "running"
    job.heartbeat_at = timezone.now() - runner.STALE * 2
    # The first row was committed with its progress before the process stopped; here its client is not there,
    # so a run that started again from the top would create it.
    job.rows_done, job.counts, job.errors = 1, {"new": 1}, []
    job.save()

    runner.import_jobs_run_pending()

    job.refresh_from_db()
    assert sorted(Client.objects.values_list("business_key", flat=True)) == ["c002", "c003"]
    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}


@pytest.mark.django_db
def test_only_a_user_with_the_import_right_reaches_the_wizard(client, keyed_list, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_client"))
    client.force_login(staff)

    assert client.get(WIZARD).status_code == 403
    assert client.post(WIZARD, {"client_list": keyed_list.pk}).status_code == 403


@pytest.mark.django_db
def test_the_changelist_offers_the_wizard(clerk_fr):
    page = clerk_fr.get("/admin/clients/client/")
    assert WIZARD.encode() in page.content


# Queries ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queries_of_a_check_and_an_import_do_not_grow_with_the_rows(clerk_fr, keyed_list, reps):
    def rows(count: int, start: int) -> list[list[str]]:
        return [
            [f"K{n:05d}", f"Boutique {n}", "", "5,3", "-4", "Cocody", "Boutique", "10", "1,5", "", "oui", "awa"]
            for n in range(start, start + count)
        ]

    def queries(count: int, start: int) -> tuple[list[str], int]:
        job = sent(clerk_fr, french_excel_csv(FRENCH_HEADERS, rows(count, start)), "c.csv", keyed_list)
        with CaptureQueriesContext(connection) as captured:
            confirm(clerk_fr, check(clerk_fr, job))
        sql = [query["sql"] for query in captured.captured_queries]
        written = ('INSERT INTO "clients_client"', 'INSERT INTO "clients_historicalclient"')
        inserts = [text for text in sql if text.startswith(written)]
        return [text for text in sql if text not in inserts], len(inserts)

    ten, ten_inserts = queries(10, 0)
    hundred, hundred_inserts = queries(100, 1000)

    # Per run: the claim, the job, the list's schema, the clients by code and their reps, the users; per batch of
    # 1,000 rows the codes taken and the progress; on import the assignments and the feed. The clients' inserts are
    # one per 500, or fewer rows where the database takes fewer parameters in a statement (SQLite: 999); their
    # history's, one per 500 (clients/recording.py).
    assert len(hundred) == len(ten), set(hundred) ^ set(ten)
    assert ten_inserts == 2
    client_batch = connection.ops.bulk_batch_size(Client._meta.concrete_fields, [Client()] * 100)
    assert hundred_inserts == -(-100 // client_batch) + 1
    assert Client.objects.count() == 110
