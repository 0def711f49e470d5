"""The pull half of the sync contract: a first pull yields the rep's whole state, later pulls only what changed,
`deleted` whenever a record leaves the rep's view, and a page costs the same number of queries whatever its size."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Assignment, Client, ClientList, ListAccess
from clients.services import (
    client_archive,
    client_assign,
    client_list_access_changed,
    client_list_schema_changed,
    client_restore,
    client_update,
    clients_purge,
)
from fieldsales.geo import Position
from fieldsales.sync.feed import publish, refresh_reps
from tests.factories import (
    ABIDJAN,
    ActivityFactory,
    AttributeFactory,
    ProductFactory,
    WorkflowFactory,
    make_client,
    make_pos_list,
)
from tests.sync.conftest import Device, device_for, made_by, op
from workflows.models import ActivitySubmission, Note, OrderLine, Visit
from workflows.services import activity_submit, note_create, product_changed, visit_check_in, workflow_changed

# What `data` of each type carries at least (sync-protocol.md, "Pull").
CLIENT_LIST_FIELDS = {"name", "attributes", "access"}
LIST_ATTRIBUTE_FIELDS = {"key", "label", "type", "required", "important", "options"}
WORKFLOW_FIELDS = {"name", "activities"}
ACTIVITY_FIELDS = {"id", "name", "kind", "requires_visit", "requires_geo_checkin", "radius_m", "fields"}
CLIENT_FIELDS = {
    "list",
    "name",
    "lat",
    "lng",
    "accuracy_m",
    "phone",
    "photo",
    "attributes",
    "statement_enabled",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
}
HERE = Position(ABIDJAN[0], ABIDJAN[1], 5.0)


@dataclass
class World:
    """What rep1 (awa) should hold, and what is around it that rep1 must not get."""

    mine: list[Client]
    shared: Client
    others: Client
    archived: Client
    moved_away: Client
    hidden_list_client: Client
    unassigned: Client
    workflow: Any
    products: list[Any]
    recent_visit: Visit
    shared_visit: Visit
    old_visit: Visit
    others_visit: Visit
    archived_visit: Visit
    recent_note: Note
    old_note: Note
    others_note: Note

    def expected(self) -> set[tuple[str, str]]:
        """rep1's complete current state, as (type, id), written out rather than asked of the selectors."""
        return {
            ("client_list", str(self.mine[0].client_list_id)),
            ("workflow", str(self.workflow.pk)),
            *{("product", str(product.pk)) for product in self.products},
            *{("client", str(client.pk)) for client in [*self.mine, self.shared]},
            ("visit", str(self.recent_visit.pk)),
            ("visit", str(self.shared_visit.pk)),
            ("note", str(self.recent_note.pk)),
        }


def check_in(rep: Any, client: Client, workflow: Any, *, days_ago: float = 0) -> Visit:
    return visit_check_in(
        rep=rep,
        visit_id=uuid.uuid4(),
        client=client,
        workflow=workflow,
        position=HERE,
        at=timezone.now() - dt.timedelta(days=days_ago),
    )


def write_note(author: Any, client: Client, *, days_ago: float = 0, visit: Visit | None = None) -> Note:
    return note_create(
        author=author,
        note_id=uuid.uuid4(),
        client=client,
        visit=visit,
        text="Le gérant demande une promotion.",
        at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def world(rep1, rep2, pos_list_editable, visit_workflow, database_images) -> World:  # type: ignore[no-untyped-def]
    """The same world for every test of the module: built by the first, copied back for the others (see
    `DatabaseImages`)."""
    return database_images.made(
        "world",
        lambda: build_world(rep1, rep2, pos_list_editable, visit_workflow),
        *(rep1, rep2, pos_list_editable),
        *made_by(visit_workflow),
    )


def publish_the_catalogue(visit_workflow: dict[str, Any]) -> None:
    """The back office saves workflows and products through these (the admin does): they reach every rep. An
    inactive workflow and product, which do not."""
    workflow_changed(workflow=visit_workflow["workflow"])
    for product in visit_workflow["products"]:
        product_changed(product=product)
    inactive_workflow = WorkflowFactory(active=False)
    ActivityFactory(workflow=inactive_workflow)
    workflow_changed(workflow=inactive_workflow)
    product_changed(product=ProductFactory(active=False))


def build_world(rep1: Any, rep2: Any, pos_list_editable: ClientList, visit_workflow: dict[str, Any]) -> World:
    workflow = visit_workflow["workflow"]
    products = visit_workflow["products"]
    publish_the_catalogue(visit_workflow)

    mine = [make_client(pos_list_editable, user=rep1, reps=(rep1,), name=f"Boutique {i:02d}") for i in range(12)]
    shared = make_client(pos_list_editable, reps=(rep1, rep2), name="Boutique partagée")
    others = make_client(pos_list_editable, reps=(rep2,), name="Chez Koffi")
    archived = make_client(pos_list_editable, reps=(rep1,), name="Boutique fermée")
    moved_away = make_client(pos_list_editable, reps=(rep1,), name="Boutique reprise par Koffi")
    hidden_list_client = make_client(make_pos_list("Grossistes"), reps=(rep1,), name="Grossiste")
    unassigned = make_client(pos_list_editable, name="Sans commercial")

    recent_visit = check_in(rep1, mine[0], workflow, days_ago=1)
    activity_submit(
        rep=rep1,
        submission_id=uuid.uuid4(),
        visit=recent_visit,
        activity=visit_workflow["order"],
        values={},
        lines=[{"product": str(products[0].pk), "quantity": "2"}],
    )
    shared_visit = check_in(rep2, shared, workflow, days_ago=3)
    old_visit = check_in(rep1, mine[0], workflow, days_ago=100)
    others_visit = check_in(rep2, others, workflow)
    archived_visit = check_in(rep1, archived, workflow)
    recent_note = write_note(rep1, mine[0], days_ago=2, visit=recent_visit)
    old_note = write_note(rep1, mine[0], days_ago=120)
    others_note = write_note(rep2, others)

    # Records that left rep1's view after they were in it: rep1's feed holds `deleted` entries for them.
    client_archive(user=None, client=archived)
    client_assign(client=moved_away, reps=[rep2])
    # The back office edits the schema last, so the list's entry is newer than every client's.
    AttributeFactory(
        client_list=pos_list_editable, key="horaires", label_en="Opening hours", label_fr="Horaires", order=9
    )
    client_list_schema_changed(client_list=pos_list_editable)
    return World(
        mine=mine,
        shared=shared,
        others=others,
        archived=archived,
        moved_away=moved_away,
        hidden_list_client=hidden_list_client,
        unassigned=unassigned,
        workflow=workflow,
        products=products,
        recent_visit=Visit.objects.get(pk=recent_visit.pk),
        shared_visit=shared_visit,
        old_visit=old_visit,
        others_visit=others_visit,
        archived_visit=archived_visit,
        recent_note=recent_note,
        old_note=old_note,
        others_note=others_note,
    )


def keys(changes: list[dict[str, Any]], *, deleted: bool | None = None) -> set[tuple[str, str]]:
    return {
        (change["type"], change["id"])
        for change in changes
        if deleted is None or bool(change.get("deleted")) == deleted
    }


def pull_all(device: Device, limit: int) -> list[dict[str, Any]]:
    """Follow the cursor page by page; return every page."""
    pages = []
    while True:
        page = device.pull_page(device.cursor, limit)
        assert len(page["changes"]) <= limit
        pages.append(page)
        for change in page["changes"]:
            key = (change["type"], change["id"])
            if change.get("deleted"):
                device.store.pop(key, None)
            else:
                device.store[key] = change
        device.cursor = page["cursor"] or device.cursor
        if not page["more"]:
            return pages


# A first pull ----------------------------------------------------------------------------------


def test_a_first_pull_in_small_pages_yields_exactly_the_reps_current_state(world, rep1):
    device = device_for(rep1)
    pages = pull_all(device, limit=7)
    changes = [change for page in pages for change in page["changes"]]

    assert len(pages) >= 3
    assert keys(changes, deleted=True) == set()
    assert keys(changes) == world.expected()
    assert set(device.store) == world.expected()
    assert len(changes) == len(world.expected()), "a first pull sends each record once"
    for change in changes:
        assert isinstance(change["version"], int)


def test_a_first_pull_sends_lists_before_the_clients_that_belong_to_them(world, rep1):
    changes = [change for page in pull_all(device_for(rep1), limit=7) for change in page["changes"]]
    types = [change["type"] for change in changes]

    assert types.index("client_list") < types.index("client")
    assert max(i for i, kind in enumerate(types) if kind == "client") < min(
        i for i, kind in enumerate(types) if kind in ("visit", "note")
    )


def test_every_record_of_a_first_pull_carries_the_contracts_fields(world, rep1, pos_list_editable):
    device = device_for(rep1)
    device.sync(limit=7)

    client_list = device.store[("client_list", str(pos_list_editable.pk))]
    assert client_list["version"] == ClientList.objects.get(pk=pos_list_editable.pk).version == 2
    assert set(client_list["data"]) >= CLIENT_LIST_FIELDS
    assert client_list["data"]["name"] == pos_list_editable.name
    assert client_list["data"]["access"] == {"create": True, "edit": True, "archive": False}
    assert [attribute["key"] for attribute in client_list["data"]["attributes"]] == [
        "quartier",
        "categorie",
        "surface_m2",
        "ca_mensuel",
        "ouverture",
        "frigo",
        "services",
        "gerant_email",
        "horaires",
    ]
    for attribute in client_list["data"]["attributes"]:
        assert set(attribute) >= LIST_ATTRIBUTE_FIELDS
    quartier = client_list["data"]["attributes"][0]
    assert (quartier["label"], quartier["type"], quartier["required"], quartier["important"]) == (
        "District",
        "text",
        True,
        True,
    )
    assert client_list["data"]["attributes"][1]["options"] == ["Épicerie", "Boutique", "Supermarché"]

    workflow = device.store[("workflow", str(world.workflow.pk))]
    assert set(workflow["data"]) >= WORKFLOW_FIELDS
    assert workflow["data"]["name"] == "Sales visit"
    activities = workflow["data"]["activities"]
    assert [activity["name"] for activity in activities] == ["Shelf check", "Order taking"]
    for activity in activities:
        assert set(activity) >= ACTIVITY_FIELDS
    assert (activities[0]["kind"], activities[0]["requires_geo_checkin"], activities[0]["radius_m"]) == (
        "form",
        True,
        100,
    )
    assert activities[0]["fields"][0]["key"] == "part_rayon"

    for client in [*world.mine, world.shared]:
        client.refresh_from_db()
        record = device.store[("client", str(client.pk))]
        assert set(record["data"]) >= CLIENT_FIELDS
        assert record["version"] == client.version
        assert record["data"]["name"] == client.name
        assert record["data"]["list"] == pos_list_editable.pk
        assert (record["data"]["lat"], record["data"]["lng"]) == ABIDJAN
        assert record["data"]["attributes"] == {"quartier": "Cocody", "categorie": "Boutique"}
    assert device.store[("client", str(world.mine[0].pk))]["data"]["created_by"] == rep1.get_username()

    visit = device.store[("visit", str(world.recent_visit.pk))]
    assert visit["version"] == world.recent_visit.version == 2
    assert visit["data"]["client"] == str(world.mine[0].pk)
    [submission] = visit["data"]["submissions"]
    assert [(line["product"], Decimal(line["quantity"])) for line in submission["lines"]] == [
        (world.products[0].pk, Decimal("2"))
    ]
    note = device.store[("note", str(world.recent_note.pk))]
    assert (note["data"]["client"], note["data"]["text"]) == (str(world.mine[0].pk), world.recent_note.text)


def test_the_access_of_a_list_is_the_pulling_reps_own(world, rep1, rep2, pos_list_editable):
    supervisors = Group.objects.create(name="Chefs de secteur")
    ListAccess.objects.create(client_list=pos_list_editable, group=supervisors, can_create=True, can_archive=True)
    rep2.groups.add(supervisors)

    first, second = device_for(rep1), device_for(rep2)
    first.sync(limit=7)
    second.sync(limit=7)

    assert first.store[("client_list", str(pos_list_editable.pk))]["data"]["access"] == {
        "create": True,
        "edit": True,
        "archive": False,
    }
    assert second.store[("client_list", str(pos_list_editable.pk))]["data"]["access"] == {
        "create": True,
        "edit": True,
        "archive": True,
    }


def test_a_first_pull_of_a_new_device_sends_no_deleted_entries(world, rep1, rep2, pos_list_editable):
    for client in world.mine[6:]:
        client_archive(user=None, client=client)
    for client in world.mine[3:6]:
        client_assign(client=client, reps=[rep2])
    client_update(user=None, client=world.mine[0], data={"name": "Boutique renommée"})

    changes = [change for page in pull_all(device_for(rep1), limit=3) for change in page["changes"]]

    assert [change for change in changes if change.get("deleted")] == []
    assert keys(changes, deleted=False) == world.expected() - {("client", str(client.pk)) for client in world.mine[3:]}


# Later pulls -----------------------------------------------------------------------------------


def test_a_later_pull_returns_only_what_changed_since_and_nothing_when_nothing_did(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)
    cursor = device.cursor

    assert device.sync() == []
    assert device.cursor == cursor

    renamed = client_update(user=rep1, client=world.mine[4], data={"name": "Boutique renommée"})
    changes = device.sync(limit=7)

    assert [(change["type"], change["id"], change["version"]) for change in changes] == [
        ("client", str(renamed.pk), renamed.version)
    ]
    assert changes[0]["data"]["name"] == "Boutique renommée"
    assert device.sync() == []


def test_pulling_twice_with_the_same_cursor_is_safe_and_returns_the_same_or_newer_data(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)
    cursor = device.cursor
    client_update(user=rep1, client=world.mine[1], data={"name": "Première"})
    client_update(user=rep1, client=world.mine[2], data={"name": "Deuxième"})

    first = device.pull_page(cursor, limit=1)
    again = device.pull_page(cursor, limit=1)
    assert first == again
    assert [change["data"]["name"] for change in first["changes"]] == ["Première"]

    client_update(user=rep1, client=world.mine[1], data={"name": "Première, encore"})
    newer = device.pull_page(cursor, limit=1)
    # The first change moved behind the second: the same cursor now starts with the second, then the newer first.
    assert [change["data"]["name"] for change in newer["changes"]] == ["Deuxième"]
    rest = device.pull_page(newer["cursor"], limit=10)
    assert [change["data"]["name"] for change in rest["changes"]] == ["Première, encore"]
    assert rest["more"] is False


# Records leaving the rep's view, and coming back -----------------------------------------------


def family(world: World) -> set[tuple[str, str]]:
    """mine[0] with what hangs on it in rep1's view: its recent visit and note."""
    return {
        ("client", str(world.mine[0].pk)),
        ("visit", str(world.recent_visit.pk)),
        ("note", str(world.recent_note.pk)),
    }


def test_an_archived_client_leaves_with_its_visits_and_notes_and_comes_back_when_restored(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)

    client_archive(user=None, client=world.mine[0])
    changes = device.sync(limit=7)
    assert keys(changes, deleted=True) == family(world)
    assert keys(changes, deleted=False) == set()
    assert set(device.store) == world.expected() - family(world)

    client_restore(user=None, client=Client.objects.get(pk=world.mine[0].pk))
    changes = device.sync(limit=7)
    assert keys(changes, deleted=False) == family(world)
    assert keys(changes, deleted=True) == set()
    assert set(device.store) == world.expected()


def test_an_unassigned_client_leaves_and_comes_back_when_reassigned(world, rep1, rep2):
    device, other = device_for(rep1), device_for(rep2)
    device.sync(limit=7)
    other.sync(limit=7)

    client_assign(client=world.mine[0], reps=[rep2])
    assert keys(device.sync(), deleted=True) == family(world)
    assert keys(other.sync(), deleted=False) == family(world)

    client_assign(client=Client.objects.get(pk=world.mine[0].pk), reps=[rep1])
    assert keys(device.sync(), deleted=False) == family(world)
    assert keys(other.sync(), deleted=True) == family(world)
    assert set(device.store) == world.expected()


def test_a_purged_client_leaves_with_its_visits_and_notes(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)
    client = world.mine[0]

    client_archive(user=None, client=client)
    clients_purge(user=None, clients=Client.objects.filter(pk=client.pk))
    changes = device.sync(limit=7)

    assert not Visit.objects.filter(pk=world.recent_visit.pk).exists()
    assert keys(changes, deleted=True) == family(world)
    assert keys(changes, deleted=False) == set()
    assert set(device.store) == world.expected() - family(world)
    assert keys([change for page in pull_all(device_for(rep1), 7) for change in page["changes"]]) == set(device.store)


def test_a_client_purged_before_the_device_pulled_again_is_sent_as_deleted(world, rep1):
    """Archived and purged between two pulls: the device still learns that it left."""
    device = device_for(rep1)
    device.sync(limit=7)
    client_archive(user=None, client=world.shared)
    device.sync()
    client_archive(user=None, client=world.mine[0])
    clients_purge(user=None, clients=Client.objects.filter(pk__in=[world.mine[0].pk, world.shared.pk]))

    changes = device.sync()
    assert keys(changes, deleted=True) == family(world)


def lost_access(world: World) -> set[tuple[str, str]]:
    """What rep1 sees through the list's access: the list, its clients and what hangs on them."""
    return {key for key in world.expected() if key[0] in ("client_list", "client", "visit", "note")}


def test_removing_a_lists_access_removes_the_list_and_its_clients_until_access_is_given_back(
    world, rep1, pos_list_editable
):
    device = device_for(rep1)
    device.sync(limit=7)

    ListAccess.objects.filter(client_list=pos_list_editable).delete()
    client_list_access_changed(client_list=pos_list_editable)
    changes = device.sync(limit=7)
    assert keys(changes, deleted=True) == lost_access(world)
    assert keys(changes, deleted=False) == set()

    ListAccess.objects.create(client_list=pos_list_editable, group=Group.objects.get(name="Reps"), can_create=True)
    client_list_access_changed(client_list=pos_list_editable)
    changes = device.sync(limit=7)
    assert keys(changes, deleted=False) == lost_access(world)
    assert set(device.store) == world.expected()
    assert device.store[("client_list", str(pos_list_editable.pk))]["data"]["access"] == {
        "create": True,
        "edit": False,
        "archive": False,
    }


def test_new_rights_on_a_list_reach_the_device(world, rep1, pos_list_editable):
    device = device_for(rep1)
    device.sync(limit=7)

    ListAccess.objects.filter(client_list=pos_list_editable).update(can_archive=True)
    client_list_access_changed(client_list=pos_list_editable)
    changes = device.sync()

    assert [(change["type"], change["data"]["access"]) for change in changes] == [
        ("client_list", {"create": True, "edit": True, "archive": True})
    ]


def test_joining_a_group_with_more_rights_on_a_list_the_rep_already_sees_reaches_the_device(
    world, rep1, pos_list_editable
):
    device = device_for(rep1)
    device.sync(limit=7)
    supervisors = Group.objects.create(name="Chefs de secteur")
    ListAccess.objects.create(client_list=pos_list_editable, group=supervisors, can_archive=True)

    rep1.groups.add(supervisors)
    changes = device.sync()

    assert [(change["type"], change["data"]["access"]) for change in changes] == [
        ("client_list", {"create": True, "edit": True, "archive": True})
    ]


def _user_remove(user: Any, group: Group) -> None:
    user.groups.remove(group)


def _group_remove(user: Any, group: Group) -> None:
    group.user_set.remove(user)


def _user_clear(user: Any, group: Group) -> None:
    user.groups.clear()


def _group_clear(user: Any, group: Group) -> None:
    group.user_set.clear()


@pytest.mark.parametrize("leave", [_user_remove, _group_remove, _user_clear, _group_clear])
def test_leaving_the_reps_group_empties_the_device_and_rejoining_fills_it_again(world, rep1, rep2, leave):
    device, other = device_for(rep1), device_for(rep2)
    device.sync(limit=7)
    other.sync(limit=7)
    reps = Group.objects.get(name="Reps")

    leave(rep1, reps)
    changes = device.sync(limit=7)
    assert keys(changes, deleted=True) == world.expected()
    assert device.store == {}
    if leave is _group_clear:
        # Clearing the group removes every member: rep2's device empties too.
        other.sync(limit=7)
        assert other.store == {}
    else:
        assert other.sync() == []

    rep1.groups.add(reps)
    changes = device.sync(limit=7)
    assert keys(changes, deleted=False) == world.expected()
    assert set(device.store) == world.expected()


def test_leaving_the_group_that_holds_a_lists_access_removes_only_that_list(world, rep1, pos_list_editable):
    grossistes = ClientList.objects.get(name="Grossistes")
    wholesale = Group.objects.create(name="Grossistes")
    ListAccess.objects.create(client_list=grossistes, group=wholesale, can_edit=True)
    rep1.groups.add(wholesale)
    device = device_for(rep1)
    device.sync(limit=7)
    assert ("client", str(world.hidden_list_client.pk)) in device.store

    wholesale.user_set.remove(rep1)
    changes = device.sync()

    assert keys(changes, deleted=True) == {
        ("client_list", str(grossistes.pk)),
        ("client", str(world.hidden_list_client.pk)),
    }
    assert set(device.store) == world.expected()


# Changes made by others ------------------------------------------------------------------------


def test_another_reps_change_to_a_shared_client_reaches_both(world, rep1, rep2):
    first, second = device_for(rep1), device_for(rep2)
    first.sync(limit=7)
    second.sync(limit=7)
    shared = first.store[("client", str(world.shared.pk))]

    [result] = second.push(
        op(
            "client.update",
            str(world.shared.pk),
            {"name": "Boutique partagée (Koffi)", "attributes": {"quartier": "Plateau"}},
            base_version=shared["version"],
        )
    )
    assert result["status"] == "applied"

    for device in (first, second):
        [change] = device.sync()
        assert (change["id"], change["version"]) == (str(world.shared.pk), result["version"])
        assert change["data"]["name"] == "Boutique partagée (Koffi)"
        assert change["data"]["attributes"]["quartier"] == "Plateau"
        assert change["data"]["updated_by"] == "koffi"


def test_a_back_office_schema_change_sends_the_list_again(world, rep1, rep2, pos_list_editable):
    first, second = device_for(rep1), device_for(rep2)
    first.sync(limit=7)
    second.sync(limit=7)

    AttributeFactory(client_list=pos_list_editable, key="contact", label_en="Contact", label_fr="Contact", order=10)
    client_list_schema_changed(client_list=pos_list_editable)

    for device in (first, second):
        [change] = device.sync()
        assert (change["type"], change["id"], change["version"]) == ("client_list", str(pos_list_editable.pk), 3)
        assert change["data"]["attributes"][-1]["key"] == "contact"


def test_a_new_product_and_a_deactivated_workflow_reach_the_device(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)
    product = ProductFactory(name="Savon")
    product_changed(product=product)
    world.workflow.active = False
    world.workflow.save()
    workflow_changed(workflow=world.workflow)

    changes = device.sync()

    assert keys(changes, deleted=False) == {("product", str(product.pk))}
    assert keys(changes, deleted=True) == {("workflow", str(world.workflow.pk))}


# The request ----------------------------------------------------------------------------------


def encoded(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        encoded({"stamp": 3}),
        encoded([99, 1, 2, "x"]),
        encoded([1, "1", 2, "x"]),
        encoded([1, 1, 2]),
        encoded(None),
    ],
)
def test_an_invalid_cursor_is_refused(rep1, cursor):
    response = device_for(rep1).http.get("/api/sync/pull", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "2001", "abc", "-1", "1.5"])
def test_a_limit_outside_1_to_2000_is_refused(rep1, limit):
    response = device_for(rep1).http.get("/api/sync/pull", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_limit"


def test_a_pull_needs_a_signed_in_user(db):
    from django.test import Client as HttpClient

    assert HttpClient().get("/api/sync/pull").status_code in (401, 403)


def test_a_page_holds_500_changes_by_default_and_2000_at_most(rep1, pos_list_editable):
    clients = Client.objects.bulk_create(
        Client(client_list=pos_list_editable, name=f"Boutique {i:04d}", attributes={}) for i in range(2010)
    )
    Assignment.objects.bulk_create(Assignment(client=client, rep=rep1) for client in clients)
    refresh_reps([rep1.pk])  # what `sync_rebuild` does after data was written past the services
    device = device_for(rep1)

    default = device.pull_page()
    assert (len(default["changes"]), default["more"]) == (500, True)
    largest = device.pull_page(limit=2000)
    assert (len(largest["changes"]), largest["more"]) == (2000, True)
    rest = device.pull_page(largest["cursor"], limit=2000)
    assert (len(rest["changes"]), rest["more"]) == (11, False)
    assert keys(largest["changes"] + rest["changes"]) == {("client_list", str(pos_list_editable.pk))} | {
        ("client", str(client.pk)) for client in clients
    }


# What a page costs ----------------------------------------------------------------------------


@pytest.fixture
def busy_rep(rep1, pos_list_editable, visit_workflow):  # type: ignore[no-untyped-def]
    """rep1 with 40 clients, each with a recent visit (an order of two lines) and a note, already pulled once;
    then every record changed again, interleaved, so that any page holds lists, workflows, products,
    clients, visits and notes. Enough for a page of 10 and one of 40 with several records of each type: a query
    made per record shows as soon as there are two, and every record costs milliseconds to publish and to pull."""
    workflow, order = visit_workflow["workflow"], visit_workflow["order"]
    products = visit_workflow["products"]
    clients = Client.objects.bulk_create(
        Client(
            client_list=pos_list_editable,
            name=f"Boutique {i:03d}",
            attributes={"quartier": "Cocody"},
            lat=5.3,
            lng=-4.0,
        )
        for i in range(40)
    )
    Assignment.objects.bulk_create(Assignment(client=client, rep=rep1) for client in clients)
    now = timezone.now()
    visits = Visit.objects.bulk_create(
        Visit(rep=rep1, client=client, workflow=workflow, checked_in_at=now) for client in clients
    )
    submissions = ActivitySubmission.objects.bulk_create(
        ActivitySubmission(visit=visit, client=visit.client, activity=order, submitted_at=now) for visit in visits
    )
    OrderLine.objects.bulk_create(
        OrderLine(submission=submission, product=product, quantity=1, unit_price=10, value=10)
        for submission in submissions
        for product in products[:2]
    )
    notes = Note.objects.bulk_create(Note(client=client, author=rep1, text="RAS", created_at=now) for client in clients)
    refresh_reps([rep1.pk])
    device = device_for(rep1)
    device.sync(limit=2000)
    publish("client_list", [pos_list_editable.pk])
    publish("workflow", [workflow.pk])
    publish("product", [product.pk for product in products])
    for client, visit, note in zip(clients, visits, notes, strict=True):
        publish("client", [client.pk])
        publish("visit", [visit.pk])
        publish("note", [note.pk])
    return device


def test_the_queries_of_a_pull_page_do_not_grow_with_its_size(busy_rep):
    device = busy_rep
    with CaptureQueriesContext(connection) as small:
        page10 = device.pull_page(device.cursor, limit=10)
    with CaptureQueriesContext(connection) as large:
        page40 = device.pull_page(device.cursor, limit=40)

    types = {"client_list", "workflow", "product", "client", "visit", "note"}
    assert {change["type"] for change in page10["changes"]} == types
    assert {change["type"] for change in page40["changes"]} == types
    assert (len(page10["changes"]), len(page40["changes"])) == (10, 40)
    # 1 the session, 2 the user,
    # 3 the page of feed entries,
    # 4 the rep's rights on the lists of the page, 5 those lists, 6 their attributes,
    # 7 the workflows, 8 their activities, 9 their client lists,
    # 10 the products,
    # 11 the clients (with who created and last changed them),
    # 12 the visits (with their reps), 13 their submissions (with their activities), 14 the submissions' lines,
    # 15 the notes (with their authors).
    assert len(small.captured_queries) == len(large.captured_queries) == 15, [
        query["sql"] for query in large.captured_queries
    ]


def test_the_queries_of_a_first_pull_page_do_not_grow_with_its_size(busy_rep, rep1):
    device = device_for(rep1)
    with CaptureQueriesContext(connection) as small:
        page10 = device.pull_page(limit=10)
    with CaptureQueriesContext(connection) as large:
        page40 = device.pull_page(limit=40)

    assert {change["type"] for change in page10["changes"]} == {"client_list", "workflow", "product", "client"}
    # After the list, the workflow and the 3 products: 5 clients in the small page, 35 in the large one.
    assert len(page40["changes"]) == 40
    assert [change["type"] for change in page40["changes"]].count("client") == 35
    # 1 the session, 2 the user, 3 the page of feed entries, 4 the snapshot's counts by type,
    # 5-7 the rep's rights, the lists and their attributes, 8-10 the workflows, their activities and client lists,
    # 11 the products, 12 the clients.
    assert len(small.captured_queries) == len(large.captured_queries) == 12, [
        query["sql"] for query in large.captured_queries
    ]


def test_a_pull_page_of_only_deletions_reads_no_entity(world, rep1):
    device = device_for(rep1)
    device.sync(limit=7)
    for client in world.mine[1:]:
        client_archive(user=None, client=client)

    with CaptureQueriesContext(connection) as queries:
        page = device.pull_page(device.cursor, limit=5)

    assert all(change.get("deleted") for change in page["changes"])
    # the session, the user, the page of feed entries.
    assert len(queries.captured_queries) == 3


def test_deleting_the_group_that_holds_a_lists_access_removes_the_list_and_its_clients(world, rep1):
    grossistes = ClientList.objects.get(name="Grossistes")
    wholesale = Group.objects.create(name="Grossistes")
    ListAccess.objects.create(client_list=grossistes, group=wholesale)
    rep1.groups.add(wholesale)
    device = device_for(rep1)
    device.sync(limit=7)
    assert ("client", str(world.hidden_list_client.pk)) in device.store

    wholesale.delete()
    changes = device.sync()

    assert keys(changes, deleted=True) == {
        ("client_list", str(grossistes.pk)),
        ("client", str(world.hidden_list_client.pk)),
    }
    assert set(device.store) == world.expected()
