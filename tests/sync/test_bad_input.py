"""Hostile and broken input to the sync endpoints: each gets a clear 4xx (or a `rejected` op) explained in the
rep's language, and nothing already saved changes. The phone here is the real one: French, and sending the CSRF
token, so that every check on the way (CSRF, the body's parsing) runs as it does in the field."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.test import Client as HttpClient
from PIL import Image

from clients.models import Client, ClientList
from clients.phones import NOT_PHONE
from clients.schema import NOT_DECIMAL, NOT_INTEGER, NOT_TEXT, TOO_LONG
from fieldsales.models import Blob, SyncEntry, SyncOp
from fieldsales.sync.blobs import NOT_AN_IMAGE, TOO_BIG, TOO_MANY_PIXELS
from fieldsales.sync.errors import NOT_A_NUMBER, NOT_MADE_AT, NOT_OBJECT, NOT_VERSION
from fieldsales.sync.views import BAD_ENVELOPE, BODY_TOO_LARGE, MAX_PUSH_BYTES, NOT_JSON
from kpis.models import StatementDelivery
from tests.factories import (
    RepFactory,
    built_once,
    make_client,
    make_pos_list,
    make_visit_workflow,
    reps_may_edit,
)
from tests.sync.conftest import new_id, op
from tests.sync.test_blobs import (
    jpeg_bytes,
    media_root,  # noqa: F401 (a fixture: photos go to a temporary folder)
    png_header_claiming,
    stored_files,
)
from tests.sync.test_push import (
    Catalogue,
    catalogue,  # noqa: F401 (a fixture)
    checkin_data,
    client_fields,
)
from tests.texts import french
from workflows.models import ActivitySubmission, Note, OrderLine, Visit
from workflows.ops import BAD_COORDINATES, UNKNOWN_WORKFLOW
from workflows.services import NOTE_TOO_LONG

MIB = 1024 * 1024
CSRF_TOKEN = "badinput0csrf0token0000000000000"


class Phone:
    """A rep's phone as the PWA drives it: signed in, French, the CSRF token in its cookie and in X-CSRFToken."""

    def __init__(self, user: Any) -> None:
        self.http = HttpClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
        self.http.force_login(user)
        self.http.cookies["csrftoken"] = CSRF_TOKEN

    def post(self, body: str | bytes, content_type: str = "application/json") -> Any:
        return self.http.post("/api/sync/push", body, content_type=content_type, headers={"X-CSRFToken": CSRF_TOKEN})

    def push(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post(json.dumps({"device": new_id(), "ops": list(ops)}))
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def put(self, blob_id: str, body: bytes, content_type: str) -> Any:
        return self.http.put(
            f"/api/sync/blobs/{blob_id}", body, content_type=content_type, headers={"X-CSRFToken": CSRF_TOKEN}
        )


def already_saved() -> dict[str, Any]:
    """What the rep already has on the server: a client, a visit there with a form, and a note, pushed from the rep's
    phone; the rep and the list too."""
    rep = RepFactory(username="awa")
    client_list = reps_may_edit(make_pos_list())
    visit_workflow = make_visit_workflow()
    client = make_client(client_list, user=rep, reps=(rep,), phone="+225 07 07 07 07 07")
    checkin = op("visit.checkin", data=checkin_data(client, visit_workflow["workflow"]))
    form = op(
        "activity.submit",
        data={"visit": checkin["entity_id"], "activity": visit_workflow["form"].pk, "values": {"part_rayon": 3}},
    )
    note = op("note.create", data={"client": str(client.pk), "visit": checkin["entity_id"], "text": "Vu le gérant."})
    assert [result["status"] for result in Phone(rep).push(checkin, form, note)] == ["applied"] * 3
    return {"rep": rep, "client": client, "visit": checkin["entity_id"], **visit_workflow}


@pytest.fixture(scope="module")
def saved_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """`already_saved`, once for the module: nothing here pulls, so nothing needs real commits (which the sync tests'
    `reps_group` makes), and every test starts from these rows in a savepoint of its own (see
    `built_once`) instead of pushing them again."""
    yield from built_once(django_db_blocker, already_saved)


@pytest.fixture
def rep1(db: None, saved_once: dict[str, Any]) -> Any:
    return get_user_model().objects.get(pk=saved_once["rep"].pk)


@pytest.fixture
def pos_list_editable(db: None, saved_once: dict[str, Any]) -> ClientList:
    return ClientList.objects.get(pk=saved_once["client"].client_list_id)


@pytest.fixture
def phone(rep1) -> Phone:  # type: ignore[no-untyped-def]
    return Phone(rep1)


@pytest.fixture
def saved(db: None, saved_once: dict[str, Any]) -> dict[str, Any]:
    """`already_saved`, its client read again: a test may change it. The tests only name the rest by its key."""
    return {**saved_once, "client": Client.objects.get(pk=saved_once["client"].pk)}


def snapshot(*, rejected_claims: bool = True) -> dict[str, Any]:
    """Every row a push or an upload can write, and the photo files. Without `rejected_claims`, less the claims of
    rejected ops, which the contract keeps (an op depending on a rejected one is `depends_on_rejected`)."""
    models: list[Any] = [Client, Visit, ActivitySubmission, OrderLine, Note, SyncEntry, Blob, StatementDelivery]
    rows = {model.__name__: sorted(map(repr, model.objects.values_list())) for model in models}
    claims = SyncOp.objects.all() if rejected_claims else SyncOp.objects.exclude(status=SyncOp.Status.REJECTED)
    rows["SyncOp"] = sorted(map(repr, claims.values_list()))
    return {**rows, "files": sorted(map(str, stored_files(Path(settings.MEDIA_ROOT))))}


@pytest.fixture(autouse=True)
def po(catalogue: Catalogue) -> Catalogue:  # noqa: F811 (the fixture imported above)
    """The French of the sources' catalogue, for the server's answers and the expected ones alike."""
    return catalogue


def in_french(errors: dict[str, tuple[Any, ...]]) -> dict[str, list[str]]:
    """`{field: (message, params)}` as the op's `errors` say it in French."""
    return {field: [french(message, **(params[0] if params else {}))] for field, (message, *params) in errors.items()}


# The envelope: refused whole, with the contract's code ------------------------------------------------


@pytest.mark.parametrize("size", [MAX_PUSH_BYTES + 1, 7 * MIB], ids=["1-mib-and-a-byte", "over-the-upload-limit"])
def test_a_push_over_1_mib_is_refused_413_in_french_and_changes_nothing(phone, saved, po, size):
    before = snapshot()
    update = op("client.update", str(saved["client"].pk), {"name": "Renommé"}, base_version=1)
    body = json.dumps({"device": new_id(), "ops": [update], "padding": ""})
    body = body.replace('"padding": ""', '"padding": "' + "x" * (size - len(body)) + '"')
    assert len(body) == size

    response = phone.post(body)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    po.assert_french(response.json()["detail"], BODY_TOO_LARGE)
    assert snapshot() == before


def test_a_1_mb_client_name_makes_a_push_too_large_and_nothing_of_it_applies(phone, saved, pos_list_editable):
    before = snapshot()
    create = op("client.create", data=client_fields(pos_list_editable, name="N" * MIB))
    update = op("client.update", str(saved["client"].pk), {"name": "Renommé"}, base_version=1)

    response = phone.post(json.dumps({"device": new_id(), "ops": [update, create]}))

    assert (response.status_code, response.json()["code"]) == (413, "too_large")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"device": null, "ops": [',
        b'{"ops": []} trailing',
        b"",
        b"\xef\xbb\xbf",
        '{"ops": [], "device": "café"}'.encode("latin-1"),
        b'{"ops": [{"op_id": "\xff\xfe"}]}',
        b"ops=%5B%5D",
    ],
    ids=["truncated", "trailing-garbage", "empty", "bom-only", "latin-1", "invalid-utf-8", "a-form"],
)
def test_a_body_that_is_not_json_is_refused_400_malformed_in_french_and_changes_nothing(phone, saved, po, body):
    before = snapshot()
    content_type = "application/x-www-form-urlencoded" if body.startswith(b"ops=") else "application/json"

    response = phone.post(body, content_type)

    assert response.status_code == 400, response.content
    assert response.json() == {"code": "malformed", "detail": french(NOT_JSON)}
    po.assert_french(response.json()["detail"], NOT_JSON)
    assert snapshot() == before


def test_a_well_formed_op_in_a_broken_body_is_not_applied(phone, saved):
    before = snapshot()
    update = op("client.update", str(saved["client"].pk), {"name": "Renommé"}, base_version=1)
    body = json.dumps({"device": new_id(), "ops": [update]})

    assert phone.post(body[:-2]).status_code == 400
    assert snapshot() == before
    assert phone.post(body).status_code == 200
    assert Client.objects.get(pk=saved["client"].pk).name == "Renommé"


ENVELOPES = {
    "a-list": [],
    "null": None,
    "a-number": 42,
    "a-string": "ops",
    "ops-a-string": {"ops": "client.update"},
    "ops-an-object": {"ops": {"op_id": new_id()}},
    "ops-null": {"ops": None},
    "device-a-number": {"device": 12, "ops": []},
    "device-a-list": {"device": [new_id()], "ops": []},
    "op-a-list": {"ops": [[new_id(), "client.update"]]},
    "op-null": {"ops": [None]},
    "op-id-a-number": {"ops": [{"op_id": 1, "type": "note.create", "entity_id": new_id(), "data": {}}]},
    "op-id-null": {"ops": [{"op_id": None, "type": "note.create", "entity_id": new_id(), "data": {}}]},
    "op-id-an-object": {"ops": [{"op_id": {"id": new_id()}, "type": "note.create", "entity_id": new_id()}]},
    "201-ops": {"ops": [op("note.create") for _ in range(201)]},
}


@pytest.mark.parametrize("body", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_an_envelope_of_the_wrong_types_is_refused_400_in_french_and_its_valid_ops_are_not_applied(
    phone, saved, po, body
):
    if isinstance(body, dict) and isinstance(body.get("ops"), list) and len(body["ops"]) < 200:
        body = {
            **body,
            "ops": [op("client.update", str(saved["client"].pk), {"name": "X"}, base_version=1), *body["ops"]],
        }
    before = snapshot()

    response = phone.post(json.dumps(body))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "malformed"
    po.assert_french(response.json()["detail"], BAD_ENVELOPE)
    assert snapshot() == before


# One op: rejected `invalid` on the field at fault, in French, and nothing of it applied ----------------


FLOAT_ERROR = Client._meta.get_field("lat").error_messages["invalid"]


def too_long(limit: int, length: int) -> tuple[Any, dict[str, int]]:
    return MaxLengthValidator.message, {"limit_value": limit, "show_value": length}


def update(saved: dict[str, Any], data: Any, **envelope: Any) -> dict[str, Any]:
    return op("client.update", str(saved["client"].pk), data, **{"base_version": 1, **envelope})


WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "lat-as-letters": (lambda s: update(s, {"lat": "cinq"}), {"lat": (FLOAT_ERROR, {"value": "cinq"})}),
    "lat-as-a-list": (lambda s: update(s, {"lat": [5.3]}), {"lat": (NOT_DECIMAL,)}),
    "lat-as-an-object": (lambda s: update(s, {"lat": {"value": 5.3}}), {"lat": (NOT_DECIMAL,)}),
    "lat-as-true": (lambda s: update(s, {"lat": True}), {"lat": (NOT_DECIMAL,)}),
    "name-as-an-object": (lambda s: update(s, {"name": {"fr": "X"}}), {"name": (NOT_TEXT,)}),
    "name-as-a-number": (lambda s: update(s, {"name": 12}), {"name": (NOT_TEXT,)}),
    "phone-as-a-list": (lambda s: update(s, {"phone": ["+225"]}), {"phone": (NOT_TEXT,)}),
    "attributes-as-a-list": (lambda s: update(s, {"attributes": ["quartier"]}), {"attributes": (NOT_OBJECT,)}),
    "attributes-as-text": (
        lambda s: update(s, {"name": "Renommé", "attributes": "quartier=Plateau"}),
        {"attributes": (NOT_OBJECT,)},
    ),
    "integer-as-letters": (
        lambda s: update(s, {"attributes": {"surface_m2": "douze"}}),
        {"surface_m2": (NOT_INTEGER,)},
    ),
    "integer-as-an-object": (
        lambda s: update(s, {"attributes": {"surface_m2": {"m2": 12}}}),
        {"surface_m2": (NOT_INTEGER,)},
    ),
    "data-as-a-list": (lambda s: update(s, []), {"data": (NOT_OBJECT,)}),
    "data-as-null": (lambda s: {**update(s, {}), "data": None}, {"data": (NOT_OBJECT,)}),
    "data-as-text": (lambda s: {**update(s, {}), "data": "name=X"}, {"data": (NOT_OBJECT,)}),
    "base-version-as-text": (
        lambda s: update(s, {"name": "X"}, base_version="1"),
        {"base_version": (NOT_VERSION,)},
    ),
    "base-version-as-a-float": (
        lambda s: update(s, {"name": "X"}, base_version=1.5),
        {"base_version": (NOT_VERSION,)},
    ),
    "made-at-as-a-number": (
        lambda s: update(s, {"name": "X"}, made_at=1764000000),
        {"made_at": (NOT_MADE_AT,)},
    ),
    "workflow-as-letters": (
        lambda s: op("visit.checkin", data={**checkin_data(s["client"], s["workflow"]), "workflow": "visite"}),
        {"workflow": (UNKNOWN_WORKFLOW,)},
    ),
    "checkin-lat-as-null": (
        lambda s: op("visit.checkin", data={**checkin_data(s["client"], s["workflow"]), "lat": None}),
        {"lat": (NOT_A_NUMBER,)},
    ),
    "form-values-as-a-list": (
        lambda s: op("activity.submit", data={"visit": s["visit"], "activity": s["form"].pk, "values": [3]}),
        {"values": ("Send values as an object and lines as a list.",)},
    ),
    "order-lines-as-an-object": (
        lambda s: op(
            "activity.submit",
            data={"visit": s["visit"], "activity": s["order"].pk, "lines": {"product": s["products"][0].pk}},
        ),
        {"values": ("Send values as an object and lines as a list.",)},
    ),
}


@pytest.mark.parametrize(("make", "errors"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_an_op_with_a_value_of_the_wrong_type_is_rejected_invalid_on_that_field_in_french(phone, saved, make, errors):
    before = snapshot(rejected_claims=False)

    [result] = phone.push(make(saved))

    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", in_french(errors))
    assert snapshot(rejected_claims=False) == before


HUGE_STRINGS: dict[str, tuple[Any, ...]] = {
    "a-900-kb-name": (lambda s: update(s, {"name": "N" * 900_000}), {"name": too_long(200, 900_000)}),
    # No phone number: the phone rule says so (and how one is written) before its length is counted.
    "a-100k-phone": (
        lambda s: update(s, {"phone": "7" * 100_000}),
        {"phone": (NOT_PHONE, {"country": "Côte d'Ivoire", "example": "01 23 45 6789"})},
    ),
    "a-100k-note": (
        lambda s: op("note.create", data={"client": str(s["client"].pk), "text": "n" * 100_000}),
        {"text": (NOTE_TOO_LONG,)},
    ),
    "a-100k-attribute": (
        lambda s: update(s, {"attributes": {"quartier": "q" * 100_000}}),
        {"quartier": (TOO_LONG, {"max": 255})},
    ),
}


@pytest.mark.parametrize(("make", "errors"), HUGE_STRINGS.values(), ids=HUGE_STRINGS.keys())
def test_a_huge_string_under_the_push_limit_is_rejected_invalid_saying_the_limit_in_french(
    phone, saved, po, make, errors
):
    before = snapshot(rejected_claims=False)

    [result] = phone.push(make(saved))

    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", in_french(errors))
    assert snapshot(rejected_claims=False) == before


def test_the_french_of_the_limits_is_french(po):
    """The answers above are compared to the catalogue; here, that the catalogue does say them in French."""
    po.assert_french(french(NOTE_TOO_LONG), NOTE_TOO_LONG)
    assert french(NOTE_TOO_LONG) != str(NOTE_TOO_LONG)
    assert french(*too_long(200, 900_000)[:1], **too_long(200, 900_000)[1]).startswith("Assurez-vous")


# Coordinates ----------------------------------------------------------------------------------------

COORDINATES: dict[str, tuple[Any, ...]] = {
    "create-lat-91": (
        lambda s: op("client.create", data=client_fields(s["client"].client_list, lat=91)),
        {"lat": (MaxValueValidator.message, {"limit_value": 90})},
    ),
    "create-lng-minus-181": (
        lambda s: op("client.create", data=client_fields(s["client"].client_list, lng=-181)),
        {"lng": (MinValueValidator.message, {"limit_value": -180})},
    ),
    "create-negative-accuracy": (
        lambda s: op("client.create", data=client_fields(s["client"].client_list, accuracy_m=-5)),
        {"accuracy_m": (MinValueValidator.message, {"limit_value": 0})},
    ),
    "update-lat-91": (lambda s: update(s, {"lat": 91}), {"lat": (MaxValueValidator.message, {"limit_value": 90})}),
    "checkin-lat-91": (
        lambda s: op("visit.checkin", data={**checkin_data(s["client"], s["workflow"]), "lat": 91}),
        {"lat": (BAD_COORDINATES,)},
    ),
    "checkin-lng-minus-181": (
        lambda s: op("visit.checkin", data={**checkin_data(s["client"], s["workflow"]), "lng": -181}),
        {"lng": (BAD_COORDINATES,)},
    ),
    "checkin-negative-accuracy": (
        lambda s: op("visit.checkin", data={**checkin_data(s["client"], s["workflow"]), "accuracy_m": -1}),
        {"accuracy_m": (MinValueValidator.message, {"limit_value": 0})},
    ),
}


@pytest.mark.parametrize(("make", "errors"), COORDINATES.values(), ids=COORDINATES.keys())
def test_a_position_off_the_globe_is_rejected_invalid_on_its_own_field_in_french(phone, saved, make, errors):
    before = snapshot(rejected_claims=False)

    [result] = phone.push(make(saved))

    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", in_french(errors))
    assert snapshot(rejected_claims=False) == before


@pytest.mark.parametrize(
    ("op_type", "numbers"),
    [
        ("client.create", '"lat": NaN, "lng": -4.0'),
        ("client.create", '"lat": 5.3, "lng": Infinity'),
        ("visit.checkin", '"lat": -Infinity, "lng": -4.0'),
        ("visit.checkin", '"lat": 5.3, "lng": NaN'),
        ("visit.checkin", '"lat": 1' + "0" * 400 + ', "lng": -4.0'),
        ("client.create", '"lat": 1' + "0" * 400 + ', "lng": -4.0'),
    ],
    ids=[
        "create-nan",
        "create-infinity",
        "checkin-minus-infinity",
        "checkin-nan",
        "checkin-400-digits",
        "create-400-digits",
    ],
)
def test_nan_infinity_or_a_number_no_float_holds_is_rejected_invalid_not_a_server_error(phone, saved, op_type, numbers):
    """JSON has no NaN, but Python's parser reads it: it must not reach the database, nor `float()` blow up."""
    if op_type == "client.create":
        data = client_fields(saved["client"].client_list, lat=0.0, lng=0.0)
    else:
        data = checkin_data(saved["client"], saved["workflow"])
    the_op = op(op_type, data={key: value for key, value in data.items() if key not in ("lat", "lng")})
    raw = json.dumps({"device": new_id(), "ops": [the_op]}).replace('"data": {', '"data": {' + numbers + ", ", 1)
    before = snapshot(rejected_claims=False)

    response = phone.post(raw)

    assert response.status_code == 200, response.content
    [result] = response.json()["results"]
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    assert set(result["errors"]) <= {"lat", "lng"} and result["errors"], result["errors"]
    assert all(messages == [french(NOT_A_NUMBER)] for messages in result["errors"].values()), result["errors"]
    assert snapshot(rejected_claims=False) == before


# Photos -----------------------------------------------------------------------------------------------


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header says `width` × `height` pixels."""
    raw = bytearray(jpeg_bytes((8, 8)))
    frame = raw.index(b"\xff\xc0")
    raw[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(raw)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "message"),
    [
        (b"Bonjour, ceci est un texte.", "image/jpeg", 400, "not_an_image", NOT_AN_IMAGE),
        (PDF, "image/jpeg", 400, "not_an_image", NOT_AN_IMAGE),
        (jpeg_bytes((800, 600))[:2000], "image/jpeg", 400, "not_an_image", NOT_AN_IMAGE),
        (jpeg_bytes((800, 600), color="red")[:-200], "image/jpeg", 400, "not_an_image", NOT_AN_IMAGE),
        (png_header_claiming(50_000, 50_000), "image/png", 400, "too_many_pixels", TOO_MANY_PIXELS),
        (jpeg_claiming(65_000, 65_000), "image/jpeg", 400, "too_many_pixels", TOO_MANY_PIXELS),
        (jpeg_claiming(9_000, 9_000), "image/jpeg", 400, "too_many_pixels", TOO_MANY_PIXELS),
        (b"\xff\xd8" + b"\0" * (5 * MIB), "image/jpeg", 413, "too_large", TOO_BIG),
        (b"\xff\xd8" + b"\0" * (7 * MIB), "image/jpeg", 413, "too_large", TOO_BIG),
    ],
    ids=[
        "text-as-jpeg",
        "pdf-as-jpeg",
        "truncated-jpeg",
        "jpeg-without-its-end",
        "png-of-50000-by-50000",
        "jpeg-of-65000-by-65000",
        "jpeg-of-81-megapixels",
        "5-mib-and-2-bytes",
        "over-the-upload-limit",
    ],
)
def test_a_photo_that_is_no_image_a_bomb_or_too_heavy_is_refused_in_french_and_nothing_is_stored(
    phone, saved, po, body, content_type, status, code, message
):
    before = snapshot()
    blob_id = new_id()

    response = phone.put(blob_id, body, content_type)

    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    po.assert_french(response.json()["detail"], message)
    assert snapshot() == before
    # The id stays free: the real photo, sent next, is stored under it.
    assert phone.put(blob_id, jpeg_bytes(), "image/jpeg").status_code == 201


def test_a_photo_of_the_limits_of_a_phone_camera_is_accepted(phone):
    """The bomb check is not a size check: a 12-megapixel photo, the kind phones take, is stored."""
    image = io.BytesIO()
    Image.new("RGB", (4000, 3000), "teal").save(image, "JPEG", quality=60)
    response = phone.put(new_id(), image.getvalue(), "image/jpeg")
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (1600, 1200)
