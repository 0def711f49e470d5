"""A client's read-only page in the admin (an archived client, any client for a supervisor) shows the values of its
list's attributes and its reps, labelled as the form labels them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import translation
from django.utils.html import strip_tags

from clients.services import client_archive
from fieldsales.models import Profile
from tests.clients.conftest import FULL_ATTRIBUTES
from tests.factories import SupervisorFactory, make_client

# The phone (in the list's country's national format), each attribute of FULL_ATTRIBUTES and the reps as the page shows
# them, under their English labels.
SHOWN = {
    "Phone": "07 07 08 0910",
    "District": "Cocody",
    "Category": "Épicerie",
    "Area (m²)": "120",
    "Monthly turnover": "12.5",
    "Opened on": "Jan. 15, 2024",
    "Fridge": "Yes",
    "Services": "Mobile money; Crédit",
    "Manager email": "awa@example.com",
    "Reps": "awa, koffi",
}


def shown_values(response: Any) -> dict[str, str]:
    """Each read-only row of the page: its label, and the text of its value."""
    html = response.content.decode()
    rows = re.findall(r'<label>(.*?):</label>\s*<div class="readonly">(.*?)</div>', html, flags=re.S)
    return {strip_tags(label).strip(): " ".join(strip_tags(value).split()) for label, value in rows}


@pytest.fixture
def shop(pos_list, awa, koffi):  # type: ignore[no-untyped-def]
    return make_client(pos_list, "Épicerie du Marché", FULL_ATTRIBUTES, reps=[awa, koffi], phone="+2250707080910")


def page_of(http: HttpClient, client: Any) -> Any:
    response = http.get(f"/admin/clients/client/{client.pk}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False  # the read-only page
    return response


@pytest.mark.django_db
def test_an_archived_clients_page_shows_its_attributes_and_reps(clerk_client, clerk, shop):
    archived = client_archive(user=clerk, client=shop)

    shown = shown_values(page_of(clerk_client, archived))

    assert {label: shown.get(label) for label in SHOWN} == SHOWN
    assert not [label for label in shown if label.startswith("Attr ")]


@pytest.mark.django_db
def test_a_supervisor_sees_the_values_of_their_reps_clients(client, shop, awa):
    supervisor = SupervisorFactory(username="bintou", is_staff=True)
    Profile.objects.create(user=awa, supervisor=supervisor)
    client.force_login(supervisor)

    shown = shown_values(page_of(client, shop))

    assert {label: shown.get(label) for label in SHOWN} == SHOWN


@pytest.mark.django_db
def test_an_empty_attribute_shows_as_empty_not_as_none(clerk_client, clerk, pos_list):
    archived = client_archive(
        user=clerk, client=make_client(pos_list, "Boutique Vide", {"quartier": "Plateau", "categorie": "Boutique"})
    )

    shown = shown_values(page_of(clerk_client, archived))

    assert shown["District"] == "Plateau"
    assert shown["Area (m²)"] in ("", "-")
    assert "None" not in shown.values()


@pytest.mark.django_db
def test_the_page_follows_the_clerks_language(clerk_client, clerk, shop):
    archived = client_archive(user=clerk, client=shop)

    # The page's language stays the page's: the middleware activates it in this thread, the other tests speak English.
    with translation.override("en"):
        response = clerk_client.get(f"/admin/clients/client/{archived.pk}/change/", HTTP_ACCEPT_LANGUAGE="fr")

    shown = shown_values(response)
    assert shown["Quartier"] == "Cocody"
    assert shown["Frigo"] == "Oui"
