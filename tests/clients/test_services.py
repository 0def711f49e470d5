"""The clients services, called directly (no HTTP, no sync envelope).

A rep's edit of a client (`client_update_by_rep`): the conflict rule, the read-only list's exception for required
fields still empty, and the one change detector (`client_changes`) that tells a real change from a value sent again.
"""

from __future__ import annotations

import pytest

from clients.models import AttributeDefinition, Client
from clients.selectors import ListRights
from clients.services import (
    ListReadOnly,
    client_changes,
    client_update,
    client_update_by_rep,
)
from tests.factories import ABIDJAN, RepFactory, make_client, make_pos_list

EDITOR = ListRights(create=True, edit=True)
READ_ONLY = ListRights()


def _stored_client(**core):  # type: ignore[no-untyped-def]
    """A client of a new points-of-sale list, read back with its list as the sync handler locks it."""
    client = make_client(
        make_pos_list(),
        phone="+2250701020304",
        attributes={"quartier": "Cocody", "categorie": "Boutique", "surface_m2": 120},
        **core,
    )
    return Client.objects.select_related("client_list").get(pk=client.pk)


def _fresh(client: Client) -> Client:
    return Client.objects.select_related("client_list").get(pk=client.pk)


@pytest.mark.django_db
def test_rep_edit_keeps_the_servers_value_of_a_field_changed_after_the_reps_copy_and_applies_the_rest():
    client = _stored_client()
    client_update(user=None, client=client, data={"name": "Chez Awa (back office)"})  # version 2
    rep = RepFactory()

    edit = client_update_by_rep(
        rep=rep,
        client=_fresh(client),
        rights=EDITOR,
        data={"name": "Chez Awa (rep)", "attributes": {"surface_m2": 80}},
        base_version=1,
    )

    assert edit.conflicts == ["name"]
    stored = _fresh(client)
    assert (stored.name, stored.attributes["surface_m2"], stored.version) == ("Chez Awa (back office)", 80, 3)
    assert stored.updated_by == rep


@pytest.mark.django_db
def test_rep_edit_applies_a_field_changed_before_the_reps_copy():
    client = _stored_client()
    client_update(user=None, client=client, data={"name": "Chez Awa (back office)"})  # version 2

    edit = client_update_by_rep(
        rep=RepFactory(), client=_fresh(client), rights=EDITOR, data={"name": "Chez Awa (rep)"}, base_version=2
    )

    assert edit.conflicts == []
    assert (_fresh(client).name, edit.client.version) == ("Chez Awa (rep)", 3)


@pytest.mark.django_db
def test_rep_edit_on_a_read_only_list_fills_a_required_field_that_is_still_empty():
    client = _stored_client()
    # Required after the client was made: it has no value yet, and a visit would need one.
    AttributeDefinition.objects.filter(client_list=client.client_list, key="ouverture").update(required=True)

    edit = client_update_by_rep(
        rep=RepFactory(),
        client=_fresh(client),
        rights=READ_ONLY,
        data={"attributes": {"ouverture": "15/01/2024"}},
        base_version=1,
    )

    assert _fresh(client).attributes["ouverture"] == "2024-01-15"
    assert edit.conflicts == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"name": "Autre nom"},
        {"attributes": {"ouverture": "2024-01-15", "frigo": True}},
        {"attributes": {"surface_m2": 121}},
        {"name": "Épicerie Chez Awa"},
    ],
    ids=["a-field", "a-required-field-and-another", "a-filled-attribute", "nothing-at-all"],
)
def test_rep_edit_on_a_read_only_list_refuses_anything_but_filling_empty_required_fields(data):
    client = _stored_client()
    AttributeDefinition.objects.filter(client_list=client.client_list, key="ouverture").update(required=True)

    with pytest.raises(ListReadOnly):
        client_update_by_rep(rep=RepFactory(), client=_fresh(client), rights=READ_ONLY, data=data, base_version=1)

    stored = _fresh(client)
    assert (stored.version, stored.name, stored.attributes) == (client.version, client.name, client.attributes)


@pytest.mark.django_db
def test_rep_edit_on_a_read_only_list_ignores_values_sent_again_beside_the_field_it_fills():
    client = _stored_client()
    AttributeDefinition.objects.filter(client_list=client.client_list, key="ouverture").update(required=True)
    # The phone's copy sends its whole form: the values it did not change come back, written as the rep typed them.
    data = {"phone": "+225 07 01 02 03 04", "attributes": {"surface_m2": "120", "ouverture": "2024-01-15"}}

    client_update_by_rep(rep=RepFactory(), client=_fresh(client), rights=READ_ONLY, data=data, base_version=1)

    assert _fresh(client).attributes["ouverture"] == "2024-01-15"


@pytest.mark.django_db
def test_values_equal_to_the_stored_ones_are_no_change_and_no_conflict():
    client = _stored_client()
    # Every field below was changed on the server after the rep's copy (version 1).
    client_update(user=None, client=client, data={"name": "Chez Awa", "lat": 5.36, "attributes": {"surface_m2": 121}})
    client = _fresh(client)
    again = {
        "name": "  Chez Awa ",
        "phone": "+225 07 01 02 03 04",
        "lat": "5.360",
        "lng": ABIDJAN[1],
        "attributes": {"surface_m2": "121", "categorie": "boutique"},
    }

    assert not client_changes(client, again)
    edit = client_update_by_rep(rep=RepFactory(), client=client, rights=EDITOR, data=again, base_version=1)

    assert edit.conflicts == []
    assert _fresh(client).version == 2


@pytest.mark.django_db
def test_the_change_detector_names_what_differs_by_bare_key():
    client = _stored_client()

    changes = client_changes(client, {"name": "Autre", "phone": "+2250701020304", "attributes": {"surface_m2": 90}})

    assert (changes.fields, changes.attributes) == ({"name": "Autre"}, {"surface_m2": 90})
    assert changes.names() == ["name", "surface_m2"]
