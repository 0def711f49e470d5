"""The client card's History and Notes, and the workflows and products a rep works with, over REST."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from clients.schema import AttributeSpec, attribute_rules
from tests.api.conftest import follow
from tests.factories import (
    ActivityFactory,
    NoteFactory,
    OrderLineFactory,
    ProductFactory,
    SubmissionFactory,
    VisitFactory,
    WorkflowFactory,
    signed_in,
)
from workflows.models import ActivityKind

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def sales_visit(db):  # type: ignore[no-untyped-def]
    workflow = WorkflowFactory(name_en="Sales visit", name_fr="Visite commerciale", order=1)
    shelf = ActivityFactory(
        workflow=workflow,
        kind=ActivityKind.FORM,
        name_en="Shelf check",
        name_fr="Relevé de rayon",
        requires_visit=True,
        fields=[{"key": "part_rayon", "type": "integer", "label_en": "Shelf share"}],
        order=1,
    )
    order = ActivityFactory(workflow=workflow, kind=ActivityKind.ORDER, requires_visit=True, order=2)
    return {"workflow": workflow, "shelf": shelf, "order": order}


def history_url(client) -> str:  # type: ignore[no-untyped-def]
    return f"/api/clients/{client.pk}/history/"


def notes_url(client) -> str:  # type: ignore[no-untyped-def]
    return f"/api/clients/{client.pk}/notes/"


# History ------------------------------------------------------------------------------------------


def test_history_lists_the_visits_newest_first_with_their_activities_and_order_lines(
    api, make_client_by_awa, awa, koffi, sales_visit
):
    client = make_client_by_awa("Boutique Awa")
    older = VisitFactory(client=client, rep=koffi, workflow=sales_visit["workflow"], checked_in_at=NOON)
    newer = VisitFactory(
        client=client,
        rep=awa,
        workflow=sales_visit["workflow"],
        checked_in_at=NOON + dt.timedelta(days=1),
        ended_at=NOON + dt.timedelta(days=1, minutes=20),
    )
    SubmissionFactory(visit=newer, activity=sales_visit["shelf"], values={"part_rayon": 40}, submitted_at=NOON)
    order = SubmissionFactory(
        visit=newer, activity=sales_visit["order"], order_total=Decimal("5500.00"), submitted_at=NOON
    )
    soap, rice = ProductFactory(name="Savon"), ProductFactory(name="Riz")
    OrderLineFactory(submission=order, product=soap, quantity=Decimal("2"), unit_price=Decimal("1000"), value=2000)
    OrderLineFactory(submission=order, product=rice, quantity=Decimal("1"), unit_price=Decimal("3500"), value=3500)
    VisitFactory(workflow=sales_visit["workflow"], rep=awa)  # at another client

    response = api.get(history_url(client))

    assert response.status_code == 200, response.content
    visits = response.json()["results"]
    assert [visit["id"] for visit in visits] == [str(newer.pk), str(older.pk)]
    assert visits[0]["rep"] == "awa"
    assert visits[0]["client"] == str(client.pk)
    assert visits[0]["ended_at"] == newer.ended_at.isoformat()
    shelf_check, taken = visits[0]["submissions"]
    assert shelf_check["activity_name"] == "Shelf check"
    assert shelf_check["values"] == {"part_rayon": 40}
    assert taken["order_total"] == "5500.00"
    assert [(line["product"], line["quantity"], line["value"]) for line in taken["lines"]] == [
        (soap.pk, "2.000", "2000.00"),
        (rice.pk, "1.000", "3500.00"),
    ]
    assert visits[1]["submissions"] == []


def test_history_pages_25_visits_at_a_time_newest_first(api, make_client_by_awa, awa, sales_visit):
    client = make_client_by_awa("Boutique Awa")
    for day in range(30):
        VisitFactory(
            client=client, rep=awa, workflow=sales_visit["workflow"], checked_in_at=NOON - dt.timedelta(days=day)
        )
    pages = follow(api, history_url(client))
    assert [len(page["results"]) for page in pages] == [25, 5]
    times = [visit["checked_in_at"] for page in pages for visit in page["results"]]
    assert times == [(NOON - dt.timedelta(days=day)).isoformat() for day in range(30)]


# History: 1. session, 2. user, 3. the client (is it the rep's?), 4. the page of visits with their reps,
# 5. their submissions with the activities, 6. the order lines of those.
@pytest.mark.parametrize("visits", [1, 25])
def test_a_history_page_costs_the_same_queries_whatever_its_length(
    api, make_client_by_awa, awa, sales_visit, django_assert_num_queries, visits
):
    client = make_client_by_awa("Boutique Awa")
    for day in range(visits):
        visit = VisitFactory(
            client=client, rep=awa, workflow=sales_visit["workflow"], checked_in_at=NOON - dt.timedelta(days=day)
        )
        OrderLineFactory(submission=SubmissionFactory(visit=visit, activity=sales_visit["order"]))
    with django_assert_num_queries(6):
        response = api.get(history_url(client))
    assert len(response.json()["results"]) == visits


# Notes --------------------------------------------------------------------------------------------


def test_notes_are_listed_newest_first_with_their_author(api, make_client_by_awa, awa, koffi):
    client = make_client_by_awa("Boutique Awa")
    koffi.first_name, koffi.last_name = "Koffi", "Kouassi"
    koffi.save()
    NoteFactory(client=client, author=awa, text="Première", created_at=NOON)
    NoteFactory(client=client, author=koffi, text="Dernière", created_at=NOON + dt.timedelta(hours=2))
    NoteFactory(client=client, author=awa, text="Entre les deux", created_at=NOON + dt.timedelta(hours=1))
    NoteFactory(author=awa, text="Ailleurs")  # another client

    response = api.get(notes_url(client))

    assert response.status_code == 200, response.content
    notes = response.json()["results"]
    assert [note["text"] for note in notes] == ["Dernière", "Entre les deux", "Première"]
    assert [note["author"] for note in notes] == ["Koffi Kouassi", "awa", "awa"]
    assert notes[0]["created_at"] == (NOON + dt.timedelta(hours=2)).isoformat()
    assert notes[0]["client"] == str(client.pk)


def test_notes_page_25_at_a_time(api, make_client_by_awa, awa):
    client = make_client_by_awa("Boutique Awa")
    for minute in range(27):
        NoteFactory(
            client=client, author=awa, text=f"Note {minute:02d}", created_at=NOON + dt.timedelta(minutes=minute)
        )
    pages = follow(api, notes_url(client))
    assert [len(page["results"]) for page in pages] == [25, 2]
    assert [note["text"] for page in pages for note in page["results"]] == [f"Note {m:02d}" for m in range(26, -1, -1)]


# Notes: 1. session, 2. user, 3. the client, 4. the page of notes, with their authors.
@pytest.mark.parametrize("notes", [1, 25])
def test_a_notes_page_costs_the_same_queries_whatever_its_length(
    api, make_client_by_awa, awa, django_assert_num_queries, notes
):
    client = make_client_by_awa("Boutique Awa")
    for minute in range(notes):
        NoteFactory(client=client, author=awa, created_at=NOON + dt.timedelta(minutes=minute))
    with django_assert_num_queries(4):
        response = api.get(notes_url(client))
    assert len(response.json()["results"]) == notes


# Another rep's client -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [history_url, notes_url])
def test_history_and_notes_of_a_client_the_rep_does_not_see_answer_404(
    api, make_client_by_awa, koffi, sales_visit, url
):
    theirs = make_client_by_awa("Chez Koffi", reps=[koffi])
    VisitFactory(client=theirs, rep=koffi, workflow=sales_visit["workflow"])
    NoteFactory(client=theirs, author=koffi)
    assert api.get(url(theirs)).status_code == 404
    assert signed_in(koffi).get(url(theirs)).status_code == 200


@pytest.mark.parametrize("url", [history_url, notes_url])
def test_history_and_notes_need_a_session(make_client_by_awa, url):
    assert HttpClient().get(url(make_client_by_awa("Boutique Awa"))).status_code == 403


# Workflows and products ---------------------------------------------------------------------------


def test_workflows_lists_the_active_workflows_with_their_activities_in_order(api, sales_visit):
    WorkflowFactory(name_en="Retired", active=False)
    merch = WorkflowFactory(name_en="Merchandising", name_fr="Merchandising", order=2)
    ActivityFactory(workflow=merch, kind=ActivityKind.PHOTO, name_en="Shelf photo", order=1)

    response = api.get("/api/workflows/")

    assert response.status_code == 200, response.content
    workflows = response.json()
    assert [workflow["name"] for workflow in workflows] == ["Sales visit", "Merchandising"]
    assert workflows[0]["id"] == sales_visit["workflow"].pk
    assert [
        (activity["id"], activity["name"], activity["kind"], activity["requires_visit"])
        for activity in workflows[0]["activities"]
    ] == [(sales_visit["shelf"].pk, "Shelf check", "form", True), (sales_visit["order"].pk, "Order", "order", True)]
    # Each field with the rules its value is checked with (the pull's record, clients.schema.attribute_rules).
    assert workflows[0]["activities"][0]["fields"] == [
        {**item, "rules": attribute_rules(AttributeSpec(item["key"], item["type"]))}
        for item in sales_visit["shelf"].fields
    ]
    assert [activity["name"] for activity in workflows[1]["activities"]] == ["Shelf photo"]


def test_workflow_names_follow_accept_language(api, sales_visit):
    workflows = api.get("/api/workflows/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert workflows[0]["name"] == "Visite commerciale"
    assert workflows[0]["activities"][0]["name"] == "Relevé de rayon"


def test_products_lists_the_active_products_by_name(api, db):
    ProductFactory(name="Savon", sku="SAV1", unit_price=Decimal("350.00"))
    ProductFactory(name="Huile", sku="HUI1", unit_price=Decimal("1200.50"))
    ProductFactory(name="Ancien", sku="OLD1", active=False)

    response = api.get("/api/products/")

    assert response.status_code == 200, response.content
    assert [(p["name"], p["sku"], p["unit_price"], p["active"]) for p in response.json()] == [
        ("Huile", "HUI1", "1200.50", True),
        ("Savon", "SAV1", "350.00", True),
    ]


# Workflows: 1. session, 2. user, 3. the ids of the active workflows, 4. those workflows, 5. their activities,
# 6. their lists.
@pytest.mark.parametrize("count", [1, 10])
def test_the_workflow_list_costs_the_same_queries_whatever_its_length(api, db, django_assert_num_queries, count):
    for number in range(count):
        ActivityFactory(workflow=WorkflowFactory(order=number))
    with django_assert_num_queries(6):
        assert len(api.get("/api/workflows/").json()) == count


# Products: 1. session, 2. user, 3. the ids of the active products by name, 4. those products.
@pytest.mark.parametrize("count", [1, 10])
def test_the_product_list_costs_the_same_queries_whatever_its_length(api, db, django_assert_num_queries, count):
    for _ in range(count):
        ProductFactory()
    with django_assert_num_queries(4):
        assert len(api.get("/api/products/").json()) == count


def test_workflows_and_products_need_a_session(db):
    assert HttpClient().get("/api/workflows/").status_code == 403
    assert HttpClient().get("/api/products/").status_code == 403


def test_times_are_returned_in_utc_iso_8601(api, make_client_by_awa, awa, sales_visit):
    client = make_client_by_awa("Boutique Awa")
    VisitFactory(client=client, rep=awa, workflow=sales_visit["workflow"], checked_in_at=timezone.now())
    (visit,) = api.get(history_url(client)).json()["results"]
    assert visit["checked_in_at"].endswith("+00:00")
