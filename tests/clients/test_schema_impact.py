"""A change of a list's schema that touches clients: the counts the office sees before saving (clients/impact.py),
the confirmation in the list's admin, and clients recorded before an attribute became required, which stay editable
in the admin and are checked in all the same."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from clients.impact import REMOVED, REQUIRED, RULE, Impact, SchemaChange, schema_changes, schema_impact
from clients.models import AttributeDefinition, Client, ClientList
from clients.schema import AttributeSpec, AttributeType
from clients.services import client_update
from fieldsales.geo import Position
from tests.admin_forms import form_data
from tests.factories import AttributeFactory, make_client, make_visit_workflow
from workflows.models import Visit
from workflows.services import visit_check_in

CODE = AttributeSpec("code", AttributeType.TEXT, label_en="Client code", label_fr="Code client", required=True)


@pytest.fixture
def shops(pos_list: ClientList) -> dict[str, Client]:
    """Five clients of the points-of-sale list, by hand: two with a client code, three without (one of those
    archived); areas typed as text before the attribute becomes a whole number."""
    AttributeFactory(client_list=pos_list, key="code", label_en="Client code", label_fr="Code client", order=0)
    AttributeFactory(client_list=pos_list, key="taille", label_en="Size", label_fr="Taille", order=9)
    base = {"quartier": "Cocody", "categorie": "Boutique"}
    shops = {
        "a": make_client(pos_list, "A", {**base, "code": "C001", "taille": "12"}),
        "b": make_client(pos_list, "B", {**base, "code": "C002", "taille": "grand"}),
        "c": make_client(pos_list, "C", {**base, "taille": "moyen"}),
        "d": make_client(pos_list, "D", {**base, "taille": "40"}),
        "archived": make_client(pos_list, "E", {**base, "taille": "petit"}),
    }
    Client.objects.filter(pk=shops["archived"].pk).update(archived_at=timezone.now())
    return shops


def spec_of(pos_list: ClientList, key: str) -> AttributeSpec:
    return next(spec for spec in ClientList.objects.get(pk=pos_list.pk).specs() if spec.key == key)


# The counts ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_change_counts_the_active_clients_it_touches_in_one_query_per_attribute(
    pos_list, shops, django_assert_num_queries
):
    taille = spec_of(pos_list, "taille")
    changes = [
        SchemaChange(REQUIRED, CODE),
        SchemaChange(REMOVED, spec_of(pos_list, "quartier")),
        SchemaChange(RULE, AttributeSpec("taille", AttributeType.INTEGER, label_en="Size"), taille),
        SchemaChange(REQUIRED, AttributeSpec("surface_m2", AttributeType.INTEGER, required=True)),
    ]

    # The list's active clients, then one aggregate per change.
    with django_assert_num_queries(1 + len(changes)):
        impacts = schema_impact(client_list=pos_list, changes=changes)

    assert [(impact.change.kind, impact.change.spec.key, impact.touched, impact.total) for impact in impacts] == [
        (REQUIRED, "code", 2, 4),  # C and D have no code; the archived one is nobody's work
        (REMOVED, "quartier", 4, 4),
        (RULE, "taille", 2, 4),  # "grand" and "moyen" are no whole numbers; "12" and "40" are
        (REQUIRED, "surface_m2", 4, 4),
    ]
    assert sorted(impacts[2].examples) == ["grand", "moyen"]


@pytest.mark.django_db
def test_a_change_that_touches_no_client_is_left_out(pos_list, shops):
    everyone_has_one = SchemaChange(REQUIRED, spec_of(pos_list, "quartier"))
    nobody_has_one = SchemaChange(REMOVED, spec_of(pos_list, "gerant_email"))
    assert schema_impact(client_list=pos_list, changes=[everyone_has_one, nobody_has_one]) == []


def test_the_summary_says_the_counts_and_the_attribute_in_words():
    impact = Impact(SchemaChange(REQUIRED, CODE), touched=212, total=300)
    assert impact.summary == "212 of 300 clients have no value for “Client code”."
    assert impact.asked.startswith("Reps will be asked to fill it before checking in")
    one = Impact(SchemaChange(RULE, AttributeSpec("t", "integer", label_en="Size")), 1, 3, ("grand",))
    assert (
        one.summary == "1 of 3 clients has a value for “Size” that its new rule (Integer) cannot read, such as “grand”."
    )


def test_changes_are_read_from_each_attribute_before_and_after():
    text = AttributeSpec("taille", "text")
    assert schema_changes([(None, CODE)]) == [SchemaChange(REQUIRED, CODE)]
    assert schema_changes([(text, None)]) == [SchemaChange(REMOVED, text)]
    choice = AttributeSpec("taille", "choice", options=("petit", "grand"))
    assert schema_changes([(text, choice)]) == [SchemaChange(RULE, choice, text)]
    renamed = AttributeSpec("size", "text", required=True)
    assert schema_changes([(text, renamed)]) == [SchemaChange(REMOVED, text), SchemaChange(REQUIRED, renamed)]
    assert schema_changes([(text, AttributeSpec("taille", "text", label_en="Size"))]) == []


# The confirmation in the list's admin --------------------------------------------------------------------------------


def list_url(client_list: ClientList) -> str:
    return f"/admin/clients/clientlist/{client_list.pk}/change/"


def attribute_row(data: dict[str, Any], key: str) -> str:
    """The inline prefix of the attribute of `key` on the list's page ("attributes-3-")."""
    name = next(name for name, value in data.items() if name.startswith("attributes-") and value == key)
    return name.rsplit("-", 1)[0] + "-"


@pytest.mark.django_db
def test_making_an_attribute_required_shows_the_clients_it_touches_and_saves_only_once_confirmed(
    manager_client, pos_list, shops
):
    data = form_data(manager_client.get(list_url(pos_list)).content)
    data[attribute_row(data, "code") + "required"] = "on"

    shown = manager_client.post(list_url(pos_list), data)

    assert shown.status_code == 200
    text = " ".join(strip_tags(shown.content.decode()).split())
    assert "2 of 4 clients have no value for “Client code”." in text
    assert "Reps will be asked to fill it before checking in" in text
    assert "Please correct the error" not in text  # nothing to correct: a change to confirm
    assert not AttributeDefinition.objects.get(client_list=pos_list, key="code").required

    confirmed = manager_client.post(list_url(pos_list), {**form_data(shown.content), **confirm(shown)})

    assert confirmed.status_code == 302
    assert AttributeDefinition.objects.get(client_list=pos_list, key="code").required


def confirm(page: Any) -> dict[str, str]:
    """What the page's Confirm and save button sends."""
    return {page.context["impact_confirm"]: page.context["impact_signature"]}


@pytest.mark.django_db
def test_removing_or_retyping_an_attribute_shows_its_impact_too(manager_client, pos_list, shops):
    data = form_data(manager_client.get(list_url(pos_list)).content)
    data[attribute_row(data, "quartier") + "DELETE"] = "on"
    data[attribute_row(data, "taille") + "type"] = "integer"

    shown = manager_client.post(list_url(pos_list), data)

    summaries = [impact.summary for impact in shown.context["schema_impacts"]]
    assert summaries == [
        "4 of 4 clients have a value for “District”, which will no longer be shown, exported or asked for.",
        "2 of 4 clients have a value for “Size” that its new rule (Integer) cannot read, such as “grand”, “moyen”.",
    ]
    assert AttributeDefinition.objects.filter(client_list=pos_list, key="quartier").exists()


@pytest.mark.django_db
def test_a_confirmation_of_other_changes_does_not_save_new_ones(manager_client, pos_list, shops):
    data = form_data(manager_client.get(list_url(pos_list)).content)
    data[attribute_row(data, "code") + "required"] = "on"
    shown = manager_client.post(list_url(pos_list), data)
    edited = {**form_data(shown.content), **confirm(shown)}
    edited[attribute_row(edited, "quartier") + "DELETE"] = "on"  # changed after reading the counts

    again = manager_client.post(list_url(pos_list), edited)

    assert again.status_code == 200
    assert len(again.context["schema_impacts"]) == 2
    assert not AttributeDefinition.objects.get(client_list=pos_list, key="code").required


@pytest.mark.django_db
def test_a_change_that_touches_no_client_is_saved_at_once(manager_client, pos_list, shops):
    data = form_data(manager_client.get(list_url(pos_list)).content)
    data[attribute_row(data, "gerant_email") + "required"] = "on"
    Client.objects.filter(client_list=pos_list).update(attributes={"gerant_email": "awa@example.ci"})

    assert manager_client.post(list_url(pos_list), data).status_code == 302
    assert AttributeDefinition.objects.get(client_list=pos_list, key="gerant_email").required


# Clients recorded before the rule ----------------------------------------------------------------------------------


def client_url(client: Client) -> str:
    return f"/admin/clients/client/{client.pk}/change/"


@pytest.mark.django_db
def test_a_client_without_a_newly_required_value_is_saved_in_the_admin_and_checked_in(clerk_client, awa, pos_list):
    shop = make_client(pos_list, "Boutique Sans Code")
    AttributeFactory(client_list=pos_list, key="code", label_en="Client code", label_fr="Code client", required=True)
    page = clerk_client.get(client_url(shop))
    assert "reps are asked to fill it before their next check-in" in page.content.decode()
    data = form_data(page.content)
    data["name"] = "Boutique Sans Code (Cocody)"

    saved = clerk_client.post(client_url(shop), data)

    assert saved.status_code == 302
    shop = Client.objects.select_related("client_list").get(pk=shop.pk)
    assert (shop.name, "code" in shop.attributes) == ("Boutique Sans Code (Cocody)", False)
    sales = make_visit_workflow()
    at_the_shop = Position(shop.lat, shop.lng, 10)  # type: ignore[arg-type]
    visit = visit_check_in(
        rep=awa, visit_id=uuid.uuid4(), client=shop, workflow=sales["workflow"], position=at_the_shop
    )
    assert Visit.objects.get(pk=visit.pk).client == shop


@pytest.mark.django_db
def test_a_required_value_the_client_has_still_cannot_be_emptied_nor_left_out_of_a_new_client(clerk_client, pos_list):
    shop = make_client(pos_list, "Boutique", {"quartier": "Cocody", "categorie": "Boutique"})
    data = form_data(clerk_client.get(client_url(shop)).content)
    data["attr_quartier"] = ""

    refused = clerk_client.post(client_url(shop), data)

    assert list(refused.context["adminform"].form.errors) == ["attr_quartier"]
    new_page = clerk_client.get(f"/admin/clients/client/add/?client_list={pos_list.pk}")
    assert new_page.context["adminform"].form.fields["attr_quartier"].required


@pytest.mark.django_db
def test_the_service_takes_an_empty_value_for_a_required_attribute_the_client_never_had_as_no_change(pos_list):
    shop = make_client(pos_list, "Boutique")
    AttributeFactory(client_list=pos_list, key="code", label_en="Client code", label_fr="Code client", required=True)
    shop = Client.objects.select_related("client_list").get(pk=shop.pk)

    same = client_update(user=None, client=shop, data={"attributes": {"code": None, "quartier": "Cocody"}})

    assert (same.version, "code" in same.attributes) == (1, False)
    with pytest.raises(Exception, match="This field is required"):
        client_update(user=None, client=shop, data={"attributes": {"quartier": ""}})
