"""Targets with the wizard, from a file as French Excel saves it: clients by their code, reps by user name or full
name, periods as dd/mm/yyyy, values with decimal commas and grouped thousands."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from clients.resources import CLIENT_NOT_FOUND
from fieldsales.imports import runner
from fieldsales.imports.base import UNKNOWN_USER
from kpis.models import OWNER_NEEDED, Target
from kpis.resources import NOT_A_NUMBER, PERIOD_ORDER, TARGET_TWICE
from tests.factories import RepFactory, make_coded_shops
from tests.wizard import excel_workbook, french_excel_csv, tally, wizard_check, wizard_import, wizard_job

TARGETS = "/admin/kpis/target/import-file/"
HEADERS = ["Code client", "Commercial", "Début de période", "Fin de période", "Objectif"]
ROWS = [
    ["C001", "", "01/01/2027", "31/01/2027", "1 500 000,50"],
    ["c002", "", "01/01/2027", "31/01/2027", "250 000"],
    ["", "Awa Koné", "01/01/2027", "31/03/2027", "12 000 000"],
    ["", "koffi", "01/01/2027", "31/03/2027", "9,5"],
]


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Two points of sale of a list keyed by a client code, and two reps."""
    shops = make_coded_shops()
    reps = {
        "awa": RepFactory(username="awa", first_name="Awa", last_name="Koné"),
        "koffi": RepFactory(username="koffi", first_name="Koffi", last_name="Yao"),
    }
    return {**shops, **reps}


def targets() -> dict[tuple[Any, ...], Decimal]:
    return {
        (target.client_id, target.rep_id, str(target.period_start), str(target.period_end)): target.value
        for target in Target.objects.all()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_french_target_file_is_imported_and_the_same_file_again_changes_nothing(clerk_fr, world, fmt):
    if fmt == "csv":
        content, name = french_excel_csv(HEADERS, ROWS), "objectifs.csv"
    else:
        typed = [
            [*row[:2], dt.datetime.strptime(row[2], "%d/%m/%Y"), dt.datetime.strptime(row[3], "%d/%m/%Y"), row[4]]
            for row in ROWS
        ]
        content, name = excel_workbook(HEADERS, typed), "objectifs.xlsx"
    job = wizard_job(clerk_fr, TARGETS, content, name)
    assert {job.headers[int(p)]: key for p, key in job.mapping.items()} == {
        "Code client": "client",
        "Commercial": "rep",
        "Début de période": "period_start",
        "Fin de période": "period_end",
        "Objectif": "value",
    }

    job = wizard_check(clerk_fr, TARGETS, job)
    assert tally(job) == {"new": 4, "update": 0, "unchanged": 0, "error": 0}, job.errors
    assert not Target.objects.exists(), "the check writes nothing"
    wizard_import(clerk_fr, TARGETS, content, name)

    assert targets() == {
        (world["C001"].pk, None, "2027-01-01", "2027-01-31"): Decimal("1500000.50"),
        (world["C002"].pk, None, "2027-01-01", "2027-01-31"): Decimal("250000"),
        (None, world["awa"].pk, "2027-01-01", "2027-03-31"): Decimal("12000000"),
        (None, world["koffi"].pk, "2027-01-01", "2027-03-31"): Decimal("9.5"),
    }
    before = list(Target.objects.order_by("pk").values())

    again = wizard_import(clerk_fr, TARGETS, content, name)

    assert tally(again) == {"new": 0, "update": 0, "unchanged": 4, "error": 0}
    assert list(Target.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_changed_value_updates_its_target_and_nothing_else(clerk_fr, world):
    wizard_import(clerk_fr, TARGETS, french_excel_csv(HEADERS, ROWS), "objectifs.csv")
    changed = [[*ROWS[0][:4], "1 600 000"], *ROWS[1:]]

    job = wizard_import(clerk_fr, TARGETS, french_excel_csv(HEADERS, changed), "objectifs.csv")

    assert tally(job) == {"new": 0, "update": 1, "unchanged": 3, "error": 0}
    assert Target.objects.get(client=world["C001"]).value == Decimal("1600000")
    assert Target.objects.count() == 4


BAD_ROWS = [
    ROWS[0],
    ["C999", "", "01/01/2027", "31/01/2027", "10"],
    ["", "personne", "01/01/2027", "31/01/2027", "10"],
    ["C002", "", "31/01/2027", "01/01/2027", "10"],
    ["", "", "01/01/2027", "31/01/2027", "10"],
    ["C002", "", "01/01/2027", "31/01/2027", "=1+1"],
    ROWS[2],
    [" c001", "", "01/01/2027", "31/01/2027", "5"],
]


@pytest.mark.django_db
def test_bad_rows_are_told_in_french_and_come_back_in_the_error_file_while_the_good_ones_are_imported(clerk_fr, world):
    job = wizard_import(clerk_fr, TARGETS, french_excel_csv(HEADERS, BAD_ROWS), "objectifs.csv", mode="good")

    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 7}
    errors = dict(job.errors)
    with translation.override("fr"):
        assert str(CLIENT_NOT_FOUND) % {"value": "C999"} in errors[3]
        assert str(UNKNOWN_USER) % {"name": "personne"} in errors[4]
        assert str(PERIOD_ORDER) in errors[5]
        assert str(OWNER_NEEDED) in errors[6]
        assert errors[7] == f"{_('target value').capitalize()}: {NOT_A_NUMBER}"
        assert str(TARGET_TWICE) % {"rows": "2, 9"} in errors[2]
    assert list(Target.objects.values_list("rep__username", flat=True)) == ["awa"]

    response = clerk_fr.get(f"{TARGETS}{job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    with translation.override("fr"):
        assert rows[0] == [*HEADERS, str(runner.ERROR_COLUMN)]
    # The rows as they were, but the formula, given back as a text a spreadsheet will not run.
    sent_back = [[*row[:4], "'=1+1"] if row[4] == "=1+1" else row for row in BAD_ROWS if row is not ROWS[2]]
    assert [row[:-1] for row in rows[1:]] == sent_back
    assert [row[-1] for row in rows[1:]] == [message for _number, message in job.errors]
    book = openpyxl.load_workbook(io.BytesIO(clerk_fr.get(f"{TARGETS}{job.pk}/errors.xlsx").content))
    assert not [cell for row in book.active.iter_rows() for cell in row if cell.data_type == "f"]


@pytest.mark.django_db
def test_the_target_wizard_needs_the_import_permission(client, world, django_user_model):
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_target", "change_target", "view_target"]))
    client.force_login(staff)

    assert client.get(TARGETS).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="import_target"))
    assert client.get(TARGETS).status_code == 200
    assert TARGETS.encode() in client.get("/admin/kpis/target/").content
