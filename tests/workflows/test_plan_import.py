"""Visit plans with the wizard, from a file as French Excel saves it (Windows-1252, `;`, dd/mm/yyyy, French headers
and repeats): each row held to the rules of planning from the client list (workflows.planning), told in French when
it breaks one, the others imported; a supervisor plans their own reps only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from fieldsales.imports import runner
from fieldsales.imports.base import UNKNOWN_USER
from fieldsales.models import Profile, SyncEntry
from tests.factories import (
    AssignmentFactory,
    ClientFactory,
    RepFactory,
    SupervisorFactory,
    WorkflowFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
    with_client_code,
)
from tests.wizard import excel_workbook, french_excel_csv, tally, wizard_check, wizard_import, wizard_job
from workflows.models import Repeat, VisitPlan
from workflows.planning import ENDS_BEFORE, NOT_IN_TEAM, NOT_PLANNABLE, WORKFLOW_INACTIVE
from workflows.resources import PLAN_TWICE, UNKNOWN_REPEAT

PLANS = "/admin/workflows/visitplan/import-file/"
HEADERS = ["Commercial", "Code client", "Parcours", "Première visite", "Répétition", "Jusqu'au"]
ROWS = [
    ["awa", "C001", "Visite commerciale", "07/12/2026", "Chaque semaine", "31/03/2027"],
    ["AWA", "c002", "visite COMMERCIALE", "08/12/2026", "Une fois", ""],
    ["Koffi Yao", "C003", "Sales visit", "09/12/2026", "Une semaine sur deux", ""],
]
D = dt.date


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Three points of sale of a list keyed by a client code: C001 and C002 Awa's, C003 Koffi's; a sales visit
    workflow and an inactive one."""
    client_list = with_client_code(make_pos_list())
    awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
    koffi = RepFactory(username="koffi", first_name="Koffi", last_name="Yao")
    shops = {
        code: make_client(
            client_list, f"Boutique {code}", {"code": code, "quartier": "Cocody", "categorie": "Boutique"}, reps=reps
        )
        for code, reps in (("C001", (awa,)), ("C002", (awa,)), ("C003", (koffi,)))
    }
    return {
        **shops,
        "list": client_list,
        "awa": awa,
        "koffi": koffi,
        "workflow": make_visit_workflow()["workflow"],
        "old": WorkflowFactory(name_en="Old round", name_fr="Ancienne tournée", active=False),
    }


def plans() -> set[tuple[Any, ...]]:
    return set(
        VisitPlan.objects.values_list(
            "rep__username",
            "client__name",
            "workflow__name_en",
            "starts_on",
            "repeat",
            "ends_on",
            "created_by__username",
        )
    )


def french(message: Any, **params: Any) -> str:
    with translation.override("fr"):
        return str(message) % params if params else str(message)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_french_plan_file_is_imported_and_the_same_file_again_changes_nothing(clerk_fr, world, fmt):
    if fmt == "csv":
        content, name = french_excel_csv(HEADERS, ROWS), "tournees.csv"
    else:
        typed = [[*row[:3], dt.datetime.strptime(row[3], "%d/%m/%Y"), *row[4:]] for row in ROWS]
        content, name = excel_workbook(HEADERS, typed), "tournees.xlsx"
    job = wizard_job(clerk_fr, PLANS, content, name)
    assert {job.headers[int(p)]: key for p, key in job.mapping.items()} == {
        "Commercial": "rep",
        "Code client": "client",
        "Parcours": "workflow",
        "Première visite": "starts_on",
        "Répétition": "repeat",
        "Jusqu'au": "ends_on",
    }
    job = wizard_check(clerk_fr, PLANS, job)
    assert tally(job) == {"new": 3, "update": 0, "unchanged": 0, "error": 0}, job.errors
    assert not VisitPlan.objects.exists(), "the check writes nothing"

    wizard_import(clerk_fr, PLANS, content, name)

    assert plans() == {
        ("awa", "Boutique C001", "Sales visit", D(2026, 12, 7), Repeat.WEEKLY, D(2027, 3, 31), "clerk"),
        ("awa", "Boutique C002", "Sales visit", D(2026, 12, 8), Repeat.ONCE, None, "clerk"),
        ("koffi", "Boutique C003", "Sales visit", D(2026, 12, 9), Repeat.FORTNIGHTLY, None, "clerk"),
    }
    again = wizard_import(clerk_fr, PLANS, content, name)
    assert tally(again) == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    assert VisitPlan.objects.count() == 3


@pytest.mark.django_db
def test_a_plan_already_there_takes_the_files_repeats_and_last_day_and_reaches_the_reps_phone(clerk_fr, world):
    today = dt.date.today()
    rows = [["awa", "C001", "Visite commerciale", today.strftime("%d/%m/%Y"), "weekly", ""]]
    wizard_import(clerk_fr, PLANS, french_excel_csv(HEADERS, rows), "tournees.csv")
    plan = VisitPlan.objects.get()
    assert SyncEntry.objects.filter(rep=world["awa"], entity_id=str(plan.pk), deleted=False).exists()

    rows[0][4:] = ["Chaque mois, le même jour", (today + dt.timedelta(days=90)).strftime("%d/%m/%Y")]
    job = wizard_import(clerk_fr, PLANS, french_excel_csv(HEADERS, rows), "tournees.csv")

    assert tally(job) == {"new": 0, "update": 1, "unchanged": 0, "error": 0}
    plan.refresh_from_db()
    assert (plan.repeat, plan.ends_on, plan.version) == (Repeat.MONTHLY, today + dt.timedelta(days=90), 2)


@pytest.mark.django_db
def test_each_bad_row_is_told_in_french_and_the_good_ones_are_imported(clerk_fr, world):
    rows = [
        ["fanta", "C001", "Visite commerciale", "07/12/2026", "Chaque semaine", ""],  # 2: no such rep
        ["koffi", "C001", "Visite commerciale", "07/12/2026", "Chaque semaine", ""],  # 3: not Koffi's client
        ["awa", "C001", "Ancienne tournée", "07/12/2026", "Chaque semaine", ""],  # 4: inactive workflow
        ["awa", "C002", "Visite commerciale", "10/12/2026", "Chaque semaine", "01/12/2026"],  # 5: ends before
        ["awa", "C002", "Visite commerciale", "11/12/2026", "tous les jours", ""],  # 6: no such repeat
        ["awa", "C001", "Visite commerciale", "14/12/2026", "Une fois", ""],  # 7 and 8: twice
        ["awa", "c001", "visite commerciale", "14/12/2026", "weekly", ""],
        ["awa", "C002", "Visite commerciale", "15/12/2026", "", ""],  # 9: good, once
    ]

    job = wizard_import(clerk_fr, PLANS, french_excel_csv(HEADERS, rows), "tournees.csv", mode="good")

    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 7}
    errors = dict(job.errors)
    with translation.override("fr"):
        choices = ", ".join(str(label) for _value, label in Repeat.choices)
        assert errors[2] == f"Commercial: {french(UNKNOWN_USER, name='fanta')}"
        assert errors[3] == f"Client: {french(NOT_PLANNABLE)}"
        assert errors[4] == f"Workflow: {french(WORKFLOW_INACTIVE)}"
        assert errors[5] == f"Jusqu'au: {french(ENDS_BEFORE)}"
        assert errors[6] == f"Répétition: {french(UNKNOWN_REPEAT, value='tous les jours', choices=choices)}"
        assert errors[7] == errors[8] == french(PLAN_TWICE, rows="7, 8")
    assert errors[2].startswith("Commercial: Aucun utilisateur")
    assert plans() == {("awa", "Boutique C002", "Sales visit", D(2026, 12, 15), Repeat.ONCE, None, "clerk")}


@pytest.mark.django_db
def test_a_supervisor_imports_plans_for_their_own_reps_only(client, world):
    supervisor = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.update_or_create(user=world["awa"], defaults={"supervisor": supervisor})
    client.force_login(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    job = wizard_import(client, PLANS, french_excel_csv(HEADERS, [ROWS[0], ROWS[2]]), "tournees.csv", mode="good")

    assert tally(job) == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    assert dict(job.errors) == {3: f"Commercial: {french(NOT_IN_TEAM)}"}
    assert {plan[:2] for plan in plans()} == {("awa", "Boutique C001")}


@pytest.mark.django_db
def test_the_plans_list_offers_the_wizard_and_its_template_in_french_and_keeps_its_conflicts(clerk_fr, world):
    page = clerk_fr.get("/admin/workflows/visitplan/")
    template = clerk_fr.get(f"{PLANS}template.csv")

    assert PLANS.encode() in page.content
    assert b"plan-conflicts" in page.content
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").strip() == (
        "Commercial;Client;Workflow;Première visite;Répétition;Jusqu'au"
    )


# Queries ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queries_of_a_check_and_an_import_do_not_grow_with_the_rows(clerk_fr, world):
    awa = world["awa"]
    shops = [ClientFactory(client_list=world["list"]) for _n in range(40)]
    for shop in shops:
        AssignmentFactory(client=shop, rep=awa)
    first = dt.date(2026, 12, 7)

    def rows(count: int, start: int) -> list[list[str]]:
        return [
            ["awa", str(shop.pk), "Visite commerciale", (first + dt.timedelta(days=start)).strftime("%d/%m/%Y"), "", ""]
            for shop in shops[:count]
        ]

    def queries(count: int, start: int) -> list[str]:
        job = wizard_check(
            clerk_fr, PLANS, wizard_job(clerk_fr, PLANS, french_excel_csv(HEADERS, rows(count, start)), "p.csv")
        )
        with CaptureQueriesContext(connection) as captured:
            response = clerk_fr.post(f"{PLANS}{job.pk}/", {"action": "import", "mode": "all"})
            assert response.status_code == 302
            assert runner.import_jobs_run_pending() == 1
        return [query["sql"] for query in captured.captured_queries]

    four, forty = queries(4, 0), queries(40, 1)

    # The confirmation (8): the session, the clerk, their permissions (twice), the job, its user, its save, the task
    # queued. The run (21): the pending jobs, the claim, the job and its user, its start; the clerk's role (team_of),
    # the users, the clients by code and by identifier, the workflows, the plans already there; per batch of 1,000
    # rows the reps' clients and the workflows' lists (Plannable) and the progress; then, in a savepoint (2), the
    # plans' insert and the feed (the plans' moves, the plans, who held them, the upsert); the job's end.
    assert len(forty) == len(four) == 29, set(forty) ^ set(four)
    assert VisitPlan.objects.count() == 44
