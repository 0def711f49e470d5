"""clients.services called directly, as the admin, the import, the REST API and sync call them: create, the back
office's update, archive, restore and purge, assignment, and the changes of a list's schema and access. No HTTP, no
sync op. A rep's edit from the phone (`client_update_by_rep`) has its own tests in tests/clients/test_services.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from clients.models import AttributeDefinition, Client, ClientList, ListAccess
from clients.services import (
    ALREADY_ARCHIVED,
    KEY_TAKEN,
    NOT_ARCHIVED,
    business_key_conflicts,
    client_archive,
    client_assign,
    client_create,
    client_list_access_changed,
    client_list_schema_changed,
    client_restore,
    client_update,
    client_validate,
    client_write_plan,
    clients_purge,
    clients_write,
    purge_blocker,
)
from fieldsales.models import SyncEntry
from fieldsales.sync.registry import TYPES
from tests.factories import NoteFactory, VisitFactory, make_client, with_client_code
from workflows.models import Note, Visit

pytestmark = pytest.mark.django_db

REQUIRED = {"quartier": "Cocody", "categorie": "Boutique"}


def feed(rep: Any, type_name: str, entity_id: Any) -> str:
    """Where the entity stands in the rep's feed: "live" (the phone holds it), "deleted" (the phone is told to drop
    it) or "absent" (never sent)."""
    entry = SyncEntry.objects.filter(rep=rep, kind=TYPES[type_name].rank, entity_id=str(entity_id)).first()
    return "absent" if entry is None else "deleted" if entry.deleted else "live"


def messages(error: ValidationError) -> dict[str, list[str]]:
    return {key: [str(message) for message in value] for key, value in error.message_dict.items()}


@pytest.fixture
def shop(pos_list_readonly, awa):  # type: ignore[no-untyped-def]
    """Awa's client, on a list she reads."""
    return make_client(pos_list_readonly, "Épicerie Chez Awa", reps=[awa])


@pytest.fixture
def keyed_list(pos_list: ClientList) -> ClientList:
    return with_client_code(pos_list)


def fresh(client: Client) -> Client:
    return Client.objects.select_related("client_list").get(pk=client.pk)


# Create ------------------------------------------------------------------------------------------------------------


def test_a_created_client_is_stored_as_the_schema_reads_it_and_reaches_its_reps(pos_list_readonly, clerk, awa, koffi):
    client_id = uuid.uuid4()
    data = {
        "name": "  Épicerie du Marché ",
        "phone": "07 01 02 03 04",
        "lat": 5.35,
        "lng": -4.0,
        "attributes": {**REQUIRED, "surface_m2": "120", "ouverture": "2024-01-15"},
    }

    client = client_create(user=clerk, client_list=pos_list_readonly, data=data, client_id=client_id, reps=[awa])

    stored = fresh(client)
    assert stored.pk == client_id
    assert (stored.name, stored.phone, stored.version) == ("Épicerie du Marché", "+2250701020304", 1)
    assert stored.attributes == {**REQUIRED, "surface_m2": 120, "ouverture": "2024-01-15"}
    assert (stored.created_by, stored.updated_by) == (clerk, clerk)
    assert [rep.username for rep in stored.reps.all()] == ["awa"]
    # Searched by its name and its important attributes (the district and the category), folded.
    assert "epicerie du marche" in stored.search_text and "cocody" in stored.search_text
    assert (feed(awa, "client", client.pk), feed(koffi, "client", client.pk)) == ("live", "absent")


def test_a_client_with_several_faults_is_refused_with_every_one_and_nothing_is_written(pos_list):
    data = {"name": " ", "phone": "pas un numéro", "attributes": {"surface_m2": "grand", "couleur": "bleu"}}

    with pytest.raises(ValidationError) as refused:
        client_create(user=None, client_list=pos_list, data=data)

    assert set(refused.value.message_dict) == {"name", "phone", "quartier", "categorie", "surface_m2", "couleur"}
    assert not Client.objects.exists()


def test_a_client_code_another_client_of_the_list_has_is_refused_however_it_is_typed(keyed_list):
    make_client(keyed_list, "Boutique A", {**REQUIRED, "code": "C-001"})

    with pytest.raises(ValidationError) as refused:
        make_client(keyed_list, "Boutique B", {**REQUIRED, "code": " c-001"})

    assert messages(refused.value) == {"code": [KEY_TAKEN % {"value": "c-001"}]}
    assert list(Client.objects.values_list("name", flat=True)) == ["Boutique A"]


def test_validate_raises_what_create_or_update_would_and_writes_nothing(pos_list, shop):
    with pytest.raises(ValidationError) as creating:
        client_validate(client_list=pos_list, data={"name": "Sans catégorie", "attributes": {"quartier": "Cocody"}})
    with pytest.raises(ValidationError) as updating:
        client_validate(client_list=shop.client_list, client=shop, data={"attributes": {"surface_m2": "grand"}})
    client_validate(client_list=shop.client_list, client=shop, data={"name": "Nouveau nom"})

    assert list(creating.value.message_dict) == ["categorie"]
    assert list(updating.value.message_dict) == ["surface_m2"]
    assert Client.objects.count() == 1
    assert (shop.name, fresh(shop).name, fresh(shop).version) == ("Épicerie Chez Awa", "Épicerie Chez Awa", 1)


# The back office's update ------------------------------------------------------------------------------------------


def test_an_update_changes_what_it_gives_keeps_the_rest_and_bumps_the_version_once(shop, clerk):
    client_update(user=clerk, client=shop, data={"name": "Épicerie Awa", "attributes": {"surface_m2": 40}})

    stored = fresh(shop)
    assert stored.name == "Épicerie Awa"
    assert stored.attributes == {**REQUIRED, "surface_m2": 40}
    assert (stored.version, stored.updated_by) == (2, clerk)
    assert stored.field_versions == {"name": 2, "surface_m2": 2}


def test_an_update_that_gives_the_stored_values_changes_nothing(shop, clerk):
    client_update(user=clerk, client=shop, data={"name": shop.name, "phone": "", "attributes": REQUIRED})

    stored = fresh(shop)
    assert (stored.version, stored.updated_by, stored.field_versions) == (1, None, {})


def test_an_update_with_reps_makes_them_exactly_the_clients_reps(shop, clerk, awa, koffi):
    client_update(user=clerk, client=shop, data={}, reps=[koffi])

    stored = fresh(shop)
    assert [rep.username for rep in stored.reps.all()] == ["koffi"]
    assert stored.version == 2
    assert (feed(awa, "client", shop.pk), feed(koffi, "client", shop.pk)) == ("deleted", "live")


def test_an_archived_client_is_not_updated(shop, clerk):
    client_archive(user=clerk, client=shop)

    with pytest.raises(ValidationError) as refused:
        client_update(user=clerk, client=shop, data={"name": "Rouverte"})
    assert refused.value.messages == [str(ALREADY_ARCHIVED)]
    assert fresh(shop).name == "Épicerie Chez Awa"


# Archive, restore, purge -------------------------------------------------------------------------------------------


def test_archiving_takes_the_client_off_its_reps_phones_and_restoring_brings_it_back(shop, clerk, awa):
    client_archive(user=clerk, client=shop)
    archived = fresh(shop)
    assert (archived.is_archived, archived.archived_by, archived.version) == (True, clerk, 2)
    assert feed(awa, "client", shop.pk) == "deleted"

    client_restore(user=clerk, client=shop)
    restored = fresh(shop)
    assert (restored.is_archived, restored.archived_by, restored.updated_by, restored.version) == (
        False,
        None,
        clerk,
        3,
    )
    assert feed(awa, "client", shop.pk) == "live"


def test_archiving_an_archived_client_or_restoring_an_active_one_changes_nothing(shop, clerk):
    client_restore(user=clerk, client=shop)
    assert fresh(shop).version == 1

    client_archive(user=clerk, client=shop)
    archived_at = fresh(shop).archived_at
    client_archive(user=None, client=shop)
    assert (fresh(shop).version, fresh(shop).archived_at, fresh(shop).archived_by) == (2, archived_at, clerk)


def test_only_archived_clients_are_purged_and_the_blocker_names_the_first_active_one(shop, pos_list_readonly, clerk):
    other = make_client(pos_list_readonly, "Boutique Koffi")
    client_archive(user=clerk, client=other)
    both = Client.objects.filter(pk__in=[shop.pk, other.pk])

    blocker = purge_blocker(clients=both)
    assert blocker is not None and blocker.code == "not_archived"
    assert blocker.messages == [NOT_ARCHIVED % {"name": "Épicerie Chez Awa"}]
    with pytest.raises(ValidationError):
        clients_purge(user=clerk, clients=both)
    assert Client.objects.filter(pk__in=[shop.pk, other.pk]).count() == 2
    assert purge_blocker(clients=Client.objects.filter(pk=other.pk)) is None


def test_purging_deletes_the_clients_with_their_visits_and_notes_and_tells_the_phones(shop, clerk, awa):
    visit = VisitFactory(client=shop, rep=awa)
    note = NoteFactory(client=shop, visit=visit, author=awa)
    client_archive(user=clerk, client=shop)

    assert clients_purge(user=clerk, clients=Client.objects.filter(pk=shop.pk)) == 1

    assert not Client.objects.filter(pk=shop.pk).exists()
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert not Note.objects.filter(pk=note.pk).exists()
    assert feed(awa, "client", shop.pk) == "deleted"


# Assignment --------------------------------------------------------------------------------------------------------


def test_assigning_makes_the_reps_exactly_those_given_and_moves_the_client_between_phones(shop, awa, koffi):
    client_assign(client=shop, reps=[awa, koffi])
    assert sorted(rep.username for rep in fresh(shop).reps.all()) == ["awa", "koffi"]
    assert (fresh(shop).version, feed(koffi, "client", shop.pk)) == (2, "live")

    client_assign(client=shop, reps=[koffi])
    assert [rep.username for rep in fresh(shop).reps.all()] == ["koffi"]
    assert (fresh(shop).version, feed(awa, "client", shop.pk)) == (3, "deleted")


def test_assigning_the_same_reps_again_changes_nothing(shop, awa):
    client_assign(client=shop, reps=[awa])
    assert fresh(shop).version == 1


# A list's schema and access ----------------------------------------------------------------------------------------


def test_a_schema_change_bumps_the_lists_version_and_searches_the_clients_by_the_new_important_attributes(
    shop, pos_list_readonly, awa
):
    client_update(user=None, client=shop, data={"attributes": {"gerant_email": "awa@example.com"}})
    assert "awa@example.com" not in fresh(shop).search_text
    AttributeDefinition.objects.filter(client_list=pos_list_readonly, key="gerant_email").update(important=True)

    client_list_schema_changed(client_list=pos_list_readonly)

    assert ClientList.objects.get(pk=pos_list_readonly.pk).version == 2
    assert "awa@example.com" in fresh(shop).search_text
    assert feed(awa, "client_list", pos_list_readonly.pk) == "live"


def test_a_schema_change_that_makes_an_attribute_the_key_tells_the_clients_apart_by_it(shop, pos_list_readonly):
    client_update(user=None, client=shop, data={"attributes": {"gerant_email": "Awa@Example.com"}})
    assert fresh(shop).business_key == ""
    AttributeDefinition.objects.filter(client_list=pos_list_readonly, key="gerant_email").update(unique=True)

    client_list_schema_changed(client_list=pos_list_readonly)

    assert fresh(shop).business_key == "awa@example.com"


def test_an_access_removed_takes_the_list_and_its_clients_off_the_phones_and_given_back_returns_them(
    shop, pos_list_readonly, reps_group, awa
):
    ListAccess.objects.filter(client_list=pos_list_readonly, group=reps_group).delete()
    client_list_access_changed(client_list=pos_list_readonly)
    assert (feed(awa, "client_list", pos_list_readonly.pk), feed(awa, "client", shop.pk)) == ("deleted", "deleted")

    ListAccess.objects.create(client_list=pos_list_readonly, group=reps_group, can_edit=True)
    client_list_access_changed(client_list=pos_list_readonly)
    assert (feed(awa, "client_list", pos_list_readonly.pk), feed(awa, "client", shop.pk)) == ("live", "live")


# Writes in bulk (the import) ---------------------------------------------------------------------------------------


def test_business_key_conflicts_names_only_the_clients_whose_code_another_client_has(keyed_list):
    taken = make_client(keyed_list, "Boutique A", {**REQUIRED, "code": "C1"})
    again = client_write_plan(
        user=None, client_list=keyed_list, data={"name": "B", "attributes": {**REQUIRED, "code": "c1"}}
    )
    new = client_write_plan(
        user=None, client_list=keyed_list, data={"name": "C", "attributes": {**REQUIRED, "code": "C2"}}
    )
    itself = client_write_plan(user=None, client_list=keyed_list, client=taken, data={"name": "Boutique A2"})

    conflicts = business_key_conflicts(client_list=keyed_list, clients=[again.client, new.client])

    assert list(conflicts) == [again.client.pk]
    assert messages(conflicts[again.client.pk]) == {"code": [KEY_TAKEN % {"value": "c1"}]}
    # A client keeps its own code.
    assert business_key_conflicts(client_list=keyed_list, clients=[itself.client]) == {}


def test_planned_writes_are_made_in_bulk_as_create_and_update_would_make_them(
    shop, pos_list_readonly, clerk, awa, koffi
):
    plans = [
        client_write_plan(
            user=clerk,
            client_list=pos_list_readonly,
            data={"name": "Nouvelle boutique", "attributes": REQUIRED},
            reps=[koffi],
        ),
        client_write_plan(
            user=clerk,
            client_list=pos_list_readonly,
            client=fresh(shop),
            data={"attributes": {"surface_m2": "80"}},
            reps=[awa, koffi],
            current_rep_ids=[awa.pk],
        ),
        client_write_plan(
            user=clerk,
            client_list=pos_list_readonly,
            client=fresh(shop),
            data={"name": shop.name},
            current_rep_ids=[awa.pk],
        ),
    ]
    assert [plan.writes for plan in plans] == [True, True, False]

    clients_write(user=clerk, writes=plans)

    created = Client.objects.get(name="Nouvelle boutique")
    assert (created.version, created.created_by, [rep.username for rep in created.reps.all()]) == (1, clerk, ["koffi"])
    updated = fresh(shop)
    assert (updated.attributes["surface_m2"], updated.version, updated.updated_by) == (80, 2, clerk)
    assert sorted(rep.username for rep in updated.reps.all()) == ["awa", "koffi"]
    assert (feed(koffi, "client", created.pk), feed(koffi, "client", shop.pk)) == ("live", "live")


def test_a_planned_write_refuses_what_create_would_refuse(pos_list):
    with pytest.raises(ValidationError) as refused:
        client_write_plan(user=None, client_list=pos_list, data={"name": "X", "attributes": {"quartier": "Cocody"}})
    assert list(refused.value.message_dict) == ["categorie"]
