"""A client changed on the rep's phone (pushed ops) goes into its history (clients/history.py) as the rep's, through
the phone, with the device that pushed it; the pull's record names who changed it last and when."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from clients.history import CREATED, FieldChange, change_entries
from clients.models import ChangeChannel, ClientList, ListAccess
from clients.models import Client as ClientModel
from clients.recording import recorded_as
from tests.factories import BackOfficeFactory, make_client
from tests.sync.conftest import Device, op
from tests.sync.test_push import client_fields, push_one


def entries_of(client_id: Any) -> list[Any]:
    """The client's changes as its History page lists them, newest first."""
    client = ClientModel.objects.get(pk=client_id)
    client_list = ClientList.objects.prefetch_related("attributes").get(pk=client.client_list_id)
    return change_entries(client_list, list(client.history.select_related("history_user")), None)


def shop_for(rep: Any, client_list: ClientList) -> ClientModel:
    clerk = BackOfficeFactory(username="clerk")
    with recorded_as(ChangeChannel.ADMIN, user=clerk):
        return make_client(
            client_list, "Boutique Awa", {"quartier": "Cocody", "categorie": "Boutique"}, user=clerk, reps=[rep]
        )


def test_an_edit_pushed_from_the_phone_is_the_reps_through_the_phone_with_its_device_and_its_fields(
    device1: Device, rep1, pos_list_editable
):
    shop = shop_for(rep1, pos_list_editable)
    edit = op(
        "client.update",
        str(shop.pk),
        {"name": "Boutique Awa Fils", "attributes": {"quartier": "Plateau", "surface_m2": 40}},
        base_version=1,
    )

    assert push_one(device1, edit)["status"] == "applied"

    row = shop.history.first()
    assert (row.history_type, row.history_user, row.history_channel) == ("~", rep1, "phone")
    assert str(row.history_device) == device1.device_id
    newest = entries_of(shop.pk)[0]
    assert (newest.who, newest.channel, newest.device) == ("awa", "rep's phone", device1.device_id)
    assert newest.changes == [
        FieldChange("Name", "Boutique Awa", "Boutique Awa Fils"),
        FieldChange("District", "Cocody", "Plateau"),
        FieldChange("Area (m²)", "—", "40"),
    ]


def test_a_client_created_on_the_phone_starts_its_history_with_its_values_and_its_rep(
    device1: Device, rep1, pos_list_editable
):
    create = op("client.create", data=client_fields(pos_list_editable, name="Kiosque du Rond-point"))

    assert push_one(device1, create)["status"] == "applied"

    row = ClientModel.history.get(id=create["entity_id"])
    assert (row.history_type, row.history_user, row.history_channel) == ("+", rep1, "phone")
    assert str(row.history_device) == device1.device_id
    [created] = entries_of(create["entity_id"])
    assert created.note == str(CREATED)
    assert FieldChange("Name", None, "Kiosque du Rond-point") in created.changes
    assert FieldChange("Reps added", None, "awa") in created.changes


def test_a_client_archived_on_the_phone_is_recorded_as_archived_by_the_rep(device1: Device, rep1, pos_list_editable):
    ListAccess.objects.filter(client_list=pos_list_editable).update(can_archive=True)
    shop = shop_for(rep1, pos_list_editable)

    assert push_one(device1, op("client.archive", str(shop.pk), base_version=1))["status"] == "applied"

    row = shop.history.first()
    assert (row.history_user, row.history_channel, row.archived_by) == (rep1, "phone", rep1)
    assert entries_of(shop.pk)[0].changes == [FieldChange("Archived", "No", "Yes")]


def test_a_refused_or_empty_edit_leaves_no_change_in_the_history(device1: Device, rep1, pos_list_editable):
    shop = shop_for(rep1, pos_list_editable)
    refused = op("client.update", str(shop.pk), {"attributes": {"surface_m2": "beaucoup"}}, base_version=1)
    same = op("client.update", str(shop.pk), {"name": "Boutique Awa"}, base_version=1)

    assert [result["status"] for result in device1.push(refused, same)] == ["rejected", "applied"]

    assert shop.history.count() == 1


def test_the_pulled_record_names_who_changed_the_client_last_and_when(device1: Device, rep1, pos_list_editable):
    shop = shop_for(rep1, pos_list_editable)
    push_one(device1, op("client.update", str(shop.pk), {"attributes": {"quartier": "Plateau"}}, base_version=1))
    device1.sync()
    record = device1.store[("client", str(shop.pk))]
    assert (record["data"]["updated_by"], record["data"]["created_by"]) == ("awa", "clerk")
    assert record["data"]["updated_at"] == shop.history.first().history_date.isoformat()

    with recorded_as(ChangeChannel.ADMIN):
        from clients.services import client_update

        clerk = shop.created_by
        client_update(user=clerk, client=ClientModel.objects.get(pk=shop.pk), data={"name": "Boutique Awa & Fils"})
    [change] = device1.sync()

    latest = shop.history.first()
    assert (change["data"]["updated_by"], latest.history_user.username) == ("clerk", "clerk")
    assert change["data"]["updated_at"] == latest.history_date.isoformat()


def test_history_costs_a_push_one_insert_for_all_its_changes(device1: Device, rep1, pos_list_editable):
    shops = [shop_for(rep1, pos_list_editable)] + [
        make_client(pos_list_editable, f"Boutique {n}", reps=[rep1]) for n in range(4)
    ]

    def push(value: int) -> int:
        versions = dict(ClientModel.objects.values_list("pk", "version"))
        edits = [
            op("client.update", str(s.pk), {"attributes": {"surface_m2": value}}, base_version=versions[s.pk])
            for s in shops
        ]
        with CaptureQueriesContext(connection) as queries:
            assert {result["status"] for result in device1.push(*edits)} == {"applied"}
        return len(queries)

    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        without = push(10)
    with_history = push(20)

    # The push's rows, copied by the database from its clients' rows at its end.
    assert with_history - without == 1
    rows = ClientModel.history.filter(history_channel="phone", id__in=[shop.pk for shop in shops])
    assert sorted(row.attributes["surface_m2"] for row in rows) == [20] * len(shops)


def test_a_client_changed_twice_in_one_push_has_each_change_even_around_a_refused_one(
    device1: Device, rep1, pos_list_editable
):
    shop = shop_for(rep1, pos_list_editable)
    first = op("client.update", str(shop.pk), {"attributes": {"surface_m2": 40}}, base_version=1)
    refused = op("client.update", str(shop.pk), {"attributes": {"surface_m2": "beaucoup"}}, base_version=2)
    second = op("client.update", str(shop.pk), {"attributes": {"quartier": "Plateau"}}, base_version=2)

    assert [result["status"] for result in device1.push(first, refused, second)] == ["applied", "rejected", "applied"]

    newest, earlier, _created = entries_of(shop.pk)
    assert earlier.changes == [FieldChange("Area (m²)", "—", "40")]
    assert newest.changes == [FieldChange("District", "Cocody", "Plateau")]
