"""Possible duplicates: the clients a rep created anyway after the app's warning, kept for the back office with only
the clients the rep sees, and reviewed there (two outlets, or the new one archived)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from clients.duplicates import DUPLICATE_MAX_EDITS, DUPLICATE_RADIUS_M, duplicate_rules
from clients.models import Client, PossibleDuplicate
from clients.ops import NOT_SIMILAR_LIST
from clients.phones import phone_display
from clients.services import client_archive, client_create, possible_duplicates_archive_new, possible_duplicates_dismiss
from fieldsales.geo import EARTH_RADIUS_M
from fieldsales.models import Profile
from tests.factories import ABIDJAN, RepFactory, SupervisorFactory, make_client
from tests.sync.conftest import Device, device_for, new_id, op
from tests.sync.test_push import client_fields

CHANGELIST = "/admin/clients/possibleduplicate/"


def north(metres: float) -> dict[str, float]:
    """The position `metres` due north of ABIDJAN, where `make_client` puts clients."""
    return {"lat": ABIDJAN[0] + math.degrees(metres / EARTH_RADIUS_M), "lng": ABIDJAN[1]}


@pytest.fixture
def seen_and_unseen(pos_list_editable, awa, koffi):  # type: ignore[no-untyped-def]
    """Clients named like the new one: Awa's, Koffi's (Awa does not see it) and one Awa had, archived since."""
    return {
        "mine": make_client(pos_list_editable, "Boutique Chez Awa", reps=[awa], phone="0701020304"),
        "koffis": make_client(pos_list_editable, "Boutique Chez Awa", reps=[koffi]),
        "archived": client_archive(user=None, client=make_client(pos_list_editable, "Boutique Chez Ava", reps=[awa])),
    }


@pytest.fixture
def awas_phone(awa) -> Device:  # type: ignore[no-untyped-def]
    return device_for(awa)


def test_the_warnings_figures_are_the_ones_the_pull_publishes():
    assert duplicate_rules() == {"radius_m": DUPLICATE_RADIUS_M, "max_edits": DUPLICATE_MAX_EDITS}
    assert (DUPLICATE_RADIUS_M, DUPLICATE_MAX_EDITS) == (150, 2)


@pytest.mark.django_db
def test_a_client_created_anyway_keeps_its_pair_with_the_clients_the_rep_sees_only(
    awas_phone: Device, pos_list_editable, awa, seen_and_unseen
):
    client_id = new_id()
    similar = [str(client.pk) for client in seen_and_unseen.values()]
    # An unknown id, something that is no id, and the new client itself are ignored, as the clients Awa does not see.
    similar += [new_id(), "not-an-id", 7, client_id]
    data = client_fields(pos_list_editable, name="boutique chez awá", **north(60), similar_to=similar)

    [result] = awas_phone.push(op("client.create", client_id, data))

    assert result["status"] == "applied", result
    [pair] = PossibleDuplicate.objects.all()
    assert (str(pair.new_client_id), pair.existing_client_id, pair.rep) == (client_id, seen_and_unseen["mine"].pk, awa)
    assert pair.status == PossibleDuplicate.Status.OPEN and pair.reviewed_at is None
    # The client itself is created as without the warning: `similar_to` is none of its fields.
    assert Client.objects.get(pk=client_id).name == "boutique chez awá"

    [again] = awas_phone.push(op("client.create", new_id(), {**data, "similar_to": []}))
    assert again["status"] == "applied" and PossibleDuplicate.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("similar_to", ["0f8fad5b-d9cb-469f-a165-70867728950e", {"id": 1}, [new_id()] * 21])
def test_similar_to_that_is_no_short_list_refuses_the_op(awas_phone: Device, pos_list_editable, similar_to: Any):
    [result] = awas_phone.push(op("client.create", data=client_fields(pos_list_editable, similar_to=similar_to)))

    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert result["errors"] == {"similar_to": [str(NOT_SIMILAR_LIST)]}
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_the_back_office_or_an_import_creating_a_client_records_no_pair(pos_list, clerk):
    existing = make_client(pos_list)

    client_create(
        user=None,
        client_list=pos_list,
        data={"name": "X", "attributes": {"quartier": "A", "categorie": "Boutique"}},
        similar_to=[existing.pk],
    )

    assert not PossibleDuplicate.objects.exists()


# The back office ------------------------------------------------------------------------------------------------


def pair_of(client_list: Any, rep: Any, name: str = "Boutique Chez Awa", metres: float = 60) -> PossibleDuplicate:
    existing = make_client(client_list, name, reps=[rep], phone="07 01 02 03 04")
    new = client_create(
        user=rep,
        client_list=client_list,
        data={"name": name.lower(), **north(metres), "phone": "0701020304", "attributes": existing.attributes},
        reps=[rep],
        similar_to=[existing.pk],
    )
    return PossibleDuplicate.objects.get(new_client=new)


@pytest.mark.django_db
def test_the_clerk_sees_each_pair_with_both_names_lists_distance_phones_and_links(clerk_client, pos_list_editable, awa):
    pair = pair_of(pos_list_editable, awa)

    response = clerk_client.get(CHANGELIST)

    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert row == pair
    html = response.content.decode()
    assert f'href="/admin/clients/client/{pair.new_client_id}/change/"' in html
    assert f'href="/admin/clients/client/{pair.existing_client_id}/change/"' in html
    text = strip_tags(html)
    assert "boutique chez awa" in text and "Boutique Chez Awa" in text
    assert "60 m" in text
    shown = phone_display("+2250701020304", region=pos_list_editable.country)
    assert text.count(f"Points de vente · {shown}") == 2
    assert 'alt="True"' in html and "To review" in text  # the same phone


@pytest.mark.django_db
def test_not_a_duplicate_closes_the_pair_and_keeps_both_clients(clerk_client, clerk, pos_list_editable, awa):
    pair = pair_of(pos_list_editable, awa)

    response = clerk_client.post(CHANGELIST, {"action": "not_duplicate", "_selected_action": [pair.pk]})

    assert response.status_code == 302
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["1 pair marked as two outlets."]
    pair.refresh_from_db()
    assert (pair.status, pair.reviewed_by) == (PossibleDuplicate.Status.NOT_DUPLICATE, clerk)
    assert Client.objects.filter(archived_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_archive_the_new_one_archives_it_through_the_service_and_closes_its_pairs(clerk_client, pos_list_editable, awa):
    pair = pair_of(pos_list_editable, awa)
    version = pair.new_client.version

    response = clerk_client.post(CHANGELIST, {"action": "archive_new", "_selected_action": [pair.pk]})

    assert [str(message) for message in get_messages(response.wsgi_request)] == ["1 new client archived."]
    new, existing = Client.objects.get(pk=pair.new_client_id), Client.objects.get(pk=pair.existing_client_id)
    assert new.is_archived and new.version == version + 1 and not existing.is_archived
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.NEW_ARCHIVED
    # Already reviewed: a second time changes nothing.
    assert possible_duplicates_archive_new(user=None, duplicates=PossibleDuplicate.objects.all()) == 0
    assert possible_duplicates_dismiss(user=None, duplicates=PossibleDuplicate.objects.all()) == 0


@pytest.mark.django_db
def test_a_supervisor_sees_the_pairs_of_their_reps_only_and_reviews_none(client, pos_list_editable, awa, koffi):
    supervisor = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.create(user=awa, supervisor=supervisor)
    awas = pair_of(pos_list_editable, awa)
    pair_of(pos_list_editable, koffi, name="Kiosque Koffi")
    client.force_login(supervisor)

    response = client.get(CHANGELIST)

    assert list(response.context["cl"].result_list) == [awas]
    action_form = response.context["action_form"]
    assert action_form is None or "not_duplicate" not in dict(action_form.fields["action"].choices)
    client.post(CHANGELIST, {"action": "not_duplicate", "_selected_action": [awas.pk]})
    awas.refresh_from_db()
    assert awas.status == PossibleDuplicate.Status.OPEN


@pytest.mark.django_db
def test_the_changelist_queries_do_not_grow_with_the_number_of_pairs(
    clerk_client, pos_list_editable, django_assert_num_queries
):
    rep = RepFactory(username="awa")
    for index in range(3):
        pair_of(pos_list_editable, rep, name=f"Boutique {index}")
    with CaptureQueriesContext(connection) as three:
        assert clerk_client.get(CHANGELIST).status_code == 200
    for index in range(3, 12):
        pair_of(pos_list_editable, rep, name=f"Boutique {index}")

    # 1. the session  2. the clerk  3. the clerk's own permissions  4. the permissions of the clerk's groups
    # 5. whether the clerk is a supervisor (fieldsales.accounts.team_of)
    # 6. the count of pairs matching the filters  7. the count of all pairs ("N total")
    # 8. the page of pairs, with both clients, their lists and the rep (select_related)
    with django_assert_num_queries(len(three.captured_queries)):
        response = clerk_client.get(CHANGELIST)

    assert len(three.captured_queries) == 8, [query["sql"] for query in three.captured_queries]
    assert len(response.context["cl"].result_list) == 12
