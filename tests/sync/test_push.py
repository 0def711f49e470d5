"""The push half of the sync contract: the envelope, the four statuses, exactly-once, order, and the answers'
language. The ops of each app have their own files: test_push_clients.py and test_push_visits.py."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings as django_settings
from django.test import Client as HttpClient
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from clients.models import Client
from clients.ops import NO_CREATE
from fieldsales.geo import EARTH_RADIUS_M
from fieldsales.models import Blob, SyncOp
from fieldsales.sync.errors import (
    DEPENDS_MESSAGE,
    NOT_FOUND_MESSAGE,
    NOT_MADE_AT,
    NOT_UUID,
    OP_ID_REUSED_MESSAGE,
    UNKNOWN_TYPE,
)
from fieldsales.sync.registry import OPS
from tests.factories import ABIDJAN, make_client
from tests.sync.conftest import Device, new_id, op
from tests.sync.test_blobs import jpeg_bytes
from workflows.models import ActivitySubmission, Note, OrderLine, Visit
from workflows.services import TOO_FAR_MESSAGE

STATUSES = {"applied", "duplicate", "conflict", "rejected"}
RESULT_KEYS = {"op_id", "status", "entity_id", "version", "code", "errors", "conflicts", "current"}
PO = Path(django_settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


# Helpers shared by the push tests ----------------------------------------------------------------


def client_fields(client_list: Any, **overrides: Any) -> dict[str, Any]:
    """`data` of a valid client.create on `client_list` (a list or its id, with the points-of-sale schema)."""
    return {
        "list": getattr(client_list, "pk", client_list),
        "name": "Kiosque Awa",
        "lat": ABIDJAN[0],
        "lng": ABIDJAN[1],
        "accuracy_m": 6.0,
        "phone": "+225 07 01 02 03 04",
        "attributes": {"quartier": "Plateau", "categorie": "Boutique"},
        **overrides,
    }


def north_of_client(metres: float) -> tuple[float, float]:
    """A position `metres` due north of the clients made at ABIDJAN."""
    return ABIDJAN[0] + math.degrees(metres / EARTH_RADIUS_M), ABIDJAN[1]


def checkin_data(client: Any, workflow: Any, metres: float = 0, accuracy_m: float = 5.0, **extra: Any) -> dict:
    lat, lng = north_of_client(metres)
    return {
        "client": str(client.pk),
        "workflow": workflow.pk,
        "lat": lat,
        "lng": lng,
        "accuracy_m": accuracy_m,
        **extra,
    }


def push_one(device: Device, the_op: dict[str, Any]) -> dict[str, Any]:
    [result] = device.push(the_op)
    assert set(result) == RESULT_KEYS
    assert result["op_id"] == the_op["op_id"]
    return result


def french_device(user: Any) -> Device:
    http = HttpClient(HTTP_ACCEPT_LANGUAGE="fr")
    http.force_login(user)
    return Device(http)


@dataclass(frozen=True)
class Catalogue:
    """The French catalogue as the sources hold it: what it translates, and the checks a French answer passes."""

    translated: set[str]

    def french(self, message: Any, **params: Any) -> str:
        with translation.override("fr"):
            text = str(message)
        return text % params if params else text

    def assert_french(self, text: str, message: Any, **params: Any) -> None:
        """`text` is `message` in French; where the catalogue has no French for it yet, the English one."""
        with translation.override("en"):
            msgid = str(message)
        assert text == self.french(message, **params)
        if msgid in self.translated:
            assert text != (msgid % params if params else msgid)


# The French catalogue compiled once for the run (parsing it takes longer than most tests here): its locale folder,
# and what it translates. Kept here rather than in a fixture of its own, which each module importing `catalogue`
# would have to import too.
_compiled: list[tuple[Path, Catalogue]] = []


@pytest.fixture
def catalogue(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The French catalogue of the sources for this test, so that the answers are checked against what the
    translators wrote even before `make messages` has compiled it."""
    if not _compiled:
        po = polib.pofile(str(PO))
        locale = tmp_path_factory.mktemp("catalogue") / "locale"
        target = locale / "fr" / "LC_MESSAGES"
        target.mkdir(parents=True)
        po.save_as_mofile(str(target / "django.mo"))
        translated = {entry.msgid for entry in po if entry.translated() and not entry.obsolete}
        _compiled.append((locale, Catalogue(translated)))
    locale, french = _compiled[0]
    settings.LOCALE_PATHS = [locale]
    return french


def db_counts() -> dict[str, int]:
    return {
        "clients": Client.objects.count(),
        "visits": Visit.objects.count(),
        "submissions": ActivitySubmission.objects.count(),
        "order_lines": OrderLine.objects.count(),
        "notes": Note.objects.count(),
        "ops": SyncOp.objects.count(),
    }


# The envelope --------------------------------------------------------------------------------------


def post_raw(http: HttpClient, body: str | bytes) -> Any:
    return http.post("/api/sync/push", body, content_type="application/json")


def test_a_body_that_is_not_json_is_refused_with_400(device1):
    response = post_raw(device1.http, b'{"device": "x", "ops": [')
    assert response.status_code == 400
    assert response.json()["code"] == "malformed"


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"device": new_id()},
        {"device": new_id(), "ops": {}},
        {"device": "not a uuid", "ops": []},
        {"device": new_id(), "ops": [{"type": "client.create", "entity_id": new_id(), "data": {}}]},
        {"device": new_id(), "ops": [{"op_id": "op-1", "type": "client.create", "entity_id": new_id(), "data": {}}]},
        {"device": new_id(), "ops": ["client.create"]},
    ],
    ids=["not-an-object", "no-ops", "ops-not-a-list", "bad-device", "missing-op-id", "op-id-not-uuid", "op-not-object"],
)
def test_a_malformed_envelope_is_refused_with_400_and_nothing_is_applied(device1, pos_list_editable, body):
    if isinstance(body, dict) and isinstance(body.get("ops"), list):
        # A valid op riding along in a bad envelope is not applied either.
        body = {**body, "ops": [op("client.create", data=client_fields(pos_list_editable)), *body["ops"]]}
    response = post_raw(device1.http, json.dumps(body))
    assert response.status_code == 400
    assert Client.objects.count() == 0
    assert SyncOp.objects.count() == 0


def test_more_than_200_ops_are_refused_with_400_and_200_ops_are_answered_one_by_one(device1, pos_list_editable):
    ops = [op("statement.send", data={}) for _ in range(201)]
    response = post_raw(device1.http, json.dumps({"device": device1.device_id, "ops": ops}))
    assert response.status_code == 400

    results = device1.push(*ops[:200])
    assert [result["op_id"] for result in results] == [the_op["op_id"] for the_op in ops[:200]]


def test_a_body_over_1_mib_is_refused_with_413_and_nothing_is_applied(device1, pos_list_editable):
    ops = [op("client.create", data=client_fields(pos_list_editable, name=f"Boutique {i}")) for i in range(3)]
    ops.append(op("note.create", data={"client": new_id(), "text": "x" * (1024 * 1024)}))
    response = post_raw(device1.http, json.dumps({"device": device1.device_id, "ops": ops}))
    assert response.status_code == 413
    assert db_counts() == dict.fromkeys(db_counts(), 0)


def test_a_body_of_exactly_1_mib_is_accepted(device1, pos_list_editable):
    the_op = op(
        "client.create", data=client_fields(pos_list_editable, attributes={"quartier": "P", "categorie": "Boutique"})
    )
    body = {"device": device1.device_id, "ops": [the_op], "padding": ""}
    body["padding"] = " " * (1024 * 1024 - len(json.dumps(body)))
    assert len(json.dumps(body)) == 1024 * 1024
    response = post_raw(device1.http, json.dumps(body))
    assert response.status_code == 200, response.content
    assert Client.objects.count() == 1


def test_a_push_without_a_signed_in_user_is_refused_and_changes_nothing(pos_list_editable, rep1):
    the_op = op("client.create", data=client_fields(pos_list_editable))
    response = post_raw(HttpClient(), json.dumps({"device": new_id(), "ops": [the_op]}))
    assert response.status_code in (401, 403)
    assert Client.objects.count() == 0
    assert SyncOp.objects.count() == 0


def test_a_push_after_sign_out_is_refused_and_the_same_op_applies_after_signing_in_again(
    pos_list_editable, rep1, device1
):
    the_op = op("client.create", data=client_fields(pos_list_editable))
    device1.http.logout()
    assert device1.push(the_op, expect=403)
    assert Client.objects.count() == 0

    device1.http.force_login(rep1)
    assert push_one(device1, the_op)["status"] == "applied"
    assert Client.objects.count() == 1


def test_a_push_without_the_csrf_token_is_refused_and_applies_nothing(pos_list_editable, rep1):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(rep1)
    the_op = op("client.create", data=client_fields(pos_list_editable))
    response = post_raw(http, json.dumps({"device": new_id(), "ops": [the_op]}))
    assert response.status_code == 403
    assert Client.objects.count() == 0
    assert SyncOp.objects.count() == 0


def test_a_push_with_the_csrf_token_from_the_cookie_in_x_csrftoken_is_applied(pos_list_editable, rep1):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(rep1)
    assert http.get("/accounts/login/").status_code == 200  # the sign-in page sets the csrftoken cookie
    token = http.cookies["csrftoken"].value
    the_op = op("client.create", data=client_fields(pos_list_editable))
    response = http.post(
        "/api/sync/push",
        json.dumps({"device": new_id(), "ops": [the_op]}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["status"] == "applied"
    assert Client.objects.filter(pk=the_op["entity_id"]).exists()


# One result per op, in order; each op on its own -------------------------------------------------


def test_each_op_gets_one_result_in_the_order_sent(device1, pos_list_editable):
    ops = [op("client.create", data=client_fields(pos_list_editable, name=f"Boutique {i}")) for i in range(5)]
    results = device1.push(*ops)
    assert [(result["op_id"], result["entity_id"], result["status"]) for result in results] == [
        (the_op["op_id"], the_op["entity_id"], "applied") for the_op in ops
    ]
    assert all(set(result) == RESULT_KEYS for result in results)


def test_an_invalid_op_in_the_middle_of_a_batch_does_not_undo_the_ops_around_it(device1, pos_list_editable):
    a = op("client.create", data=client_fields(pos_list_editable, name="A"))
    invalid = op("client.create", data=client_fields(pos_list_editable, name="", attributes={"quartier": "Plateau"}))
    b = op("client.create", data=client_fields(pos_list_editable, name="B"))

    results = device1.push(a, invalid, b)

    assert [result["status"] for result in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == "invalid"
    assert set(results[1]["errors"]) == {"name", "categorie"}
    assert sorted(Client.objects.values_list("name", flat=True)) == ["A", "B"]


def test_ops_apply_in_order_so_a_later_op_sees_the_earlier_ones(device1, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable, name="Avant"))
    rename = op("client.update", create["entity_id"], {"name": "Après"}, base_version=1)
    rename_again = op("client.update", create["entity_id"], {"name": "Enfin"}, base_version=2)

    results = device1.push(create, rename, rename_again)

    assert [(result["status"], result["version"]) for result in results] == [
        ("applied", 1),
        ("applied", 2),
        ("applied", 3),
    ]
    assert Client.objects.get(pk=create["entity_id"]).name == "Enfin"


def test_the_same_op_twice_in_one_push_is_applied_once_and_the_second_answers_its_outcome(device1, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable, name="Une fois"))

    first, again = device1.push(create, create)

    assert first["status"] == "applied"
    assert again == {**first, "status": "duplicate"}
    assert Client.objects.count() == SyncOp.objects.count() == 1


def test_an_error_that_is_not_a_rejection_applies_nothing_of_the_push_which_applies_when_sent_again(
    device1, pos_list_editable, monkeypatch
):
    create = op("client.create", data=client_fields(pos_list_editable, name="Avant"))
    rename = op("client.update", create["entity_id"], {"name": "Après"}, base_version=1)

    def broken(the_op: Any) -> Any:
        raise RuntimeError("a bug in a handler")

    with monkeypatch.context() as patched:
        patched.setitem(OPS, "client.update", dataclasses.replace(OPS["client.update"], handler=broken))
        with pytest.raises(RuntimeError):
            device1.push(create, rename)
    assert db_counts() == dict.fromkeys(db_counts(), 0)

    assert [result["status"] for result in device1.push(create, rename)] == ["applied", "applied"]
    assert Client.objects.get(pk=create["entity_id"]).name == "Après"


# Unknown types and a bad envelope of one op -------------------------------------------------------


@pytest.mark.parametrize(
    "type_",
    ["client.delete", "", None, ["client.create"]],
    ids=["unknown", "empty", "missing", "a-list"],
)
def test_an_op_of_a_type_the_server_does_not_apply_is_rejected_invalid_on_type(device1, pos_list_editable, type_):
    the_op = op(str(type_), data={"client": new_id(), "channel": "email", "recipient": "a@example.com"})
    the_op["type"] = type_
    result = push_one(device1, the_op)
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert result["errors"] == {"type": [str(UNKNOWN_TYPE)]}
    assert SyncOp.objects.count() == 0


def test_an_op_with_a_bad_entity_id_or_made_at_is_rejected_invalid_per_field(device1, pos_list_editable):
    the_op = op("client.create", "not-a-uuid", client_fields(pos_list_editable), made_at="yesterday")
    result = push_one(device1, the_op)
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert result["errors"] == {"entity_id": [str(NOT_UUID)], "made_at": [str(NOT_MADE_AT)]}
    assert result["entity_id"] is None
    assert Client.objects.count() == 0


@pytest.mark.parametrize(
    ("type_", "data", "field"),
    [
        ("note.create", {"text": "Fermé\x00"}, "text"),
        ("note.create", {"text": "Fermé \ud83d"}, "text"),
        ("activity.submit", {"values": {"part_rayon": 3, "remarque": "a\x00b"}}, "remarque"),
        ("activity.submit", {"values": {"part_rayon": float("inf")}}, "part_rayon"),
        ("visit.checkin", {"lat": float("nan"), "lng": 0}, "lat"),
        ("visit.end", {"at": "2026-11-22T10:00:00+00:00\x00"}, "at"),
        ("client.update", {"attributes": {"quartier\x00": "Cocody"}}, "attributes"),
    ],
)
def test_a_null_character_half_an_emoji_or_a_number_that_is_not_finite_is_rejected_invalid_on_its_field(
    device1, pos_list_editable, type_, data, field
):
    """No database stores these (PostgreSQL refuses a NUL in text and in JSON; JSON has no NaN): they are the
    rep's to correct, not a server error that would block the queue."""
    result = push_one(device1, op(type_, data=data, base_version=1))
    assert (result["status"], result["code"], list(result["errors"])) == ("rejected", "invalid", [field])
    assert SyncOp.objects.count() == 0


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# 500: far deeper than any op, and within what the JSON parser reaches from under the request's middlewares and the test
# runner's frames (Python's recursion limit, 1000, counts those too; 900 left too few once compression was added).
@pytest.mark.parametrize("depth", [20, 500])
def test_an_op_nested_far_deeper_than_any_op_needs_is_rejected_invalid_not_a_server_error(device1, depth):
    the_op = op("note.create", data={"client": new_id(), "text": "Vu."})
    text_op = json.dumps({**the_op, "data": {**the_op["data"], "text": "@@"}}).replace('"@@"', nested(depth))
    extra_op = json.dumps({**the_op, "op_id": new_id(), "extra": "@@"}).replace('"@@"', nested(depth))
    response = post_raw(device1.http, '{"device": null, "ops": [' + text_op + ", " + extra_op + "]}")

    assert response.status_code == 200, response.content
    text_result, extra_result = response.json()["results"]
    assert (text_result["code"], list(text_result["errors"])) == ("invalid", ["text"])
    assert (extra_result["code"], list(extra_result["errors"])) == ("invalid", ["extra"])


def test_a_body_nested_deeper_than_the_json_parser_goes_is_refused_with_400(device1):
    response = post_raw(device1.http, '{"device": null, "ops": ' + nested(50_000) + "}")
    assert (response.status_code, response.json()["code"]) == (400, "malformed")


@pytest.mark.parametrize(
    "made_at",
    [
        "2026-02-30T09:00:00+00:00",
        "2026-11-22T25:00:00+00:00",
        "2026-11-22T09:00:00",
        "0001-01-01T00:00:00+02:34:48",  # before the first UTC moment: no database can store it
    ],
)
def test_a_made_at_that_is_not_a_real_moment_with_a_time_zone_is_rejected_invalid(device1, pos_list_editable, made_at):
    result = push_one(device1, op("client.create", data=client_fields(pos_list_editable), made_at=made_at))
    assert (result["status"], result["code"], result["errors"]) == (
        "rejected",
        "invalid",
        {"made_at": [str(NOT_MADE_AT)]},
    )


# Exactly once ---------------------------------------------------------------------------------------


def test_a_resent_op_is_a_duplicate_with_the_first_outcome_and_changes_nothing(device1, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable))
    first = push_one(device1, create)
    before = Client.objects.values().get(pk=create["entity_id"])

    again = push_one(device1, create)

    assert first["status"] == "applied"
    assert again == {**first, "status": "duplicate"}
    assert Client.objects.values().get(pk=create["entity_id"]) == before
    assert SyncOp.objects.count() == 1


def test_a_resent_update_is_a_duplicate_even_after_later_changes_and_does_not_undo_them(
    device1, pos_list_editable, rep1
):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    rename = op("client.update", str(client.pk), {"name": "Premier nom"}, base_version=1)
    assert push_one(device1, rename)["version"] == 2
    assert (
        push_one(device1, op("client.update", str(client.pk), {"name": "Second nom"}, base_version=2))["version"] == 3
    )

    again = push_one(device1, rename)

    assert (again["status"], again["version"]) == ("duplicate", 2)
    client.refresh_from_db()
    assert (client.name, client.version) == ("Second nom", 3)


def test_the_same_op_id_with_a_different_payload_is_rejected_op_id_reused(device1, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable, name="Original"))
    push_one(device1, create)
    changed = {**create, "data": client_fields(pos_list_editable, name="Autre chose")}

    result = push_one(device1, changed)

    assert (result["status"], result["code"]) == ("rejected", "op_id_reused")
    assert result["errors"] == {"non_field_errors": [str(OP_ID_REUSED_MESSAGE)]}
    assert list(Client.objects.values_list("name", flat=True)) == ["Original"]
    # The first payload still answers as before.
    assert push_one(device1, create)["status"] == "duplicate"


def test_an_op_id_used_by_another_rep_is_op_id_reused_and_reveals_nothing(device1, device2, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable, name="À Awa"))
    push_one(device1, create)

    result = push_one(device2, create)

    assert (result["status"], result["code"], result["version"], result["current"]) == (
        "rejected",
        "op_id_reused",
        None,
        None,
    )
    assert Client.objects.get().name == "À Awa"


def mixed_batch(pos_list_editable: Any, workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """A morning's work: a new client, an edit, a visit with a form and an order, a note, the visit's end."""
    client_op = op("client.create", data=client_fields(pos_list_editable, name="Nouvelle boutique"))
    client_id = client_op["entity_id"]
    visit_id = new_id()
    products = workflow["products"]
    return [
        client_op,
        op("client.update", client_id, {"attributes": {"surface_m2": 40}}, base_version=1),
        op("client.create", data=client_fields(pos_list_editable, name="Autre boutique")),
        op(
            "visit.checkin",
            visit_id,
            {"client": client_id, "workflow": workflow["workflow"].pk, "lat": ABIDJAN[0], "lng": ABIDJAN[1]},
        ),
        op("activity.submit", data={"visit": visit_id, "activity": workflow["form"].pk, "values": {"part_rayon": 30}}),
        op(
            "activity.submit",
            data={
                "visit": visit_id,
                "activity": workflow["order"].pk,
                "values": {},
                "lines": [
                    {"product": products[0].pk, "quantity": 2, "unit_price": "1500"},
                    {"product": products[1].pk, "quantity": "1.5", "unit_price": "200.50"},
                    {"product": products[2].pk, "quantity": 10, "unit_price": "99.99"},
                ],
            },
        ),
        op("note.create", data={"client": client_id, "visit": visit_id, "text": "Rayon bien tenu."}),
        op("visit.end", visit_id, {"at": "2026-11-22T09:40:00+00:00"}),
    ]


def test_a_mixed_batch_pushed_three_times_is_applied_exactly_once(device1, pos_list_editable, visit_workflow):
    batch = mixed_batch(pos_list_editable, visit_workflow)

    first = device1.push(*batch)
    counts = db_counts()
    second = device1.push(*batch)
    third = device1.push(*batch)

    assert [result["status"] for result in first] == ["applied"] * len(batch)
    assert counts == {"clients": 2, "visits": 1, "submissions": 2, "order_lines": 3, "notes": 1, "ops": len(batch)}
    for replay in (second, third):
        assert [result["status"] for result in replay] == ["duplicate"] * len(batch)
        assert [result["version"] for result in replay] == [result["version"] for result in first]
        assert [result["entity_id"] for result in replay] == [result["entity_id"] for result in first]
    assert db_counts() == counts
    visit = Visit.objects.get()
    assert visit.ended_at is not None
    assert visit.submissions.get(activity=visit_workflow["order"]).order_total == Decimal("4300.65")


def test_a_batch_whose_answer_was_lost_and_that_grew_meanwhile_applies_only_the_new_ops(device1, pos_list_editable):
    sent = [op("client.create", data=client_fields(pos_list_editable, name=f"Boutique {i}")) for i in range(3)]
    device1.push(*sent)
    later = op("client.create", data=client_fields(pos_list_editable, name="Boutique 3"))

    results = device1.push(*sent, later)

    assert [result["status"] for result in results] == ["duplicate"] * 3 + ["applied"]
    assert Client.objects.count() == 4


# depends_on_rejected and missing_blob ---------------------------------------------------------------


def test_ops_on_a_client_whose_creation_was_rejected_are_rejected_depends_on_rejected(
    device1, pos_list_editable, visit_workflow
):
    create = op(
        "client.create",
        data=client_fields(pos_list_editable, attributes={"quartier": "Plateau", "categorie": "Kiosque"}),
    )
    client_id = create["entity_id"]
    visit_id = new_id()
    batch = [
        create,
        op("client.update", client_id, {"name": "Nouveau nom"}, base_version=1),
        op("visit.checkin", visit_id, {"client": client_id, "workflow": visit_workflow["workflow"].pk}),
        op("note.create", data={"client": client_id, "text": "Passé ce matin."}),
        op("client.archive", client_id),
        op("activity.submit", data={"visit": visit_id, "activity": visit_workflow["form"].pk, "values": {}}),
        op("visit.end", visit_id),
    ]

    results = device1.push(*batch)

    assert (results[0]["status"], results[0]["code"]) == ("rejected", "invalid")
    assert list(results[0]["errors"]) == ["categorie"]
    assert [(result["status"], result["code"]) for result in results[1:]] == [("rejected", "depends_on_rejected")] * 6
    assert all(result["errors"] == {"non_field_errors": [str(DEPENDS_MESSAGE)]} for result in results[1:])
    assert db_counts()["clients"] == db_counts()["visits"] == db_counts()["notes"] == 0


def test_once_the_rejected_creation_is_fixed_by_a_new_op_the_dependent_ops_apply(device1, pos_list_editable):
    rejected = op("client.create", data=client_fields(pos_list_editable, name=""))
    client_id = rejected["entity_id"]
    assert push_one(device1, rejected)["status"] == "rejected"
    rename = op("client.update", client_id, {"name": "Enfin nommée"}, base_version=1)
    assert push_one(device1, rename)["code"] == "depends_on_rejected"

    fixed = op("client.create", client_id, client_fields(pos_list_editable, name="Nommée"))
    assert push_one(device1, fixed)["status"] == "applied"
    assert push_one(device1, rename)["status"] == "applied"
    assert Client.objects.get(pk=client_id).name == "Enfin nommée"


def test_an_op_on_an_entity_another_reps_creation_of_which_was_rejected_is_just_not_found(
    device1, device2, pos_list_editable, catalogue
):
    create = op("client.create", data=client_fields(pos_list_editable, name=""))
    push_one(device2, create)

    result = push_one(device1, op("client.update", create["entity_id"], {"name": "X"}, base_version=1))

    assert (result["code"], result["errors"]) == ("not_found", {"non_field_errors": [str(NOT_FOUND_MESSAGE)]})


def test_an_op_naming_a_photo_not_uploaded_is_rejected_missing_blob_then_applies_once_the_photo_is(
    device1, pos_list_editable, rep1, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo_id = new_id()
    create = op("client.create", data=client_fields(pos_list_editable, photo=photo_id))

    first = push_one(device1, create)
    assert (first["status"], first["code"], list(first["errors"])) == ("rejected", "missing_blob", ["photo"])
    assert Client.objects.count() == 0

    response = device1.http.put(f"/api/sync/blobs/{photo_id}", jpeg_bytes((800, 600)), content_type="image/jpeg")
    assert response.status_code == 201
    again = push_one(device1, create)

    assert (again["status"], again["version"]) == ("applied", 1)
    client = Client.objects.get(pk=create["entity_id"])
    assert str(client.photo_id) == photo_id
    assert client.photo == Blob.objects.get(pk=photo_id)
    # Applied now, the op answers as any applied op.
    assert push_one(device1, create)["status"] == "duplicate"


def test_a_photo_uploaded_by_another_user_cannot_be_named_and_stays_missing(
    device1, device2, pos_list_editable, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo_id = new_id()
    assert device2.http.put(f"/api/sync/blobs/{photo_id}", jpeg_bytes(), content_type="image/jpeg").status_code == 201

    result = push_one(device1, op("client.create", data=client_fields(pos_list_editable, photo=photo_id)))

    assert (result["status"], result["code"]) == ("rejected", "missing_blob")
    assert Client.objects.count() == 0


# The rep's language ---------------------------------------------------------------------------------


def test_every_rejection_is_explained_in_french_to_a_rep_whose_phone_speaks_french(
    rep1, pos_list_editable, visit_workflow, catalogue
):
    from clients.models import AttributeDefinition, ListAccess
    from clients.ops import BLOB_MISSING, NO_ARCHIVE
    from clients.schema import NOT_OPTION, REQUIRED
    from clients.services import NO_EDIT
    from tests.factories import make_pos_list

    device = french_device(rep1)
    read_only = make_pos_list("Grossistes")
    ListAccess.objects.create(client_list=read_only, group=rep1.groups.get())
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    read_only_client = make_client(read_only, reps=(rep1,))
    AttributeDefinition.objects.filter(client_list=read_only, key="surface_m2").update(required=True)
    workflow = visit_workflow["workflow"]
    rejected_create = op("client.create", data=client_fields(pos_list_editable, attributes={"categorie": "Kiosque"}))
    reused = op("client.create", data=client_fields(pos_list_editable))

    results = device.push(
        rejected_create,
        op("client.create", data=client_fields(read_only)),
        op("client.update", str(read_only_client.pk), {"name": "X"}, base_version=1),
        op("client.archive", str(client.pk)),
        op("client.update", new_id(), {"name": "X"}, base_version=1),
        op("visit.checkin", data=checkin_data(client, workflow, metres=300, accuracy_m=10)),
        op("visit.checkin", data=checkin_data(read_only_client, workflow)),
        reused,
        {**op("client.create", data={}), "op_id": reused["op_id"]},
        op("note.create", data={"client": rejected_create["entity_id"], "text": "Vu."}),
        op("client.create", data=client_fields(pos_list_editable, photo=new_id())),
        op("client.delete", data={}),
    )
    answers: dict[tuple[str, str], str] = {}
    for result in results:
        for key, messages in (result["errors"] or {}).items():
            answers.setdefault((result["code"], key), messages[0])  # the first op of each code and field

    assert {result["code"] for result in results} == {
        None,
        "invalid",
        "forbidden",
        "not_found",
        "too_far",
        "op_id_reused",
        "depends_on_rejected",
        "missing_blob",
    }
    expected = {
        ("invalid", "categorie"): (NOT_OPTION, {"value": "Kiosque", "options": "Épicerie, Boutique, Supermarché"}),
        ("invalid", "quartier"): (REQUIRED, {}),
        ("forbidden", "non_field_errors"): (NO_CREATE, {}),
        ("not_found", "non_field_errors"): (NOT_FOUND_MESSAGE, {}),
        ("too_far", "distance_m"): (TOO_FAR_MESSAGE, {"distance": 300, "radius": 100}),
        ("op_id_reused", "non_field_errors"): (OP_ID_REUSED_MESSAGE, {}),
        ("depends_on_rejected", "non_field_errors"): (DEPENDS_MESSAGE, {}),
        ("missing_blob", "photo"): (BLOB_MISSING, {}),
        ("invalid", "type"): (UNKNOWN_TYPE, {}),
    }
    for key, (message, params) in expected.items():
        catalogue.assert_french(answers[key], message, **params)
    forbidden = [result["errors"]["non_field_errors"][0] for result in results if result["code"] == "forbidden"]
    catalogue.assert_french(forbidden[1], NO_EDIT)
    catalogue.assert_french(forbidden[2], NO_ARCHIVE)


def test_a_rep_without_a_language_preference_gets_english(device1, pos_list_editable, catalogue):
    result = push_one(device1, op("client.update", new_id(), {"name": "X"}, base_version=1))
    assert result["errors"] == {"non_field_errors": ["This record does not exist or is not assigned to you."]}


# Any payload: one of the four statuses, never a server error -----------------------------------------


ODD_TEXTS = ["", " ", "\x00", "a\x00b", "\ud83d", "²", "٣", "1e30", "NaN", "-0", "0.0001", "2026-02-30T09:00:00+00:00"]
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, 10**30])
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(ODD_TEXTS)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
MOMENTS = st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat())
DATA_KEYS = [
    "list",
    "name",
    "lat",
    "lng",
    "accuracy_m",
    "phone",
    "photo",
    "statement_enabled",
    "client",
    "workflow",
    "visit",
    "activity",
    "at",
    "text",
    "channel",
    "recipient",
    "attributes",
    "values",
    "lines",
]
ATTRIBUTE_KEYS = ["quartier", "categorie", "surface_m2", "ca_mensuel", "ouverture", "frigo", "services", "part_rayon"]


@dataclass
class Known:
    """Real records for random ops to start from, so that they get past the first checks to the deeper ones."""

    client: str
    visit: str
    list_id: int
    workflow: int
    form: int
    order: int
    products: list[int]

    def templates(self) -> list[dict[str, Any]]:
        line = {"product": self.products[0], "quantity": 2, "unit_price": "1500"}
        return [
            {"type": "client.create", "data": client_fields(self.list_id)},
            {"type": "client.update", "entity_id": self.client, "base_version": 1, "data": {"name": "Autre nom"}},
            {"type": "client.update", "entity_id": self.client, "base_version": 1, "data": {"attributes": {}}},
            {"type": "client.archive", "entity_id": self.client, "data": {}},
            {
                "type": "visit.checkin",
                "data": {"client": self.client, "workflow": self.workflow, "lat": ABIDJAN[0], "lng": ABIDJAN[1]},
            },
            {"type": "activity.submit", "data": {"visit": self.visit, "activity": self.form, "values": {}}},
            {"type": "activity.submit", "data": {"visit": self.visit, "activity": self.order, "lines": [line]}},
            {"type": "visit.end", "entity_id": self.visit, "data": {}},
            {"type": "note.create", "data": {"client": self.client, "visit": self.visit, "text": "Vu le gérant."}},
            {"type": "statement.send", "data": {"client": self.client, "channel": "sms", "recipient": "+2250701"}},
        ]


def mutated(template: dict[str, Any], draw: Any) -> dict[str, Any]:
    """A valid op with some of its envelope and data replaced by random values."""
    the_op = op(template["type"], template.get("entity_id"), dict(template["data"]))
    for key, value in template.items():
        if key not in ("type", "entity_id", "data"):
            the_op[key] = value
    envelope = draw(
        st.dictionaries(
            st.sampled_from(["type", "entity_id", "base_version", "made_at", "data"]),
            JSON | st.uuids().map(str) | MOMENTS,
            max_size=1,
        )
    )
    the_op.update(envelope)
    if isinstance(the_op["data"], dict):
        data = the_op["data"]
        data.update(draw(st.dictionaries(st.sampled_from(DATA_KEYS) | st.text(max_size=6), JSON, max_size=2)))
        for key in ("attributes", "values"):
            if isinstance(data.get(key), dict):
                data[key] = {
                    **data[key],
                    **draw(st.dictionaries(st.sampled_from(ATTRIBUTE_KEYS) | st.text(max_size=6), JSON, max_size=2)),
                }
        if isinstance(data.get("lines"), list) and data["lines"] and isinstance(data["lines"][0], dict):
            line = dict(data["lines"][0])
            line.update(draw(st.dictionaries(st.sampled_from(["product", "quantity", "unit_price"]), JSON, max_size=2)))
            data["lines"] = [line, *data["lines"][1:]]
    return the_op


@pytest.fixture
def known(rep1, pos_list_editable, visit_workflow) -> Known:
    from fieldsales.geo import Position
    from workflows.services import visit_check_in

    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    visit = visit_check_in(
        rep=rep1,
        visit_id=new_id(),
        client=client,
        workflow=visit_workflow["workflow"],
        position=Position(*ABIDJAN, 5.0),
    )
    return Known(
        client=str(client.pk),
        visit=str(visit.pk),
        list_id=pos_list_editable.pk,
        workflow=visit_workflow["workflow"].pk,
        form=visit_workflow["form"].pk,
        order=visit_workflow["order"].pk,
        products=[product.pk for product in visit_workflow["products"]],
    )


@hypothesis_settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_op_payload_is_answered_200_with_one_of_the_four_statuses_per_op(device1, known, data):
    templates = known.templates()
    ops = [
        mutated(template, data.draw)
        for template in data.draw(st.lists(st.sampled_from(templates), min_size=1, max_size=4))
    ]
    # Sent twice: the second time replays whatever the first did.
    for _ in range(2):
        response = post_raw(device1.http, json.dumps({"device": device1.device_id, "ops": ops}))
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert [result["op_id"] for result in results] == [the_op["op_id"] for the_op in ops]
        for result in results:
            assert result["status"] in STATUSES
            assert (result["code"] is None) == (result["status"] != "rejected")
    # Whatever was applied, the device can still pull it.
    device1.sync()
