"""Version 2 of the pull (docs/sync-protocol-v2.md): lean records, a first sync that brings the clients nearest the
phone first, the snapshot's counts on every page of it, KPI folders, and KPI cards in the rep's language."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from clients.models import Assignment, Client
from clients.phones import phone_rules
from clients.schema import INTEGER_LIMIT, TEXT_MAX, AttributeSpec, attribute_rules
from clients.services import client_archive, client_update
from fieldsales.accounts import NOT_A_LANGUAGE
from fieldsales.geo import BAD_NEAR, Position
from fieldsales.models import SyncEntry
from fieldsales.sync.feed import refresh_reps
from fieldsales.sync.views import BAD_VERSION
from kpis.models import KpiCard, KpiDefinition, KpiFolder
from kpis.services import kpi_cards_refresh, kpi_folder_changed
from tests.factories import ABIDJAN, RepFactory, make_client
from tests.sync.conftest import Device, device_for, made_by
from workflows.models import ActivitySubmission, Note, Visit
from workflows.services import (
    activity_submit,
    note_create,
    product_changed,
    visit_check_in,
    visit_end,
    workflow_changed,
)

HERE = Position(ABIDJAN[0], ABIDJAN[1], 5.0)
MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def moment_of(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pull(device: Device, expect: int = 200, **params: Any) -> dict[str, Any]:
    response = device.http.get("/api/sync/pull", {key: value for key, value in params.items() if value is not None})
    assert response.status_code == expect, response.content
    return response.json()


def pull_pages(device: Device, *, v: str | None = "2", limit: int = 500, near: str | None = None) -> list[dict]:
    """Follow the cursor from `device.cursor` until `more` is false, `near` on the first request only."""
    pages = []
    while True:
        page = pull(device, v=v, limit=limit, cursor=device.cursor, near=None if device.cursor else near)
        pages.append(page)
        device.cursor = page["cursor"] or device.cursor
        if not page["more"]:
            return pages


def changes_of(pages: list[dict]) -> list[dict[str, Any]]:
    return [change for page in pages for change in page["changes"]]


def by_key(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(change["type"], change["id"]): change for change in changes}


# A rep's world ---------------------------------------------------------------------------------------------------


@dataclass
class Field:
    """rep1's clients (one with statements on, one without a position), an ended visit with a form and an order, an
    open visit, a note, two KPI folders (one empty) and the cards; an archived client rep1 held once."""

    clients: list[Client]
    workflow: Any
    form: Any
    order: Any
    products: list[Any]
    ended_visit: Visit
    open_visit: Visit
    form_submission: ActivitySubmission
    order_submission: ActivitySubmission
    note: Note
    sales: KpiFolder
    empty: KpiFolder


@pytest.fixture
def kpi_folders(db):  # type: ignore[no-untyped-def]
    """Sales: the last order's value and the visits of 30 days shown, a KPI switched off and one whose metric the
    code no longer knows hidden; Empty: none."""
    sales = KpiFolder.objects.create(name_en="Sales", name_fr="Ventes")
    empty = KpiFolder.objects.create(name_en="Empty", name_fr="Vide")
    for order_, key, metric, display, active in [
        (2, "visits", "visits_count", "number", True),
        (1, "last_value", "previous_order_value", "money", True),
        (3, "switched_off", "visits_count", "number", False),
        (4, "gone", "no_such_metric", "number", True),
    ]:
        KpiDefinition.objects.create(
            key=key,
            metric=metric,
            folder=sales,
            display=display,
            order=order_,
            active=active,
            params={"days": 30} if metric == "visits_count" else {},
            label_en=key.replace("_", " ").title(),
            label_fr=f"{key} (fr)",
        )
    for folder in (sales, empty):
        kpi_folder_changed(folder=folder)  # what the admin does after saving one
    return sales, empty


@pytest.fixture
def field(rep1, rep2, pos_list_editable, visit_workflow, kpi_folders, database_images) -> Field:  # type: ignore[no-untyped-def]
    """The same field for every test of the module: built by the first, copied back for the others (see
    `DatabaseImages`)."""
    return database_images.made(
        "field",
        lambda: build_field(rep1, rep2, pos_list_editable, visit_workflow, kpi_folders),
        *(rep1, rep2, pos_list_editable, *kpi_folders),
        *made_by(visit_workflow),
    )


def build_field(
    rep1: Any, rep2: Any, pos_list_editable: Any, visit_workflow: dict[str, Any], kpi_folders: tuple[KpiFolder, ...]
) -> Field:
    refresh_reps([rep1.pk, rep2.pk])  # the list shared with the reps' group reaches their feeds
    workflow, form, order = visit_workflow["workflow"], visit_workflow["form"], visit_workflow["order"]
    workflow_changed(workflow=workflow)
    for product in visit_workflow["products"]:
        product_changed(product=product)
    clients = [
        make_client(pos_list_editable, user=rep1, reps=(rep1,), name="Boutique Awa", statement_enabled=True),
        make_client(
            pos_list_editable, user=rep1, reps=(rep1, rep2), name="Boutique partagée", phone="+225 07 07 07 07 07"
        ),
        make_client(pos_list_editable, reps=(rep1,), name="Sans position", lat=None, lng=None, accuracy_m=None),
    ]
    archived = make_client(pos_list_editable, reps=(rep1,), name="Fermée")
    client_archive(user=None, client=archived)

    ended = visit_check_in(
        rep=rep1,
        visit_id=uuid.uuid4(),
        client=clients[0],
        workflow=workflow,
        position=HERE,
        at=timezone.now() - dt.timedelta(days=2),
    )
    form_submission = activity_submit(
        rep=rep1, submission_id=uuid.uuid4(), visit=ended, activity=form, values={"part_rayon": 40}
    )
    order_submission = activity_submit(
        rep=rep1,
        submission_id=uuid.uuid4(),
        visit=ended,
        activity=order,
        values={},
        lines=[{"product": str(visit_workflow["products"][0].pk), "quantity": "2"}],
    )
    visit_end(rep=rep1, visit=Visit.objects.get(pk=ended.pk), at=timezone.now() - dt.timedelta(days=2, hours=-1))
    open_visit = visit_check_in(
        rep=rep1, visit_id=uuid.uuid4(), client=clients[1], workflow=workflow, position=HERE, at=timezone.now()
    )
    note = note_create(
        author=rep1, note_id=uuid.uuid4(), client=clients[0], visit=ended, text="Le gérant demande une promotion."
    )
    kpi_cards_refresh(client_ids=[client.pk for client in clients])
    sales, empty = kpi_folders
    return Field(
        clients=[Client.objects.get(pk=client.pk) for client in clients],
        workflow=workflow,
        form=form,
        order=order,
        products=visit_workflow["products"],
        ended_visit=Visit.objects.get(pk=ended.pk),
        open_visit=Visit.objects.get(pk=open_visit.pk),
        form_submission=form_submission,
        order_submission=order_submission,
        note=note,
        sales=KpiFolder.objects.get(pk=sales.pk),
        empty=KpiFolder.objects.get(pk=empty.pk),
    )


def card_texts(client: Client, language: str) -> dict[str, str]:
    card = KpiCard.objects.get(client=client)
    return {kpi["key"]: kpi[f"text_{language}"] for folder in card.folders for kpi in folder["kpis"]}


# Version 2 records ------------------------------------------------------------------------------------------------


def test_each_version_2_record_holds_exactly_what_the_document_lists(field, rep1, pos_list_editable):
    store = by_key(changes_of(pull_pages(device_for(rep1))))

    client_list = store[("client_list", str(pos_list_editable.pk))]
    assert set(client_list) == {"type", "id", "version", "data"}
    assert set(client_list["data"]) == {"name", "attributes", "access", "rules"}
    assert client_list["data"]["access"] == {"create": True, "edit": True}  # archive: false, left out
    # The rules of the client's own fields: its name's length, its phone a number of the list's country.
    assert client_list["data"]["rules"] == {
        "name": {"max_length": 200},
        "phone": phone_rules(pos_list_editable.country),
    }
    attributes = {attribute["key"]: attribute for attribute in client_list["data"]["attributes"]}
    assert attributes["quartier"] == {
        "key": "quartier",
        "label_en": "District",
        "label_fr": "Quartier",
        "type": "text",
        "required": True,
        "important": True,
        "rules": {"max_length": TEXT_MAX},
    }
    assert attributes["categorie"]["options"] == ["Épicerie", "Boutique", "Supermarché"]
    assert attributes["surface_m2"] == {
        "key": "surface_m2",
        "label_en": "Area (m²)",
        "label_fr": "Surface (m²)",
        "type": "integer",
        "rules": {"min": -INTEGER_LIMIT, "max": INTEGER_LIMIT},
    }

    assert store[("kpi_folder", str(field.sales.pk))] == {
        "type": "kpi_folder",
        "id": str(field.sales.pk),
        "version": field.sales.version,
        "data": {
            "name_en": "Sales",
            "name_fr": "Ventes",
            "kpis": [
                {"key": "last_value", "label_en": "Last Value", "label_fr": "last_value (fr)", "display": "money"},
                {"key": "visits", "label_en": "Visits", "label_fr": "visits (fr)", "display": "number"},
            ],
        },
    }
    assert store[("kpi_folder", str(field.empty.pk))]["data"] == {"name_en": "Empty", "name_fr": "Vide"}

    workflow = store[("workflow", str(field.workflow.pk))]
    # `order` 0 stays (only null, false and empty collections go); `lists` is empty.
    assert set(workflow["data"]) == {"name_en", "name_fr", "order", "activities"}
    assert (workflow["data"]["name_en"], workflow["data"]["name_fr"], workflow["data"]["order"]) == (
        "Sales visit",
        "Visite commerciale",
        0,
    )
    form, order = workflow["data"]["activities"]
    assert form == {
        "id": field.form.pk,
        "name_en": "Shelf check",
        "name_fr": "Relevé de rayon",
        "kind": "form",
        "requires_visit": True,
        "requires_geo_checkin": True,
        "radius_m": 100,
        # Each field with the rules its value is checked with, as a list's attributes.
        "fields": [
            {**item, "rules": attribute_rules(AttributeSpec(item["key"], item["type"]))} for item in field.form.fields
        ],
    }
    assert "fields" not in order

    product = store[("product", str(field.products[0].pk))]
    assert product["data"] == {
        "sku": field.products[0].sku,
        "name": "Produit 0",
        "unit_price": "1500.00",
        "active": True,
    }

    shop, shared, nowhere = field.clients
    assert store[("client", str(shop.pk))]["data"] == {
        "list": pos_list_editable.pk,
        "name": "Boutique Awa",
        "lat": ABIDJAN[0],
        "lng": ABIDJAN[1],
        "accuracy_m": 8.0,
        "phone": "",
        "attributes": {"quartier": "Cocody", "categorie": "Boutique"},
        "statement_enabled": True,
        "created_at": moment_of(shop.created_at),
        "created_by": "awa",
        "updated_at": moment_of(shop.updated_at),
        "updated_by": "awa",
    }
    assert store[("client", str(nowhere.pk))]["data"] == {
        "list": pos_list_editable.pk,
        "name": "Sans position",
        "phone": "",
        "attributes": {"quartier": "Cocody", "categorie": "Boutique"},
        "created_at": moment_of(nowhere.created_at),
        "updated_at": moment_of(nowhere.updated_at),
    }
    assert store[("client", str(shared.pk))]["version"] == shared.version

    card = store[("kpi_card", str(shop.pk))]
    assert card["version"] == KpiCard.objects.get(client=shop).version
    assert card["data"] == {"texts": {"en": card_texts(shop, "en"), "fr": card_texts(shop, "fr")}}
    assert set(card["data"]["texts"]["en"]) == {"last_value", "visits"}
    assert card["data"]["texts"]["fr"]["visits"] == "1"

    ended = store[("visit", str(field.ended_visit.pk))]
    assert ended == {
        "type": "visit",
        "id": str(field.ended_visit.pk),
        "version": field.ended_visit.version,
        "data": {
            "client": str(shop.pk),
            "workflow": field.workflow.pk,
            "rep": "awa",
            "rep_id": rep1.pk,
            "checked_in_at": moment_of(field.ended_visit.checked_in_at),
            "ended_at": moment_of(field.ended_visit.ended_at),
            "submissions": [
                {"id": str(field.form_submission.pk), "activity": field.form.pk},
                {
                    "id": str(field.order_submission.pk),
                    "activity": field.order.pk,
                    "order_total": "3000.00",
                    "status": "submitted",
                },
            ],
        },
    }
    assert "ended_at" not in store[("visit", str(field.open_visit.pk))]["data"]

    assert store[("note", str(field.note.pk))]["data"] == {
        "client": str(shop.pk),
        "visit": str(field.ended_visit.pk),
        "text": "Le gérant demande une promotion.",
        "author": "awa",
        "created_at": moment_of(field.note.created_at),
    }
    for change in store.values():
        for key in ("created_at", "updated_at", "checked_in_at", "ended_at"):
            assert MOMENT.match(change["data"].get(key, "2026-01-01T00:00:00Z")), change


def test_version_1_records_are_unchanged_by_version_2(field, rep1, pos_list_editable):
    default = by_key(changes_of(pull_pages(device_for(rep1), v=None)))
    one = by_key(changes_of(pull_pages(device_for(rep1), v="1")))
    two = by_key(changes_of(pull_pages(device_for(rep1), v="2")))

    assert default == one
    assert set(one) == set(two)
    shop = field.clients[0]
    client = one[("client", str(shop.pk))]["data"]
    assert (client["photo"], client["created_at"]) == (None, shop.created_at.isoformat())
    assert one[("client_list", str(pos_list_editable.pk))]["data"]["attributes"][0]["label"] == "District"
    assert one[("workflow", str(field.workflow.pk))]["data"]["name"] == "Sales visit"
    visit = one[("visit", str(field.ended_visit.pk))]["data"]
    assert visit["distance_m"] is not None
    assert [submission["values"] for submission in visit["submissions"]] == [{"part_rayon": 40}, {}]
    assert visit["submissions"][1]["lines"][0]["quantity"] == "2.000"
    card = one[("kpi_card", str(shop.pk))]["data"]
    assert card == {"client": str(shop.pk), "folders": KpiCard.objects.get(client=shop).folders}
    # A version 1 app ignores the new type; its record is the same in both versions.
    assert one[("kpi_folder", str(field.sales.pk))] == two[("kpi_folder", str(field.sales.pk))]


# The request ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0", "3", "", "2.0", "v2", "deux"])
def test_a_version_other_than_1_or_2_is_refused_in_the_reps_language(rep1, version):
    response = device_for(rep1).http.get("/api/sync/pull", {"v": version}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    with translation.override("fr"):
        assert response.json() == {"code": "invalid_version", "detail": str(BAD_VERSION)}
    assert response.json()["detail"].startswith("v doit")


@pytest.mark.parametrize(
    "near", ["", "abc", "5.3", "5.3,-4.0,1", "91,0", "-90.5,0", "0,181", "0,-180.1", "nan,0", "5e1,3"]
)
def test_a_malformed_near_is_refused_in_the_reps_language(rep1, near):
    response = device_for(rep1).http.get("/api/sync/pull", {"v": "2", "near": near}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    with translation.override("fr"):
        assert response.json() == {"code": "invalid_near", "detail": str(BAD_NEAR)}
    assert response.json()["detail"].startswith("near doit")


def encoded(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        encoded([2, 5, 40, "x", 91, 0, 5]),  # latitude out of range
        encoded([2, 5, 40, "x", 5, "4", 5]),
        encoded([2, 5, 40, "x", 5, 4, -1]),
        encoded([2, 5, 40, "x", 5, 4, "1"]),
        encoded([1, 5, 40, "x", 5, 4, 5]),  # the changes phase has no point
        encoded([2, 5, 40, "x", 5, 4]),
        encoded([2, 5, 40, "x", 5, 4, None]),  # a client handed out without its distance
    ],
)
def test_a_forged_cursor_with_a_point_is_refused(rep1, pos_list_editable, cursor):
    refresh_reps([rep1.pk])
    make_client(pos_list_editable, user=rep1, reps=(rep1,))
    response = device_for(rep1).http.get("/api/sync/pull", {"cursor": cursor, "v": "2"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


# Nearest first ----------------------------------------------------------------------------------------------------

NEAR = (5.0, -4.0)


@pytest.fixture
def spread(rep1, pos_list_editable, database_images) -> list[Client]:  # type: ignore[no-untyped-def]
    """rep1's clients north of NEAR, made in an order unrelated to their distance; two at one spot; three without a
    position. Returns them in the order a first sync near NEAR hands them out. Built by the first test, copied back
    for the others (see `DatabaseImages`)."""
    return database_images.made("spread", lambda: build_spread(rep1, pos_list_editable), rep1, pos_list_editable)


def build_spread(rep1: Any, pos_list_editable: Any) -> list[Client]:
    refresh_reps([rep1.pk])  # the list shared with the reps' group reaches the rep's feed
    steps = list(range(1, 21))
    random.Random(7).shuffle(steps)
    placed = [
        (
            step,
            make_client(
                pos_list_editable, user=rep1, reps=(rep1,), name=f"À {step} km", lat=NEAR[0] + step * 0.009, lng=NEAR[1]
            ),
        )
        for step in [*steps, 7]
    ]
    nowhere = [
        make_client(
            pos_list_editable, user=rep1, reps=(rep1,), name=f"Sans position {i}", lat=None, lng=None, accuracy_m=None
        )
        for i in range(3)
    ]
    placed.sort(key=lambda item: (item[0], str(item[1].pk)))
    return [client for _step, client in placed] + sorted(nowhere, key=lambda client: str(client.pk))


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_first_sync_near_the_phone_brings_the_nearest_clients_first_without_skipping_or_repeating_one(
    spread, rep1, pos_list_editable, version
):
    device = device_for(rep1)
    pages = pull_pages(device, v=version, limit=4, near=f"{NEAR[0]},{NEAR[1]}")
    changes = changes_of(pages)

    assert len(pages) == 7
    assert changes[0]["type"] == "client_list"
    assert [change["id"] for change in changes if change["type"] == "client"] == [str(c.pk) for c in spread]
    # The first page already holds the three nearest clients.
    assert [change["data"]["name"] for change in pages[0]["changes"][1:]] == ["À 1 km", "À 2 km", "À 3 km"]

    moved = client_update(user=rep1, client=spread[-1], data={"name": "Enfin située", "lat": 5.0, "lng": -4.0})
    [change] = changes_of(pull_pages(device, v=version, limit=4))
    assert (change["id"], change["version"], change["data"]["name"]) == (str(moved.pk), moved.version, "Enfin située")


def test_a_point_sent_with_a_cursor_is_ignored_the_cursors_counts(spread, rep1):
    device = device_for(rep1)
    first = pull(device, v="2", limit=5, near=f"{NEAR[0]},{NEAR[1]}")

    again = pull(device, v="2", limit=5, cursor=first["cursor"])
    elsewhere = pull(device, v="2", limit=5, cursor=first["cursor"], near="-33.9,18.4")

    assert again == elsewhere
    assert [change["id"] for change in again["changes"]] == [str(client.pk) for client in spread[4:9]]


def test_a_first_sync_without_a_point_keeps_the_order_by_id(spread, rep1):
    changes = changes_of(pull_pages(device_for(rep1), limit=4))
    ids = [change["id"] for change in changes if change["type"] == "client"]
    assert ids == sorted(str(client.pk) for client in spread)


def test_a_cursor_of_before_version_2_goes_on_where_it_stopped(spread, rep1):
    """A phone in the middle of a first sync when the server was updated holds a cursor of four fields."""
    device = device_for(rep1)
    first = pull(device, limit=5)
    assert len(json.loads(base64.urlsafe_b64decode(first["cursor"] + "=" * (-len(first["cursor"]) % 4)))) == 4

    device.cursor = first["cursor"]
    rest = changes_of(pull_pages(device, v="2", limit=5, near="1,1"))

    ids = [change["id"] for change in [*first["changes"], *rest] if change["type"] == "client"]
    assert ids == sorted(str(client.pk) for client in spread)


# The snapshot's counts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "2"])
def test_every_page_of_a_first_sync_says_how_many_records_of_each_type_it_brings(field, rep1, version):
    device = device_for(rep1)
    pages = pull_pages(device, v=version, limit=4)
    expected = {
        "client_list": 1,
        "kpi_folder": 2,
        "workflow": 1,
        "product": 3,
        "client": 3,  # not the archived one: the feed holds it as deleted
        "kpi_card": 3,
        "visit": 2,
        "note": 1,
    }

    assert len(pages) == 4
    assert [page["snapshot"] for page in pages] == [expected] * 4
    received: dict[str, int] = {}
    for change in changes_of(pages):
        received[change["type"]] = received.get(change["type"], 0) + 1
    assert received == expected

    # Read afresh: the module's field is restored in the database for each test, not in its Python objects.
    client_update(user=rep1, client=Client.objects.get(pk=field.clients[0].pk), data={"name": "Renommée"})
    [later] = pull_pages(device, v=version)
    assert "snapshot" not in later
    assert [change["data"]["name"] for change in later["changes"]] == ["Renommée"]


def test_the_page_where_the_snapshot_ends_and_the_changes_begin_still_has_the_counts(field, rep1):
    device = device_for(rep1)
    first = pull(device, v="2", limit=10)
    # Read afresh: the module's field is restored in the database for each test, not in its Python objects.
    client_update(user=rep1, client=Client.objects.get(pk=field.clients[0].pk), data={"name": "Renommée"})

    last = pull(device, v="2", limit=50, cursor=first["cursor"])

    assert last["more"] is False
    assert last["snapshot"]["client"] == 2  # the renamed client left the snapshot: it comes with the changes
    assert last["changes"][-1]["data"]["name"] == "Renommée"


def test_a_rep_with_nothing_yet_gets_an_empty_snapshot(rep1):
    assert pull(device_for(rep1), v="2") == {"cursor": None, "more": False, "snapshot": {}, "changes": []}


# KPI folders ------------------------------------------------------------------------------------------------------


def folder_form(folder: KpiFolder, **changes: Any) -> dict[str, Any]:
    """The admin's change form of a folder and its KPIs as they are, with `changes` to the first KPI."""
    definitions = list(folder.definitions.order_by("order", "id"))
    form: dict[str, Any] = {
        "name_en": folder.name_en,
        "name_fr": folder.name_fr,
        "definitions-TOTAL_FORMS": str(len(definitions)),
        "definitions-INITIAL_FORMS": str(len(definitions)),
    }
    for index, definition in enumerate(definitions):
        row = {
            "id": definition.pk,
            "folder": folder.pk,
            "order": definition.order,
            "key": definition.key,
            "label_en": definition.label_en,
            "label_fr": definition.label_fr,
            "metric": definition.metric if definition.metric != "no_such_metric" else "visits_count",
            "params": json.dumps(definition.params),
            "display": definition.display,
            **(changes if index == 0 else {}),
        }
        if definition.active:
            row["active"] = "on"
        form.update({f"definitions-{index}-{name}": value for name, value in row.items()})
    return form


def test_every_rep_gets_the_kpi_folders_and_a_new_rep_too(field, rep1, rep2):
    folders = {("kpi_folder", str(field.sales.pk)), ("kpi_folder", str(field.empty.pk))}
    for rep in (rep1, rep2):
        assert folders <= set(by_key(changes_of(pull_pages(device_for(rep)))))

    newcomer = RepFactory(username="moussa")  # joining the reps' group refreshes the rep's feed

    assert {key for key in by_key(changes_of(pull_pages(device_for(newcomer)))) if key[0] == "kpi_folder"} == folders


def test_a_folder_changed_in_the_admin_reaches_every_rep_with_a_higher_version(field, rep1, rep2, manager_client):
    devices = [device_for(rep1), device_for(rep2)]
    for device in devices:
        pull_pages(device)
    folder = KpiFolder.objects.get(pk=field.sales.pk)
    form = folder_form(folder, label_fr="Dernière commande")
    form["name_fr"] = "Ventes du mois"

    response = manager_client.post(f"/admin/kpis/kpifolder/{folder.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    for device in devices:
        folder_changes = [change for change in changes_of(pull_pages(device)) if change["type"] == "kpi_folder"]
        assert [(change["id"], change["version"]) for change in folder_changes] == [
            (str(folder.pk), folder.version + 1)
        ]
        assert folder_changes[0]["data"]["name_fr"] == "Ventes du mois"
        assert folder_changes[0]["data"]["kpis"][0]["label_fr"] == "Dernière commande"


def test_a_folder_deleted_in_the_admin_leaves_every_reps_device(field, rep1, rep2, manager_client):
    devices = [device_for(rep1), device_for(rep2)]
    for device in devices:
        pull_pages(device)

    response = manager_client.post(f"/admin/kpis/kpifolder/{field.empty.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    for device in devices:
        assert [(change["type"], change["id"], change.get("deleted")) for change in changes_of(pull_pages(device))] == [
            ("kpi_folder", str(field.empty.pk), True)
        ]


def test_the_migration_puts_the_folders_in_the_feeds_of_reps_who_synced_before(field, rep1, rep2):
    """Reps whose phones synced before `kpi_folder` existed: their feeds held no folder."""
    devices = [device_for(rep1), device_for(rep2)]
    SyncEntry.objects.filter(kind=15).delete()
    for device in devices:
        assert not [change for change in changes_of(pull_pages(device)) if change["type"] == "kpi_folder"]
    retired = RepFactory(username="parti")
    retired.is_active = False
    retired.save()
    SyncEntry.objects.filter(kind=15).delete()

    migration = importlib.import_module("kpis.migrations.0006_kpi_folders_in_feeds")
    migration.forward(django_apps, None)

    for device in devices:
        assert {(change["type"], change["id"]) for change in changes_of(pull_pages(device))} == {
            ("kpi_folder", str(field.sales.pk)),
            ("kpi_folder", str(field.empty.pk)),
        }
    assert not SyncEntry.objects.filter(rep=retired, kind=15).exists()


# The rep's language -----------------------------------------------------------------------------------------------


def patch_language(device: Device, language: Any, **headers: Any) -> Any:
    return device.http.patch("/api/me", json.dumps({"language": language}), content_type="application/json", **headers)


def test_choosing_a_language_sends_every_kpi_card_again_in_that_language_only(field, rep1):
    device = device_for(rep1)
    pull_pages(device)
    cards = {str(client.pk) for client in field.clients}

    response = patch_language(device, "fr")

    assert (response.status_code, response.json()["language"]) == (200, "fr")
    again = changes_of(pull_pages(device, limit=2))
    assert {change["id"] for change in again} == cards
    assert {change["type"] for change in again} == {"kpi_card"}
    for change in again:
        client = Client.objects.get(pk=change["id"])
        assert change["data"] == {"texts": {"fr": card_texts(client, "fr")}}
    # The same language again changes nothing.
    assert patch_language(device, "fr").status_code == 200
    assert changes_of(pull_pages(device)) == []

    assert patch_language(device, "en").json()["language"] == "en"
    english = changes_of(pull_pages(device))
    assert {change["id"] for change in english} == cards
    assert all(set(change["data"]["texts"]) == {"en"} for change in english)


def test_a_reps_language_is_the_reps_own(field, rep1, rep2):
    patch_language(device_for(rep1), "fr")
    other = device_for(rep2)
    [card] = [change for change in changes_of(pull_pages(other)) if change["type"] == "kpi_card"]
    assert set(card["data"]["texts"]) == {"en", "fr"}


@pytest.mark.parametrize("language", ["de", "", None, 1, ["fr"], "FR"])
def test_a_language_the_app_does_not_speak_is_refused_in_french_and_sends_nothing(field, rep1, language):
    device = device_for(rep1)
    pull_pages(device)

    response = patch_language(device, language, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    with translation.override("fr"):
        assert response.json()["errors"] == {"language": [str(NOT_A_LANGUAGE)]}
    assert response.json()["detail"].startswith("Choisissez")
    assert device.http.get("/api/me").json()["language"] is None
    assert changes_of(pull_pages(device)) == []


# What a page costs ------------------------------------------------------------------------------------------------


@pytest.fixture
def crowd(rep1, pos_list_editable, visit_workflow, kpi_folders):  # type: ignore[no-untyped-def]
    """rep1 with 50 clients at different distances, each with a visit (an order of two lines), a note and a card:
    enough for pages with several records of each type (a query per record shows from two), each card costing a
    dozen queries to compute."""
    workflow, order = visit_workflow["workflow"], visit_workflow["order"]
    clients = Client.objects.bulk_create(
        Client(
            client_list=pos_list_editable,
            name=f"Boutique {i:03d}",
            attributes={"quartier": "Cocody"},
            lat=None if i % 10 == 0 else 5.0 + (i * 37 % 150) * 0.001,
            lng=None if i % 10 == 0 else -4.0,
        )
        for i in range(50)
    )
    Assignment.objects.bulk_create(Assignment(client=client, rep=rep1) for client in clients)
    now = timezone.now()
    visits = Visit.objects.bulk_create(
        Visit(rep=rep1, client=client, workflow=workflow, checked_in_at=now) for client in clients
    )
    ActivitySubmission.objects.bulk_create(
        ActivitySubmission(visit=visit, client=visit.client, activity=order, submitted_at=now) for visit in visits
    )
    Note.objects.bulk_create(Note(client=client, author=rep1, text="RAS", created_at=now) for client in clients)
    kpi_cards_refresh(client_ids=[client.pk for client in clients])
    refresh_reps([rep1.pk])
    return clients


def test_the_queries_of_a_first_v2_page_near_the_phone_do_not_grow_with_its_size(crowd, rep1):
    device = device_for(rep1)
    with CaptureQueriesContext(connection) as small:
        page10 = pull(device, v="2", limit=10, near="5,-4")
    with CaptureQueriesContext(connection) as large:
        page40 = pull(device, v="2", limit=40, near="5,-4")

    kinds = {"client_list", "kpi_folder", "workflow", "product", "client"}
    assert {change["type"] for change in page10["changes"]} == {change["type"] for change in page40["changes"]} == kinds
    assert [change["type"] for change in page40["changes"]].count("client") == 33
    # 1 the session, 2 the user,
    # 3 the feed entries of the types up to the clients, 4 the clients' positions, 5 the snapshot's counts by type,
    # 6 the rep's rights on the lists of the page, 7 those lists, 8 their attributes,
    # 9 the KPI folders, 10 their KPIs, 11 the workflows, 12 their activities, 13 their client lists,
    # 14 the products, 15 the clients.
    assert len(small.captured_queries) == len(large.captured_queries) == 15, [
        query["sql"] for query in large.captured_queries
    ]


def test_the_queries_of_a_v2_page_past_the_clients_do_not_grow_with_its_size(crowd, rep1):
    device = device_for(rep1)
    # Up to 5 clients short of the end of the clients: 1 list, 2 folders, 1 workflow, 3 products, 45 clients.
    cursor = pull(device, v="2", limit=52, near="5,-4")["cursor"]
    with CaptureQueriesContext(connection) as small:
        page10 = pull(device, v="2", limit=10, cursor=cursor)
    with CaptureQueriesContext(connection) as large:
        page100 = pull(device, v="2", limit=100, cursor=cursor)

    assert [change["type"] for change in page10["changes"]] == ["client"] * 5 + ["kpi_card"] * 5
    # The last 5 clients, the 50 cards and 45 visits.
    assert [change["type"] for change in page100["changes"]] == ["client"] * 5 + ["kpi_card"] * 50 + ["visit"] * 45
    # 1 the session, 2 the user,
    # 3 the clients' feed entries left, 4 the clients' positions, 5 the feed entries after the clients,
    # 6 the snapshot's counts by type, 7 the clients, 8 the rep's language, 9 the cards.
    # With visits on the page: 10 the visits (with their reps), 11 their submissions (with their activities).
    assert len(small.captured_queries) == 9, [query["sql"] for query in small.captured_queries]
    assert len(large.captured_queries) == 11, [query["sql"] for query in large.captured_queries]


def test_a_pull_after_one_changed_client_is_small_headers_included(field, rep1, pos_list_editable):
    """What a rep pays at each sync of a quiet day: one client changed since the last pull."""
    device = device_for(rep1)
    pull_pages(device)
    client = Client.objects.filter(assignments__rep=rep1).first()
    client_update(user=client.created_by, client=client, data={"name": "Boutique Renommée"})
    response = device.http.get(
        "/api/sync/pull", {"v": "2", "cursor": device.cursor}, HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd"
    )
    assert response.status_code == 200
    headers = "".join(f"{name}: {value}\r\n" for name, value in response.items())
    # django-csp writes the directives in no fixed order; a browser reads them in any.
    directives = {directive.strip() for directive in response["Content-Security-Policy"].split(";")}
    assert directives == {"default-src 'none'", "frame-ancestors 'none'"}
    # The goal is 2 KB on the wire, the request's headers and the connection's framing included: this answer's
    # headers and body take well under half of it.
    assert len(headers) + len(response.content) < 1000, (len(headers), len(response.content))
