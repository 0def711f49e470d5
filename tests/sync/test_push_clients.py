"""Pushing client ops (client.create, client.update, client.archive): what is stored, what is refused and why,
and field-level conflicts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from clients.models import Client as ClientModel
from clients.models import ClientList, ListAccess
from clients.ops import ALREADY_EXISTS, BASE_VERSION_REQUIRED, NO_ARCHIVE, NO_CREATE, UNKNOWN_LIST
from clients.schema import NOT_INTEGER, NOT_OPTION, REQUIRED, UNKNOWN
from clients.services import NO_EDIT, client_update
from fieldsales.models import SyncOp
from fieldsales.sync.errors import NOT_FOUND_MESSAGE
from tests.factories import ABIDJAN, make_client, make_pos_list
from tests.sync.conftest import THREAD_TIMEOUT, Worker, device_for, new_id, op
from tests.sync.test_blobs import jpeg_bytes
from tests.sync.test_push import client_fields, push_one

CATEGORIES = "Épicerie, Boutique, Supermarché"


@pytest.fixture
def read_only_list(reps_group: Any) -> ClientList:
    """A list the reps see but may not change (an access with no right ticked)."""
    client_list = make_pos_list("Grossistes")
    ListAccess.objects.create(client_list=client_list, group=reps_group)
    return client_list


def stored(client_id: Any) -> dict[str, Any]:
    return ClientModel.objects.values().get(pk=client_id)


def non_field(message: Any) -> dict[str, list[str]]:
    return {"non_field_errors": [str(message)]}


# client.create --------------------------------------------------------------------------------------


def test_a_client_created_offline_is_stored_as_sent_assigned_to_its_creator_and_pulled_back(
    device1, rep1, pos_list_editable
):
    create = op(
        "client.create",
        data=client_fields(
            pos_list_editable,
            name="  Épicerie du Carrefour  ",
            attributes={"quartier": "Yopougon", "categorie": "epicerie", "surface_m2": "1 200", "frigo": "oui"},
        ),
    )

    result = push_one(device1, create)

    assert (result["status"], result["entity_id"], result["version"]) == ("applied", create["entity_id"], 1)
    assert (result["code"], result["errors"], result["conflicts"], result["current"]) == (None, None, None, None)
    client = ClientModel.objects.get(pk=create["entity_id"])
    assert (client.name, client.lat, client.lng, client.accuracy_m, client.phone) == (
        "Épicerie du Carrefour",
        ABIDJAN[0],
        ABIDJAN[1],
        6.0,
        "+2250701020304",  # the phone rule's E.164 (clients/phones.py)
    )
    assert client.attributes == {"quartier": "Yopougon", "categorie": "Épicerie", "surface_m2": 1200, "frigo": True}
    assert (client.created_by, client.updated_by, client.photo, client.version) == (rep1, rep1, None, 1)
    assert list(client.reps.all()) == [rep1]
    device1.sync()
    pulled = device1.store[("client", create["entity_id"])]
    assert (pulled["version"], pulled["data"]["name"], pulled["data"]["attributes"]["categorie"]) == (
        1,
        "Épicerie du Carrefour",
        "Épicerie",
    )


def test_a_create_with_missing_required_attributes_and_bad_values_is_rejected_invalid_per_attribute(
    device1, pos_list_editable
):
    create = op(
        "client.create",
        data=client_fields(
            pos_list_editable, attributes={"categorie": "Kiosque", "surface_m2": "grand", "couleur": "bleu"}
        ),
    )

    result = push_one(device1, create)

    assert (result["status"], result["code"], result["version"]) == ("rejected", "invalid", None)
    assert result["errors"] == {
        "quartier": [str(REQUIRED)],
        "categorie": [str(NOT_OPTION) % {"value": "Kiosque", "options": CATEGORIES}],
        "surface_m2": [str(NOT_INTEGER)],
        "couleur": [str(UNKNOWN)],
    }
    assert ClientModel.objects.count() == 0


def test_a_create_without_a_name_is_rejected_invalid_on_name(device1, pos_list_editable):
    result = push_one(device1, op("client.create", data=client_fields(pos_list_editable, name="   ")))
    assert (result["code"], list(result["errors"])) == ("invalid", ["name"])
    assert ClientModel.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Chez\x00Awa"),
        ("name", 42),
        ("phone", ["07 01"]),
        ("lat", float("nan")),
        ("lat", float("inf")),
        ("lat", []),
        ("lng", [1.0]),
        ("accuracy_m", {"m": 5}),
        ("statement_enabled", "peut-être"),
        ("photo", 12),
        ("quartier", "Co\x00cody"),
        ("quartier", "Cocody \ud83d"),
    ],
)
def test_a_value_no_database_can_store_is_rejected_invalid_on_its_field(device1, pos_list_editable, field, value):
    data = client_fields(pos_list_editable)
    if field == "quartier":
        data["attributes"] = {**data["attributes"], "quartier": value}
    else:
        data[field] = value
    result = push_one(device1, op("client.create", data=data))
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert list(result["errors"]) == [field]
    assert ClientModel.objects.count() == 0


def test_a_create_on_a_list_without_the_create_right_is_forbidden(device1, read_only_list):
    result = push_one(device1, op("client.create", data=client_fields(read_only_list)))
    assert (result["status"], result["code"], result["errors"]) == ("rejected", "forbidden", non_field(NO_CREATE))
    assert ClientModel.objects.count() == 0


@pytest.mark.parametrize("list_id", ["hidden", 10**6, "12abc", None, 2**70])
def test_a_create_on_a_list_not_shared_with_the_rep_is_forbidden(device1, pos_list_editable, list_id):
    if list_id == "hidden":
        list_id = make_pos_list("Liste du siège").pk
    result = push_one(device1, op("client.create", data=client_fields(pos_list_editable, list=list_id)))
    assert (result["status"], result["code"], result["errors"]) == (
        "rejected",
        "forbidden",
        {"list": [str(UNKNOWN_LIST)]},
    )
    assert ClientModel.objects.count() == 0


def test_a_create_with_the_id_of_an_existing_client_is_rejected_and_leaves_it_alone(device1, rep2, pos_list_editable):
    existing = make_client(pos_list_editable, user=rep2, reps=(rep2,), name="Chez Koffi")
    result = push_one(device1, op("client.create", str(existing.pk), client_fields(pos_list_editable, name="Autre")))
    assert (result["code"], result["errors"]) == ("invalid", {"id": [str(ALREADY_EXISTS)]})
    assert stored(existing.pk)["name"] == "Chez Koffi"


def test_a_client_created_with_an_uploaded_photo_shows_it_and_a_bad_photo_id_is_invalid(
    device1, pos_list_editable, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo_id = new_id()
    assert device1.http.put(f"/api/sync/blobs/{photo_id}", jpeg_bytes(), content_type="image/jpeg").status_code == 201
    with_photo = op("client.create", data=client_fields(pos_list_editable, photo=photo_id))
    bad_photo = op("client.create", data=client_fields(pos_list_editable, photo="photo-1.jpg"))

    good, bad = device1.push(with_photo, bad_photo)

    assert good["status"] == "applied"
    assert str(stored(with_photo["entity_id"])["photo_id"]) == photo_id
    assert (bad["code"], list(bad["errors"])) == ("invalid", ["photo"])
    device1.sync()
    assert device1.store[("client", with_photo["entity_id"])]["data"]["photo"] == photo_id


# client.update --------------------------------------------------------------------------------------


def test_an_update_changes_only_the_fields_and_attributes_sent_and_bumps_the_version(
    device1, rep1, rep2, pos_list_editable
):
    client = make_client(
        pos_list_editable, user=rep2, reps=(rep1, rep2), attributes={"quartier": "Cocody", "categorie": "Boutique"}
    )
    update = op(
        "client.update",
        str(client.pk),
        {"phone": "+225 05 05 55 55 55", "attributes": {"surface_m2": 35, "services": "livraison"}},
        base_version=1,
    )

    result = push_one(device1, update)

    assert (result["status"], result["version"], result["conflicts"]) == ("applied", 2, None)
    after = ClientModel.objects.get(pk=client.pk)
    assert (after.name, after.phone, after.lat, after.version, after.updated_by, after.created_by) == (
        "Épicerie Chez Awa",
        "+2250505555555",
        ABIDJAN[0],
        2,
        rep1,
        rep2,
    )
    assert after.attributes == {
        "quartier": "Cocody",
        "categorie": "Boutique",
        "surface_m2": 35,
        "services": ["Livraison"],
    }


def test_an_update_that_changes_nothing_keeps_the_version(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    same = op(
        "client.update", str(client.pk), {"name": client.name, "attributes": {"quartier": "Cocody"}}, base_version=1
    )
    assert (push_one(device1, same)["status"], stored(client.pk)["version"]) == ("applied", 1)


def test_a_phone_or_position_sent_as_null_is_cleared(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), phone="+225 07 07 00 00 00")
    update = op(
        "client.update", str(client.pk), {"phone": None, "lat": None, "lng": "", "accuracy_m": None}, base_version=1
    )
    created = op("client.create", data=client_fields(pos_list_editable, phone=None, lat=None, lng=None))

    cleared, made = device1.push(update, created)

    assert (cleared["status"], made["status"]) == ("applied", "applied")
    after = stored(client.pk)
    assert (after["phone"], after["lat"], after["lng"], after["accuracy_m"]) == ("", None, None, None)
    assert (stored(created["entity_id"])["phone"], stored(created["entity_id"])["lat"]) == ("", None)


def test_an_update_without_base_version_is_rejected_invalid(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    result = push_one(device1, op("client.update", str(client.pk), {"name": "Sans version"}))
    assert (result["code"], result["errors"]) == ("invalid", {"base_version": [str(BASE_VERSION_REQUIRED)]})
    assert stored(client.pk)["name"] == "Épicerie Chez Awa"


def test_an_update_with_a_bad_attribute_value_is_rejected_and_applies_none_of_its_fields(
    device1, rep1, pos_list_editable
):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    update = op(
        "client.update",
        str(client.pk),
        {"name": "Nouveau nom", "attributes": {"categorie": "Kiosque", "surface_m2": 12}},
        base_version=1,
    )

    result = push_one(device1, update)

    assert (result["code"], result["errors"]) == (
        "invalid",
        {"categorie": [str(NOT_OPTION) % {"value": "Kiosque", "options": CATEGORIES}]},
    )
    after = stored(client.pk)
    assert (after["name"], after["version"], after["attributes"]) == (client.name, 1, client.attributes)


def test_emptying_a_required_attribute_is_rejected_invalid(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    result = push_one(device1, op("client.update", str(client.pk), {"attributes": {"quartier": ""}}, base_version=1))
    assert (result["code"], result["errors"]) == ("invalid", {"quartier": [str(REQUIRED)]})
    assert stored(client.pk)["attributes"]["quartier"] == "Cocody"


@pytest.mark.parametrize("key", ["name", "photo", "version"])
def test_an_attribute_named_like_a_client_field_is_unknown_and_does_not_touch_that_field(
    device1, rep1, pos_list_editable, key
):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    result = push_one(device1, op("client.update", str(client.pk), {"attributes": {key: "X"}}, base_version=1))
    assert (result["code"], result["errors"]) == ("invalid", {key: [str(UNKNOWN)]})
    after = stored(client.pk)
    assert (after["name"], after["photo_id"], after["version"], after["attributes"]) == (
        client.name,
        None,
        1,
        client.attributes,
    )


def test_an_update_on_a_read_only_list_is_forbidden_and_changes_nothing(device1, rep1, read_only_list):
    client = make_client(read_only_list, reps=(rep1,))
    result = push_one(device1, op("client.update", str(client.pk), {"name": "Renommé"}, base_version=1))
    assert (result["status"], result["code"], result["errors"]) == ("rejected", "forbidden", non_field(NO_EDIT))
    assert (stored(client.pk)["name"], stored(client.pk)["version"]) == (client.name, 1)


def test_another_reps_client_and_a_made_up_id_are_both_not_found_with_the_same_answer(
    device1, rep2, pos_list_editable, read_only_list
):
    others = make_client(pos_list_editable, user=rep2, reps=(rep2,), name="Chez Koffi")
    unassigned = make_client(pos_list_editable, name="Sans commercial")
    made_up = new_id()
    answers = device1.push(
        op("client.update", str(others.pk), {"name": "Volé"}, base_version=1),
        op("client.update", str(unassigned.pk), {"name": "Volé"}, base_version=1),
        op("client.update", made_up, {"name": "Volé"}, base_version=1),
        op("client.archive", str(others.pk)),
        op("client.archive", made_up),
    )

    assert {(answer["status"], answer["code"]) for answer in answers} == {("rejected", "not_found")}
    assert all(answer["errors"] == non_field(NOT_FOUND_MESSAGE) for answer in answers)
    assert all(answer["version"] is None and answer["current"] is None for answer in answers)
    assert stored(others.pk)["name"] == "Chez Koffi"
    assert stored(unassigned.pk)["name"] == "Sans commercial"
    assert stored(others.pk)["archived_at"] is None


def test_a_client_on_a_list_whose_access_was_removed_is_not_found(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    ListAccess.objects.filter(client_list=pos_list_editable).delete()
    result = push_one(device1, op("client.update", str(client.pk), {"name": "Renommé"}, base_version=1))
    assert result["code"] == "not_found"
    assert stored(client.pk)["name"] == client.name


# Conflicts ------------------------------------------------------------------------------------------


@pytest.fixture
def changed_on_server(rep1, rep2, pos_list_editable) -> ClientModel:
    """A client both reps hold at version 1, whose district rep2 then changed to Marcory (version 2)."""
    client = make_client(pos_list_editable, reps=(rep1, rep2))
    return client_update(user=rep2, client=client, data={"attributes": {"quartier": "Marcory"}})


def test_a_field_changed_on_the_server_since_base_version_is_a_conflict_and_the_others_apply(
    device1, changed_on_server
):
    client = changed_on_server
    update = op(
        "client.update",
        str(client.pk),
        {"name": "Chez Awa et fils", "attributes": {"quartier": "Treichville", "surface_m2": 60}},
        base_version=1,
    )

    result = push_one(device1, update)

    assert (result["status"], result["code"], result["errors"]) == ("conflict", None, None)
    assert (result["conflicts"], result["version"]) == (["quartier"], 3)
    after = ClientModel.objects.get(pk=client.pk)
    assert (after.name, after.attributes["quartier"], after.attributes["surface_m2"]) == (
        "Chez Awa et fils",
        "Marcory",
        60,
    )
    assert result["current"]["version"] == 3
    assert result["current"]["data"]["name"] == "Chez Awa et fils"
    assert result["current"]["data"]["attributes"] == after.attributes
    assert result["current"]["data"]["updated_by"] == "awa"
    device1.sync()
    assert device1.store[("client", str(client.pk))]["version"] == 3


def test_a_field_changed_on_the_server_to_the_same_value_as_the_op_is_not_a_conflict(device1, changed_on_server):
    client = changed_on_server
    update = op(
        "client.update",
        str(client.pk),
        {"attributes": {"quartier": " Marcory ", "surface_m2": 60}},
        base_version=1,
    )

    result = push_one(device1, update)

    assert (result["status"], result["conflicts"], result["current"], result["version"]) == ("applied", None, None, 3)
    assert ClientModel.objects.get(pk=client.pk).attributes["surface_m2"] == 60


def test_an_op_based_on_the_current_version_is_not_a_conflict(device1, changed_on_server):
    client = changed_on_server
    update = op("client.update", str(client.pk), {"attributes": {"quartier": "Treichville"}}, base_version=2)
    result = push_one(device1, update)
    assert (result["status"], result["version"]) == ("applied", 3)
    assert ClientModel.objects.get(pk=client.pk).attributes["quartier"] == "Treichville"


def test_an_op_whose_every_field_conflicts_changes_nothing(device1, changed_on_server):
    client = changed_on_server
    result = push_one(
        device1, op("client.update", str(client.pk), {"attributes": {"quartier": "Abobo"}}, base_version=1)
    )
    assert (result["status"], result["conflicts"], result["version"]) == ("conflict", ["quartier"], 2)
    assert stored(client.pk)["version"] == 2
    assert stored(client.pk)["attributes"]["quartier"] == "Marcory"


def test_resending_a_conflicting_op_answers_the_same_conflict_and_changes_nothing(device1, changed_on_server):
    client = changed_on_server
    update = op(
        "client.update", str(client.pk), {"attributes": {"quartier": "Treichville", "surface_m2": 60}}, base_version=1
    )
    first = push_one(device1, update)
    before = stored(client.pk)

    again = push_one(device1, update)

    assert again == first
    assert again["status"] == "conflict"
    assert stored(client.pk) == before
    assert SyncOp.objects.filter(op_id=update["op_id"]).count() == 1


def test_a_core_field_changed_on_the_server_is_a_conflict_too(device1, rep1, rep2, pos_list_editable):
    client = make_client(pos_list_editable, reps=(rep1, rep2))
    client_update(user=rep2, client=client, data={"phone": "+225 01 01 01 01 01"})
    update = op("client.update", str(client.pk), {"phone": "+225 07 02 02 02 02", "name": "Nouveau"}, base_version=1)

    result = push_one(device1, update)

    assert (result["status"], result["conflicts"]) == ("conflict", ["phone"])
    assert (stored(client.pk)["phone"], stored(client.pk)["name"]) == ("+2250101010101", "Nouveau")
    assert result["current"]["data"]["phone"] == "+2250101010101"


# client.archive -------------------------------------------------------------------------------------


def test_archiving_with_the_archive_right_archives_and_the_client_leaves_the_device(device1, rep1, pos_list_editable):
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_archive=True)
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    device1.sync()
    assert ("client", str(client.pk)) in device1.store

    result = push_one(device1, op("client.archive", str(client.pk)))

    assert (result["status"], result["version"]) == ("applied", 2)
    after = ClientModel.objects.get(pk=client.pk)
    assert after.archived_at is not None
    assert after.archived_by == rep1
    device1.sync()
    assert ("client", str(client.pk)) not in device1.store


def test_archiving_without_the_archive_right_is_forbidden(device1, rep1, pos_list_editable, read_only_list):
    on_pos_list = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    on_read_only = make_client(read_only_list, reps=(rep1,))

    answers = device1.push(op("client.archive", str(on_pos_list.pk)), op("client.archive", str(on_read_only.pk)))

    assert [(answer["status"], answer["code"]) for answer in answers] == [("rejected", "forbidden")] * 2
    assert all(answer["errors"] == non_field(NO_ARCHIVE) for answer in answers)
    assert ClientModel.objects.filter(archived_at__isnull=False).count() == 0


def test_an_op_on_a_client_archived_meanwhile_is_not_found(device1, rep1, pos_list_editable):
    from clients.services import client_archive

    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    client_archive(user=None, client=client)
    result = push_one(device1, op("client.update", str(client.pk), {"name": "Trop tard"}, base_version=1))
    assert result["code"] == "not_found"


# Two reps at once -----------------------------------------------------------------------------------


TIMEOUT = THREAD_TIMEOUT


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_two_reps_changing_different_attributes_of_a_client_at_once_both_keep_their_change(
    pos_list_editable, rep1, rep2
):
    client = make_client(pos_list_editable, reps=(rep1, rep2))
    awa, koffi = device_for(rep1), device_for(rep2)
    holding, release = threading.Event(), threading.Event()

    def hold_the_client() -> None:
        """The back office holds the client's row while both pushes arrive, so that they overlap."""
        with transaction.atomic():
            ClientModel.objects.select_for_update().get(pk=client.pk)
            holding.set()
            assert release.wait(TIMEOUT)

    holder = Worker(hold_the_client)
    holder.start()
    assert holding.wait(TIMEOUT)
    pushes = [
        Worker(
            lambda: push_one(
                awa, op("client.update", str(client.pk), {"attributes": {"quartier": "Adjamé"}}, base_version=1)
            )
        ),
        Worker(
            lambda: push_one(
                koffi, op("client.update", str(client.pk), {"attributes": {"surface_m2": 80}}, base_version=1)
            )
        ),
    ]
    try:
        for worker in pushes:
            worker.start()
        # Both pushes are blocked on the held row (a condition, not a pace: no fixed wait).
        while waiting_on_locks() < 2:
            assert all(worker.is_alive() for worker in pushes), [worker.error for worker in pushes]
    finally:
        release.set()
    holder.outcome()
    results = [worker.outcome() for worker in pushes]

    assert sorted((result["status"], result["version"]) for result in results) == [("applied", 2), ("applied", 3)]
    after = ClientModel.objects.get(pk=client.pk)
    assert (after.attributes["quartier"], after.attributes["surface_m2"], after.version) == ("Adjamé", 80, 3)
