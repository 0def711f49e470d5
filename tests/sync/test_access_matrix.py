"""The access matrix over every URL: who may call each one, and that no one reads or changes another rep's records.

The URLs are read from the resolver, not listed by hand: a new URL fails `test_every_url_is_in_the_matrix` until
it is given its row in ROUTES, and then every test below tries it. Each row says who may call the URL without a
session, and whose record its parameter names. rep1 (awa) then tries each URL, with every method, on rep2's (koffi's)
records (tests.sync.test_access.rivals): a read answers 404, word for word the answer for an id nobody has; a write
is refused and changes nothing; and no answer to rep1, or to rep1's supervisor, holds anything of rep2's.

The op types of the push get the same treatment in tests/sync/test_access.py.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import resolve
from django.utils import timezone

from fieldsales.asgi import websocket_urlpatterns
from fieldsales.models import Profile
from kpis.delivery import LINK_SALT, statement_link
from tests.factories import SupervisorFactory
from tests.routes import OTHER_PARAMS, RECORD_PARAMS, Route, all_routes, app_routes, body, route
from tests.sockets import refused, run, session_headers
from tests.sync.conftest import device_for, made_by
from tests.sync.test_access import Rivals, checked_in, db_state, jpeg, make_rivals

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SIGN_IN_PAGES = {"/accounts/login/", "/admin/login/"}


class Access(enum.Enum):
    SIGNED_IN = "signed in: without a session, 401/403 or sent to the sign-in page"
    PUBLIC = "anyone: it holds nothing of any user"
    TOKEN = "anyone holding a valid signed token: the token is the key"


@dataclass(frozen=True)
class Row:
    access: Access
    # Whose record the URL's parameter names: "client", "blob" (a photo) or "delivery" (a statement sent).
    record: str | None = None


SIGNED_IN, PUBLIC, TOKEN = Access.SIGNED_IN, Access.PUBLIC, Access.TOKEN

# Every URL outside the admin (whose every page asks for staff, see ADMIN_PUBLIC), by name.
ROUTES: dict[str, Row] = {
    # The rep's app.
    "home": Row(SIGNED_IN),
    "pwa-sw": Row(PUBLIC),
    "pwa-manifest": Row(PUBLIC),
    "favicon": Row(PUBLIC),
    # The app's strings in one language, cached with the shell for offline use: the same for everyone.
    "pwa-i18n": Row(PUBLIC),
    "statement-link": Row(TOKEN, "delivery"),
    # The supervisors' board.
    "board": Row(SIGNED_IN),
    "board-visits": Row(SIGNED_IN),
    # The supervisors' dashboard.
    "dashboard": Row(SIGNED_IN),
    # Signing in and out, and what comes with it: the way in has to be open.
    "login": Row(PUBLIC),
    "logout": Row(PUBLIC),
    "password_change": Row(SIGNED_IN),
    "password_change_done": Row(SIGNED_IN),
    "password_reset": Row(PUBLIC),
    "password_reset_done": Row(PUBLIC),
    "password_reset_confirm": Row(PUBLIC),
    "password_reset_complete": Row(PUBLIC),
    "set_language": Row(PUBLIC),
    # The API.
    "me": Row(SIGNED_IN),
    "sync-pull": Row(SIGNED_IN),
    "sync-push": Row(SIGNED_IN),
    "sync-blob": Row(SIGNED_IN, "blob"),
    "client-list": Row(SIGNED_IN),
    "client-detail": Row(SIGNED_IN, "client"),
    "client-history": Row(SIGNED_IN, "client"),
    "client-notes": Row(SIGNED_IN, "client"),
    "client-kpis": Row(SIGNED_IN, "client"),
    "client-statement-send": Row(SIGNED_IN, "client"),
    "client-statement-pdf": Row(SIGNED_IN, "client"),
    "workflow-list": Row(SIGNED_IN),
    "product-list": Row(SIGNED_IN),
    # The API's description (no data): public so that clients and tools can be built from it.
    "schema": Row(PUBLIC),
    "swagger-ui": Row(PUBLIC),
    # Prometheus' figures (no record of anyone's): superusers, and the scraper with its token.
    "metrics": Row(SIGNED_IN),
}
ADMIN_PUBLIC = {"admin:login", "admin:logout"}
SOCKETS = {"ws/rep/", "ws/board/"}


@pytest.fixture(scope="module")
def rivals_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture
def rivals(pos_list_editable, rep1, rep2, visit_workflow, settings, rivals_media, database_images) -> Rivals:  # type: ignore[no-untyped-def]
    """The same rivals for every test of the module: built by the first, copied back for the others (see
    `DatabaseImages`); their photo is in the module's MEDIA_ROOT."""
    settings.MEDIA_ROOT = rivals_media
    return database_images.made(
        "rivals",
        lambda: make_rivals(pos_list_editable, rep1, rep2, visit_workflow),
        *(rep1, rep2, pos_list_editable),
        *made_by(visit_workflow),
    )


def leaks(rivals: Rivals, answers: dict[str, tuple[int, str]]) -> dict[str, list[str]]:
    return {name: rivals.leaked(content) for name, (_status, content) in answers.items() if rivals.leaked(content)}


# The inventory ------------------------------------------------------------------------------------------------------


def test_every_url_is_in_the_matrix():
    """A URL added to the project fails here until its row says who may call it and whose record it names."""
    names = [route.name for route in app_routes()]
    assert len(names) == len(set(names)), "two URLs share a name: name them apart"
    assert set(names) == set(ROUTES)
    for found in app_routes():
        row = ROUTES[found.name]
        if row.access is TOKEN:
            assert "token" in found.params, found
        else:
            assert found.record == row.record, found
        assert set(found.params) <= set(RECORD_PARAMS) | set(OTHER_PARAMS), f"{found}: which record is that?"


def test_every_url_is_built_as_the_resolver_reads_it():
    """What the sweeps below request is the URL they mean: each built URL resolves back to its own view."""
    values = {"client_id": str(uuid.uuid4()), "pk": str(uuid.uuid4()), "blob_id": str(uuid.uuid4()), "token": "x"}
    for found in all_routes():
        assert resolve(found.url(values)).func == found.callback, found


def test_every_socket_is_in_the_matrix():
    assert {str(entry.pattern) for entry in websocket_urlpatterns} == SOCKETS


# Without a session ----------------------------------------------------------------------------------------------------


def sent_to_sign_in(response: Any) -> bool:
    return response.status_code == 302 and urlparse(response["Location"]).path in SIGN_IN_PAGES


def refused_anonymously(response: Any) -> bool:
    # 405: the method is not one the URL takes, so nothing was looked at either.
    return response.status_code in (401, 403, 405) or sent_to_sign_in(response)


def test_anonymous_visitors_are_refused_everywhere_but_the_public_pages(rivals):
    """Every URL, the admin's included, with every method: refused or sent to sign in, and nothing changed."""
    anonymous = HttpClient()
    values = {"client_id": str(rivals.theirs.pk), "pk": str(rivals.theirs.pk), "blob_id": str(rivals.their_blob.pk)}
    before = db_state()
    let_in = []
    for found in all_routes():
        public = found.name in ADMIN_PUBLIC if found.admin else ROUTES[found.name].access is not SIGNED_IN
        if public:
            continue
        url = found.url(values)
        for method in METHODS:
            response = anonymous.generic(method, url, "{}", content_type="application/json")
            if not refused_anonymously(response) or rivals.leaked(body(response)):
                let_in.append((method, url, response.status_code))
    assert let_in == []
    assert db_state() == before


@pytest.mark.parametrize("name", ["login", "pwa-manifest", "pwa-sw"])
def test_the_sign_in_page_the_manifest_and_the_service_worker_answer_anonymous_visitors(transactional_db, name):
    response = HttpClient().get(route(name).url({}))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_the_public_pages_hold_nothing_of_anyones(rivals):
    anonymous = HttpClient()
    public = [found for found in app_routes() if ROUTES[found.name].access is PUBLIC]
    for found in public:
        response = anonymous.get(found.url({}))
        assert response.status_code < 500, found
        assert rivals.leaked(body(response)) == [], found


@pytest.mark.parametrize("path", sorted(SOCKETS))
def test_every_socket_refuses_anonymous_visitors(transactional_db, path):
    headers = session_headers(None)

    async def scenario() -> None:
        assert await refused(f"/{path}", headers)

    run(scenario)


# The statement link: the token is the key ---------------------------------------------------------------------------


class Backdated(signing.TimestampSigner):
    """Signs as `signing.dumps` does, at a time long past."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(timezone.now().timestamp()) - 30 * 24 * 3600)


def forged_tokens(rivals: Rivals) -> dict[str, str]:
    delivery = str(rivals.their_delivery.pk)
    valid = urlparse(statement_link(rivals.their_delivery)).path.rsplit("/", 1)[-1].removesuffix(".pdf")
    return {
        "tampered": valid[:-2] + ("AA" if not valid.endswith("AA") else "BB"),
        "expired": Backdated(salt=LINK_SALT).sign_object(delivery),
        "another purpose": signing.dumps(delivery, salt="another.salt"),
        "unsigned id": delivery,
        "deleted delivery": signing.dumps(str(uuid.uuid4()), salt=LINK_SALT),
    }


def test_a_statement_link_with_a_forged_or_expired_token_answers_404_and_holds_nothing(rivals, device1):
    anonymous, rep1 = HttpClient(), device1.http
    link = urlparse(statement_link(rivals.their_delivery)).path
    assert anonymous.get(link).status_code == 200  # the control: the link itself works, for anyone

    answers = {}
    for reason, token in forged_tokens(rivals).items():
        for who, http in (("anonymous", anonymous), ("rep1", rep1)):
            response = http.get(route("statement-link").url({"token": token}))
            answers[reason, who] = (response.status_code, body(response))
            assert rivals.leaked(body(response)) == [], reason

    assert {status for status, _content in answers.values()} == {404}
    assert len({content for _status, content in answers.values()}) == 1


def test_a_statement_link_expires_after_the_days_set(rivals, settings):
    settings.STATEMENT_LINK_DAYS = 40
    token = forged_tokens(rivals)["expired"]
    assert HttpClient().get(route("statement-link").url({"token": token})).status_code == 200

    settings.STATEMENT_LINK_DAYS = 7
    assert HttpClient().get(route("statement-link").url({"token": token})).status_code == 404


# rep1 against rep2's records ------------------------------------------------------------------------------------------


def their_values(rivals: Rivals) -> dict[str, str]:
    """Each record parameter filled with rep2's record (a statement link with a token rep1 could make)."""
    client = str(rivals.theirs.pk)
    return {
        "client_id": client,
        "pk": client,
        "blob_id": str(rivals.their_blob.pk),
        "token": forged_tokens(rivals)["unsigned id"],
    }


def unknown_values() -> dict[str, str]:
    return {"client_id": str(uuid.uuid4()), "pk": str(uuid.uuid4()), "blob_id": str(uuid.uuid4()), "token": "x"}


def request(http: HttpClient, method: str, found: Route, values: dict[str, str]) -> Any:
    """A request that would do something if let through: a photo for a photo's URL, else a statement order."""
    if found.record == "blob":
        return http.generic(method, found.url(values), jpeg("black"), content_type="image/jpeg")
    payload = '{"channel": "sms", "recipient": "+2250700000001", "name": "Chez Awa (volé)"}'
    return http.generic(method, found.url(values), payload, content_type="application/json")


RECORD_ROUTES = sorted(name for name, row in ROUTES.items() if row.record is not None and row.access is SIGNED_IN)


def main_method(found: Route) -> str:
    """What the URL is for: GET where it reads, else the write it takes (a DRF view's handlers tell)."""
    actions = getattr(found.callback, "actions", None)
    view = getattr(found.callback, "cls", None)
    handlers = set(actions) if actions else {method for method in ("get", "post", "put") if hasattr(view, method)}
    return "GET" if "get" in handlers else handlers.pop().upper()


@pytest.mark.parametrize("name", RECORD_ROUTES)
def test_a_rep_cannot_read_or_change_another_reps_record_through_any_url(rivals, device1, device2, name):
    """Every method on every URL naming a record: the answer for rep2's record is the one for an id nobody has
    (a read: 404), and nothing changes. A photo's id is the exception: uploading under it is refused with 409."""
    found = route(name)
    main = main_method(found)
    owner = request(device2.http, main, found, their_values(rivals))
    assert 200 <= owner.status_code < 300, body(owner)  # the control: rep2 does read (or send) it there

    wrong = []
    for method in METHODS:
        before = db_state()
        theirs = request(device1.http, method, found, their_values(rivals))
        changed = db_state() != before
        control = request(device1.http, method, found, unknown_values())
        answer, expected = (theirs.status_code, body(theirs)), (control.status_code, body(control))
        if found.record == "blob" and method == "PUT":
            expected = (409, answer[1])
        refused = not 200 <= theirs.status_code < 300 and (method != main or theirs.status_code == 404)
        if answer != expected or not refused or changed or rivals.leaked(answer[1]):
            wrong.append((method, answer, expected, changed))
    assert wrong == []


# Nothing of rep2's anywhere -------------------------------------------------------------------------------------------


def every_answer(http: HttpClient, values: dict[str, str]) -> dict[str, tuple[int, str]]:
    """The answer to a GET of every URL of the app (not the admin), naming rep2's records where a URL names one."""
    answers = {}
    for found in app_routes():
        url = found.url(values)
        response = http.get(url, {"limit": 2000} if found.name == "sync-pull" else {})
        answers[found.name] = (response.status_code, body(response))
    return answers


@pytest.fixture
def supervisor(rivals, rep1, rep2):  # type: ignore[no-untyped-def]
    """rep1's supervisor, and a visit of rep1's today for the board to show."""
    supervisor, rep2s = SupervisorFactory(username="bintou"), SupervisorFactory(username="moussa")
    Profile.objects.create(user=rep1, supervisor=supervisor)
    Profile.objects.create(user=rep2, supervisor=rep2s)
    visit = checked_in(rep1, rivals)
    return supervisor, visit, rep2s


def test_no_answer_to_a_rep_holds_anything_of_another_reps(rivals, device1, device2):
    their_answers = every_answer(device2.http, their_values(rivals))
    # The control: rep2's records are there to be found, in these answers of rep2's own.
    assert {"client-detail", "client-history", "client-notes", "client-kpis", "client-list", "sync-pull"} <= set(
        leaks(rivals, their_answers)
    )

    answers = every_answer(device1.http, their_values(rivals))

    assert leaks(rivals, answers) == {}
    assert answers["sync-pull"][0] == answers["client-list"][0] == 200


def test_a_supervisor_sees_their_reps_visits_and_nothing_of_other_reps_anywhere(rivals, supervisor):
    boss, visit, rep2s_boss = supervisor
    # The control: rep2's visit is on the board of rep2's supervisor.
    assert str(rivals.their_visit.pk) in body(device_for(rep2s_boss).http.get(route("board-visits").url()))

    answers = every_answer(device_for(boss).http, their_values(rivals))

    assert answers["board-visits"][0] == 200
    assert str(visit.pk) in answers["board-visits"][1]
    assert leaks(rivals, answers) == {}


def test_staff_without_the_view_permission_reach_no_client_through_the_api(rivals, rep1):
    """Staff see every client through the API only with the permission to view clients (clients_for_api); without
    it, each client URL answers as it does to a rep who does not work on the client, and so does a photo's."""
    rep1.is_staff = True
    rep1.save()
    http = device_for(rep1).http
    before = db_state()

    tries = [(name, main_method(route(name))) for name in RECORD_ROUTES]
    answers = {(name, method): request(http, method, route(name), their_values(rivals)) for name, method in tries}

    assert {tried: response.status_code for tried, response in answers.items() if response.status_code != 404} == {}
    assert db_state() == before
