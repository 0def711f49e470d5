"""A client's history (clients/history.py, django-simple-history): each change with who, when, through which channel,
and its fields before and after, on the client's History page in the admin. Phone edits are in
tests/sync/test_client_history.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags

from clients.history import CREATED, HISTORY_BEGINS, REPS_ADDED_LABEL, REPS_REMOVED_LABEL, FieldChange
from clients.models import ChangeChannel, Client
from clients.recording import clients_history_record, note_reps_change, recorded_as
from clients.services import client_archive, client_update, clients_purge, clients_reps_add
from fieldsales.models import Profile
from tests.clients.test_admin import edit
from tests.factories import SupervisorFactory, make_client, with_client_code
from tests.wizard import english_excel_csv, wizard_import

CHANGELIST = "/admin/clients/client/"
WIZARD = f"{CHANGELIST}import-file/"


def history_url(client: Client) -> str:
    return f"{CHANGELIST}{client.pk}/history/"


def entries(http: Any, client: Client) -> list[Any]:
    """The History page's entries, newest first."""
    response = http.get(history_url(client))
    assert response.status_code == 200
    return [record.entry for record in response.context["page_obj"]]


def latest(client: Client) -> Any:
    return client.history.first()


@pytest.fixture
def shop(pos_list, awa, clerk):  # type: ignore[no-untyped-def]
    """A shop the clerk created in the back office, assigned to Awa."""
    with recorded_as(ChangeChannel.ADMIN, user=clerk):
        return make_client(
            pos_list, "Boutique Awa", {"quartier": "Cocody", "categorie": "Boutique"}, user=clerk, reps=[awa]
        )


# The admin -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_edit_in_the_admin_is_recorded_with_the_clerk_the_channel_and_each_field_before_and_after(
    clerk_client, clerk, shop
):
    response = edit(clerk_client, shop, name="Boutique Awa & Fils", attr_quartier="Plateau", attr_surface_m2="45")

    assert response.status_code == 302
    row = latest(shop)
    assert (row.history_type, row.history_user, row.history_channel, row.history_device) == ("~", clerk, "admin", None)
    newest, creation = entries(clerk_client, shop)
    assert (newest.who, newest.channel) == ("clerk", "back office")
    assert newest.changes == [
        FieldChange("Name", "Boutique Awa", "Boutique Awa & Fils"),
        FieldChange("District", "Cocody", "Plateau"),
        FieldChange("Area (m²)", "—", "45"),
    ]
    assert creation.note == str(CREATED)
    assert FieldChange("District", None, "Cocody") in creation.changes


@pytest.mark.django_db
def test_the_history_page_shows_the_changes_with_the_schemas_labels_in_french(clerk_fr, shop):
    edit(clerk_fr, shop, attr_quartier="Plateau", attr_frigo="true", assigned_reps=[])

    page = " ".join(strip_tags(clerk_fr.get(history_url(shop)).content.decode()).split())

    assert "Historique de « Boutique Awa »" in page
    for text in (
        "Quand Qui Canal Modifications",
        "clerk back-office",
        "Quartier : Cocody → Plateau",
        "Frigo : — → Oui",
    ):
        assert text in page
    assert "Commerciaux retirés : awa" in page
    assert "attributes" not in page and "attributs" not in page, "the changed keys, not the whole JSON"


@pytest.mark.django_db
def test_a_reassignment_names_the_reps_added_and_removed(clerk_client, shop, koffi):
    edit(clerk_client, shop, assigned_reps=[str(koffi.pk)])

    assert entries(clerk_client, shop)[0].changes == [
        FieldChange(str(REPS_ADDED_LABEL), None, "koffi"),
        FieldChange(str(REPS_REMOVED_LABEL), None, "awa"),
    ]


@pytest.mark.django_db
def test_a_restore_from_the_admin_action_is_recorded_as_the_clerks(clerk_client, clerk, manager, shop):
    client_archive(user=manager, client=Client.objects.get(pk=shop.pk))

    clerk_client.post(CHANGELIST, {"action": "restore", "_selected_action": [str(shop.pk)]})

    row = latest(shop)
    assert (row.history_user, row.history_channel) == (clerk, "admin")
    restored, archived, _created = entries(clerk_client, shop)
    assert (restored.changes, archived.changes) == (
        [FieldChange("Archived", "Yes", "No")],
        [FieldChange("Archived", "No", "Yes")],
    )


@pytest.mark.django_db
def test_the_archiving_user_is_named_even_outside_any_channel(pos_list, manager, shop):
    client_archive(user=manager, client=Client.objects.get(pk=shop.pk))

    row = latest(shop)
    assert (row.history_user, row.history_channel) == (manager, "")


@pytest.mark.django_db
def test_a_purge_keeps_the_clients_history_with_who_purged_it(manager, shop):
    client_archive(user=manager, client=Client.objects.get(pk=shop.pk))

    with recorded_as(ChangeChannel.ADMIN, user=manager):
        clients_purge(user=manager, clients=Client.objects.filter(pk=shop.pk))

    purged = Client.history.filter(id=shop.pk).first()
    assert (purged.history_type, purged.history_user, purged.history_channel) == ("-", manager, "admin")
    assert [row.history_type for row in Client.history.filter(id=shop.pk)] == ["-", "~", "+"]


# The import ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_is_recorded_with_the_clerk_the_file_and_each_field_before_and_after(clerk_client, clerk, pos_list):
    keyed = with_client_code(pos_list)
    with recorded_as(ChangeChannel.ADMIN, user=clerk):
        old = make_client(keyed, "Ancien nom", {"code": "C001", "quartier": "Cocody", "categorie": "Boutique"})
    rows = [["C001", "Épicerie Awa", "Treichville", "Boutique"], ["C002", "Boutique Koffi", "Yopougon", "Boutique"]]
    content = english_excel_csv(["Client code", "Name", "District", "Category"], rows)

    wizard_import(clerk_client, WIZARD, content, "december.csv", client_list=keyed.pk)

    updated, created = latest(old), latest(Client.objects.get(name="Boutique Koffi"))
    assert (updated.history_type, updated.history_user, updated.history_channel) == ("~", clerk, "import")
    assert (created.history_type, created.history_user, created.history_channel) == ("+", clerk, "import")
    assert updated.history_change_reason == "december.csv"
    newest = entries(clerk_client, old)[0]
    assert (newest.channel, newest.reason) == ("import", "december.csv")
    assert newest.changes == [
        FieldChange("Name", "Ancien nom", "Épicerie Awa"),
        FieldChange("District", "Cocody", "Treichville"),
    ]


# For the bulk actions -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bulk_write_records_each_client_in_one_insert(pos_list, manager, awa, koffi, django_assert_num_queries):
    shops = [make_client(pos_list, f"Boutique {n}", reps=[awa]) for n in range(3)]
    for shop in shops:
        shop.statement_enabled = True
        note_reps_change(shop, added=[koffi.pk], removed=[])
    Client.objects.filter(pk__in=[shop.pk for shop in shops]).update(statement_enabled=True)

    with django_assert_num_queries(1):  # the history rows' INSERT
        clients_history_record(clients=shops, user=manager, channel=ChangeChannel.BULK)

    for shop in shops:
        row = latest(shop)
        assert (row.history_user, row.history_channel, row.statement_enabled) == (manager, "bulk", True)
        assert row.history_reps == {"added": [koffi.pk], "removed": []}


# Who sees it, and what it costs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_that_existed_before_its_history_shows_where_its_history_begins(clerk_client, pos_list, clerk):
    shop = make_client(pos_list, "Boutique sans passé")
    shop.history.all().delete()  # as a client made before the history was installed, less its baseline row
    client_update(user=clerk, client=Client.objects.get(pk=shop.pk), data={"name": "Boutique avec passé"})

    assert entries(clerk_client, shop)[0].note == str(HISTORY_BEGINS)


@pytest.mark.django_db
def test_a_supervisor_sees_only_the_history_of_the_team_clients(client, pos_list, awa, koffi):
    theirs, others = make_client(pos_list, "Chez Awa", reps=[awa]), make_client(pos_list, "Chez Koffi", reps=[koffi])
    supervisor = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.create(user=awa, supervisor=supervisor)
    client.force_login(supervisor)

    assert [entry.note for entry in entries(client, theirs)] == [str(CREATED)]
    assert client.get(history_url(others))["Location"] == "/admin/"  # as for a client that does not exist
    with pytest.raises(NoReverseMatch):  # no page of a past version: its form would save it back
        reverse("admin:clients_client_simple_history", args=[theirs.pk, 1])


@pytest.mark.django_db
def test_the_history_page_makes_the_same_queries_for_3_changes_or_60(
    clerk_client, pos_list, clerk, koffi, django_assert_num_queries
):
    shop = make_client(pos_list, "Boutique Koffi")

    def change(times: int) -> None:
        for number in range(times):
            stored = Client.objects.select_related("client_list").get(pk=shop.pk)
            client_update(user=clerk, client=stored, data={"attributes": {"surface_m2": number + 1}})

    change(2)
    clerk_client.get(history_url(shop))  # Django's cache of content types, read once per process
    with CaptureQueriesContext(connection) as few:
        assert clerk_client.get(history_url(shop)).status_code == 200
    change(57)
    stored = Client.objects.select_related("client_list").get(pk=shop.pk)
    client_update(user=clerk, client=stored, data={}, reps=[koffi])
    # 1. the session  2. the clerk  3. whether the clerk is a supervisor (team_of)  4. whether the clerk may see the
    # client (ClientAdmin.get_queryset)  5-6. the client with its reps, in simple-history's view  7-8. the clerk's
    # permissions and those of the clerk's groups  9. the count of changes  10. a page of them with their users
    # 11-12. the list and its attributes; and, for 61 changes: 13. the change before the page's oldest (the page
    # shows 50)  14. the names of the reps the page's changes added or removed
    with django_assert_num_queries(len(few.captured_queries) + 2):
        response = clerk_client.get(history_url(shop))

    assert len(few.captured_queries) == 12, [query["sql"] for query in few.captured_queries]
    assert len(response.context["page_obj"]) == 50


@pytest.mark.django_db
def test_a_bulk_action_is_in_the_history_of_each_client_it_changed(pos_list, clerk, awa, koffi):
    shops = [make_client(pos_list, f"Boutique {number}", reps=[koffi]) for number in range(3)]

    clients_reps_add(user=clerk, clients=Client.objects.filter(pk__in=[shop.pk for shop in shops]), reps=[awa])

    for shop in shops:
        latest = shop.history.order_by("-history_date", "-history_id").first()
        assert (latest.history_channel, latest.history_user_id) == (ChangeChannel.BULK, clerk.pk)
        assert latest.history_reps == {"added": [awa.pk], "removed": []}
