"""Schemathesis over the OpenAPI document at `/api/schema/`: every operation, fed generated input (valid and not)
by a signed-in rep, answers without a server error and as the document says (status codes, bodies, types)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.contrib import auth
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.core.validators import ProhibitNullCharactersValidator
from django.db import close_old_connections
from django.utils import timezone, translation
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.specs.openapi.checks import negative_data_rejection

from clients.api.views import BAD_NEAR, BAD_RADIUS
from clients.filters import NOT_TRUE_FALSE
from clients.models import ListAccess
from clients.services import client_create
from fieldsales.sync.blobs import blob_store
from fieldsales.sync.errors import NOT_UUID
from kpis.models import StatementDelivery
from tests.factories import (
    ActivityFactory,
    LedgerEntryFactory,
    NoteFactory,
    OrderLineFactory,
    ProductFactory,
    SubmissionFactory,
    VisitFactory,
    WorkflowFactory,
    make_client,
    make_pos_list,
)

# The app as the server runs it, in this process and this thread: the requests share the test's database
# connection, so they see what the test made and roll back with it.
APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP)


# Some cases are made before the test's fixtures run: the session's key is fixed, and each test stores it.
SESSION_KEY = "schemathesis0rep0session0key0000"
CSRF_TOKEN = "schemathesis0csrf0token000000000"


@schema.auth(refresh_interval=None)
class RepSession:
    """The signed-in rep's session cookie and the CSRF token in cookie and header, as the PWA sends them, so that
    unsafe methods reach the views. Through Schemathesis's auth, which then also checks that a request without
    it (or with a made-up one) is refused."""

    def get(self, case: Any, context: Any) -> str:
        return SESSION_KEY

    def set(self, case: Any, data: str, context: Any) -> None:
        case.cookies = {**(case.cookies or {}), "sessionid": data, "csrftoken": CSRF_TOKEN}
        case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_TOKEN}


# Records that exist, for half the cases that name one: the answers past a 404 are tried too.
CLIENT_ID = "5d3c4a47-8a1e-4a59-9a83-7f0e2f1c0b11"
BLOB_ID = "0f6f1d0e-6a38-4c2c-8d8b-3c1f2f0b9a22"
KNOWN = {"client_id": CLIENT_ID, "id": CLIENT_ID, "blob_id": BLOB_ID}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Only a well-formed identifier is swapped: a case made to break the path stays broken."""
    known = {key: KNOWN[key] for key, value in (path_parameters or {}).items() if key in KNOWN and _is_uuid(value)}
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**(path_parameters or {}), **known}])


def _is_uuid(value: Any) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """`attribute_filters` stands for any `attr_<key>=text` parameter, and a query is text on the wire: a value
    Schemathesis makes "invalid" for it (null, a number) goes out as the text "null" or "2.2e16", a valid value of
    some parameter the server does not know and, as documented, ignores. Only when it is the one invalid part."""
    return not (
        isinstance(failure, AcceptedNegativeData) and "parameter `attribute_filters` in query" in failure.message
    )


@pytest.fixture
def records(awa, pos_list_readonly, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Awa's client (statements on, with a photo, a visit with an order, a note, a ledger line), a workflow and a
    product."""
    settings.MEDIA_ROOT = tmp_path / "media"
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(image, "JPEG")
    blob, _created = blob_store(user=awa, blob_id=uuid.UUID(BLOB_ID), content_type="image/jpeg", body=image.getvalue())
    data = {"name": "Boutique Awa", "lat": 5.3599, "lng": -4.0083, "photo": blob, "statement_enabled": True}
    data["attributes"] = {"quartier": "Cocody", "categorie": "Boutique"}
    client = client_create(
        user=awa, client_list=pos_list_readonly, data=data, client_id=uuid.UUID(CLIENT_ID), reps=[awa]
    )
    workflow = WorkflowFactory()
    visit = VisitFactory(client=client, rep=awa, workflow=workflow)
    OrderLineFactory(
        submission=SubmissionFactory(visit=visit, activity=ActivityFactory(workflow=workflow)), product=ProductFactory()
    )
    NoteFactory(client=client, author=awa, visit=visit)
    LedgerEntryFactory(client=client)


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Django closes the database connection at the end of each request when it is not in autocommit (it is
    not, inside the test's transaction); the test client turns that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def rep_session(awa, records, same_connection) -> None:  # type: ignore[no-untyped-def]
    """Awa signed in, under the fixed session key."""
    data = {
        auth.SESSION_KEY: str(awa.pk),
        auth.BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        auth.HASH_SESSION_KEY: awa.get_session_auth_hash(),
    }
    Session.objects.create(
        session_key=SESSION_KEY,
        session_data=SessionStore().encode(data),
        expire_date=timezone.now() + dt.timedelta(hours=1),
    )


# `make test` tries the same cases on every run and machine (Hypothesis derandomized: a seed fixed by the test), so a
# failure there is a change in the code, never the luck of the draw: each operation's coverage cases (Schemathesis's
# boundary values and broken parameters, a fixed set whatever the count), then REPLAYED_EXAMPLES generated ones. The
# count is kept small: at 25 the generated cases cost the suite about as much as the rest of the API's tests, and a
# replay of the same draw finds no more on the next run. `make fuzz` searches afresh: FUZZ_EXAMPLES cases an operation,
# drawn from FUZZ_SEED, which it picks at random and prints so that a failure can be replayed.
REPLAYED_EXAMPLES = 10
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
if os.environ.get("FUZZ_SEED"):
    schema.config.seed = int(os.environ["FUZZ_SEED"])


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES or REPLAYED_EXAMPLES,
    derandomize=not FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented_without_a_server_error(case, rep_session):  # type: ignore[no-untyped-def]
    excluded = []
    if case.operation.definition.raw.get("operationId") == "sync_push":
        # By the contract, an op the schema calls invalid (no `type`, a `base_version` in letters) is answered
        # 200 with that op `rejected`, code `invalid`: one bad op does not refuse the others. Only the envelope
        # is refused with 400, which tests/sync/test_push.py and tests/sync/test_bad_input.py check.
        excluded.append(negative_data_rejection)
    # Schemathesis' WSGI transport does not decode compressed answers: ask for them plain (compression has its own
    # tests, tests/fieldsales/test_compression.py).
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, excluded_checks=excluded)


# What Schemathesis found, and what sits next to it, pinned: these hold whatever a run happens to generate --------


def forged_cursor(position: str) -> str:
    """A cursor as DRF writes one, with a position the server never gave."""
    return base64.b64encode(urlencode({"o": "0", "p": position}).encode()).decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"client_list": "6.097470393796383e+31"}, "client_list", None),
        ({"client_list": str(2**70)}, "client_list", None),
        ({"client_list": ""}, "client_list", None),
        ({"client_list": "abc"}, "client_list", None),
        ({"statement_enabled": "null"}, "statement_enabled", NOT_TRUE_FALSE),
        ({"statement_enabled": ""}, "statement_enabled", NOT_TRUE_FALSE),
        ({"statement_enabled": "oui"}, "statement_enabled", NOT_TRUE_FALSE),
        ({"radius_m": "0"}, "radius_m", BAD_RADIUS),
        ({"radius_m": "nan"}, "radius_m", BAD_RADIUS),
        ({"near": ""}, "near", BAD_NEAR),
        ({"near": "5e1,3"}, "near", BAD_NEAR),
        ({"q": "Chez\x00Awa"}, "q", ProhibitNullCharactersValidator.message),
        ({"cursor": "\x00"}, "cursor", ProhibitNullCharactersValidator.message),
    ],
    ids=[
        "list-id-beyond-any-key",
        "list-id-of-70-bits",
        "list-id-empty",
        "list-id-in-letters",
        "yes-no-as-null",
        "yes-no-empty",
        "yes-no-in-french",
        "radius-without-near",
        "radius-nan",
        "near-empty",
        "near-in-exponent",
        "search-with-nul",
        "cursor-with-nul",
    ],
)
def test_a_malformed_client_list_parameter_answers_400_naming_it_never_500_nor_a_silently_wider_list(
    api, make_client_by_awa, params, field, message
):
    make_client_by_awa("Boutique Awa")
    response = api.get("/api/clients/", params)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    if message is not None:
        assert response.json()["errors"][field] == [str(message)]


def test_the_list_filter_keeps_one_lists_clients_and_left_out_keeps_all(api, make_client_by_awa, awa, reps_group):
    # Schemathesis once sent `client_list=` and got every list's clients, against the integer the document promises.
    make_client_by_awa("Boutique Awa")
    wholesalers = make_pos_list("Grossistes")
    ListAccess.objects.create(client_list=wholesalers, group=reps_group)
    make_client(wholesalers, "Grossiste Awa", user=awa, reps=[awa])

    def names(params: dict[str, Any]) -> list[str]:
        response = api.get("/api/clients/", params)
        assert response.status_code == 200, response.content
        return [client["name"] for client in response.json()["results"]]

    assert names({"client_list": wholesalers.pk}) == ["Grossiste Awa"]
    assert names({}) == ["Boutique Awa", "Grossiste Awa"]
    assert api.get("/api/clients/", {"client_list": ""}).json()["errors"] == {"client_list": ["Enter a whole number."]}


def test_yes_no_filters_still_take_true_and_false(api, make_client_by_awa):
    make_client_by_awa("Avec relevé", statement_enabled=True)
    make_client_by_awa("Sans relevé")
    names = {
        value: [client["name"] for client in api.get("/api/clients/", {"statement_enabled": value}).json()["results"]]
        for value in ("true", "false")
    }
    assert names == {"true": ["Avec relevé"], "false": ["Sans relevé"]}


def test_a_radius_without_near_is_explained_in_french(api, make_client_by_awa):
    response = api.get("/api/clients/", {"radius_m": "0"}, HTTP_ACCEPT_LANGUAGE="fr")
    with translation.override("fr"):
        assert response.json()["errors"] == {"radius_m": [str(BAD_RADIUS)]}
    assert response.json()["errors"]["radius_m"][0].startswith("radius_m doit")


@pytest.mark.parametrize("position", ["\x00", "garbage", "9999-99-99", "nan", "1e400", "2026-13-01T00:00:00+00:00"])
@pytest.mark.parametrize("page", ["history", "notes", "list"])
def test_a_forged_cursor_answers_404_invalid_cursor_never_500(api, make_client_by_awa, awa, page, position):
    client = make_client_by_awa("Boutique Awa")
    NoteFactory(client=client, author=awa)
    VisitFactory(client=client, rep=awa)
    url = "/api/clients/" if page == "list" else f"/api/clients/{client.pk}/{page}/"
    response = api.get(url, {"cursor": forged_cursor(position)})
    if page == "list" and position != "\x00":
        # Names sort as text: any text is a position in the alphabet, and the page after it is just empty.
        assert response.status_code == 200, response.content
    else:
        assert (response.status_code, response.json()) == (404, {"code": "not_found", "detail": "Invalid cursor"})


@pytest.mark.parametrize("delivery_id", ["abc", 12, ["x"], {"id": "x"}, True])
def test_a_statement_asked_with_an_id_that_is_no_uuid_answers_400_and_queues_nothing(
    api, make_client_by_awa, delivery_id
):
    client = make_client_by_awa("Boutique Awa", statement_enabled=True)
    body = {"channel": "sms", "recipient": "+225 07 07 07 07 07", "id": delivery_id}
    response = api.post(f"/api/clients/{client.pk}/statement/", body, content_type="application/json")
    assert (response.status_code, response.json()) == (
        400,
        {"code": "invalid", "detail": str(NOT_UUID), "errors": {"id": [str(NOT_UUID)]}},
    )
    assert not StatementDelivery.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/api/sync/blobs/not-a-uuid", "/api/clients/null/history/", "/api/clients/0.5/kpis/", "/api/no-such-thing"],
)
def test_an_api_path_that_matches_nothing_answers_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_page_outside_the_api_keeps_its_html_404(api):
    response = api.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
