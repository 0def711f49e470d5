"""The rules the pull publishes (docs/sync-protocol-v2.md, fieldsales/sync/pull.py `published_rules`): sent when the
device holds another version of them, never again once it holds them, and with the lists and workflows again when
they changed, since those records carry rules of their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import clients.schema
from fieldsales.sync.pull import published_rules
from tests.factories import make_client
from tests.sync.conftest import Device, device_for


def pull(device: Device, **params: Any) -> dict[str, Any]:
    query = {"v": "2", **({"cursor": device.cursor} if device.cursor else {}), **params}
    response = device.http.get("/api/sync/pull", query)
    assert response.status_code == 200, response.content
    page = response.json()
    device.cursor = page["cursor"] or device.cursor
    return page


@pytest.fixture
def synced(rep1, pos_list_editable, visit_workflow) -> Device:  # type: ignore[no-untyped-def]
    """rep1's phone after a first sync, holding the rules of now."""
    make_client(pos_list_editable, reps=(rep1,))
    device = device_for(rep1)
    while pull(device, rules="").get("more"):
        pass
    return device


def test_a_first_sync_gets_the_rules_with_their_version_and_an_app_that_does_not_ask_never(rep1, pos_list_editable):
    make_client(pos_list_editable, reps=(rep1,))

    page = pull(device_for(rep1), rules="")

    assert page["rules"] == {
        "accuracy_credit_m": 50.0,
        "money": {"places": 2, "rounding": "half_even", "currency": "FCFA"},
        "name_max": 200,
        "duplicates": {"radius_m": 150, "max_edits": 2},
        "version": published_rules()["version"],
    }
    assert len(page["rules"]["version"]) == 12
    sent = [(change["type"], change["id"]) for change in page["changes"]]
    assert len(sent) == len(set(sent))  # a first sync's snapshot has every list already: none is sent twice
    assert "rules" not in pull(device_for(rep1))
    assert "rules" not in pull(device_for(rep1), v="1")


def test_a_phone_holding_the_rules_is_not_sent_them_again_nor_the_lists(synced, rep1, pos_list_editable):
    version = published_rules()["version"]
    make_client(pos_list_editable, name="Nouvelle boutique", reps=(rep1,))

    page = pull(synced, rules=version)

    assert "rules" not in page
    assert [change["type"] for change in page["changes"]] == ["client"]


def test_new_rules_come_with_the_lists_and_workflows_again_before_the_changes(
    synced, rep1, pos_list_editable, visit_workflow, settings
):
    held = published_rules()["version"]
    settings.CURRENCY = "€"
    make_client(pos_list_editable, name="Nouvelle boutique", reps=(rep1,))

    page = pull(synced, rules=held)

    assert page["rules"]["money"]["currency"] == "€"
    assert page["rules"]["version"] != held
    assert [(change["type"], change["id"]) for change in page["changes"]] == [
        ("client_list", str(pos_list_editable.pk)),
        ("workflow", str(visit_workflow["workflow"].pk)),
        ("client", page["changes"][-1]["id"]),
    ]
    assert page["changes"][0]["data"]["attributes"][0]["rules"] == {"max_length": 255}
    assert "rules" not in pull(synced, rules=page["rules"]["version"])


def test_a_limit_changed_in_the_schema_changes_the_version_and_the_lists_carry_it(synced, monkeypatch):
    held = published_rules()["version"]
    monkeypatch.setattr(clients.schema, "TEXT_MAX", 300)

    page = pull(synced, rules=held)

    assert page["rules"]["version"] != held
    lists = [change for change in page["changes"] if change["type"] == "client_list"]
    assert lists[0]["data"]["attributes"][0]["rules"] == {"max_length": 300}


def test_holding_the_rules_costs_a_pull_no_query(synced, rep1, pos_list_editable):
    version = published_rules()["version"]
    make_client(pos_list_editable, name="Nouvelle boutique", reps=(rep1,))
    cursor = synced.cursor

    with CaptureQueriesContext(connection) as without:
        pull(synced)
    synced.cursor = cursor
    with CaptureQueriesContext(connection) as holding:
        pull(synced, rules=version)

    assert len(holding) == len(without)


def test_the_openapi_document_says_how_to_ask_for_the_rules(client):
    document = client.get("/api/schema/", {"format": "json"}).json()
    pull_operation = document["paths"]["/api/sync/pull"]["get"]

    assert "rules" in [parameter["name"] for parameter in pull_operation["parameters"]]
    rules = document["components"]["schemas"]["SyncRules"]["properties"]
    assert {"version", "money", "accuracy_credit_m", "name_max", "duplicates"} <= set(rules)
