"""What every answer shares (fieldsales/http.py, fieldsales/db.py): the API's errors in one JSON envelope, 500 and 503
included, with a request id that the log carries; no signed-in answer cached; the browsable API off; a pooled
connection that died replaced; a transaction the database failed run again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import path
from psycopg import errors as pg_errors

from fieldsales import db
from fieldsales.http import BUSY, BUSY_PAGE, RETRY_AFTER, SERVER_ERROR, RequestIdFilter
from fieldsales.urls import handler404, handler500
from fieldsales.urls import urlpatterns as project_urls

__all__ = ["handler404", "handler500"]  # this module is the tests' URLconf: Django reads its error handlers here


def broken(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug")


def database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError("couldn't get a connection after 10.00 sec")


urlpatterns = [
    path("api/broken", broken),
    path("api/database-gone", database_gone),
    path("broken-page", database_gone),
    *project_urls,
]
failing_urls = override_settings(ROOT_URLCONF=__name__)


@failing_urls
def test_a_server_error_under_the_api_answers_the_envelope_with_the_request_id_its_log_line_carries(caplog, settings):
    http = HttpClient(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = http.get("/api/broken", HTTP_ACCEPT_LANGUAGE="fr", HTTP_X_REQUEST_ID="proxy-id-1234")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert body["code"] == "server_error" and body["detail"].startswith("Le serveur n'a pas pu répondre")
    assert body["request_id"] == response["X-Request-ID"] == "proxy-id-1234"
    # Django's log line of the error, through the settings' filter and format, names the request.
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert RequestIdFilter().filter(record)
    line = logging.Formatter(settings.LOGGING["formatters"]["line"]["format"]).format(record)
    assert "ERROR django.request [proxy-id-1234] Internal Server Error: /api/broken" in line


@failing_urls
def test_a_request_id_that_is_no_token_is_replaced_by_one_of_ours():
    response = HttpClient(raise_request_exception=False).get("/api/broken", HTTP_X_REQUEST_ID="<script>")
    assert response.json()["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32 and "<" not in response["X-Request-ID"]


@failing_urls
def test_a_busy_database_answers_503_with_retry_after_in_the_envelope_or_in_words_on_a_page():
    http = HttpClient(raise_request_exception=False)
    api = http.get("/api/database-gone", HTTP_ACCEPT_LANGUAGE="en")
    assert (api.status_code, api["Retry-After"]) == (503, str(RETRY_AFTER))
    assert api.json() == {"code": "unavailable", "detail": str(BUSY), "request_id": api["X-Request-ID"]}
    page = http.get("/broken-page", HTTP_ACCEPT_LANGUAGE="en")
    assert (page.status_code, page["Retry-After"], page.content.decode()) == (503, str(RETRY_AFTER), str(BUSY_PAGE))
    assert str(SERVER_ERROR) != str(BUSY)


def test_drf_errors_come_in_the_envelope_with_drfs_code(db, awa):
    signed_out = HttpClient().get("/api/me", HTTP_ACCEPT_LANGUAGE="en")
    assert signed_out.json() == {"code": "not_authenticated", "detail": "Authentication credentials were not provided."}
    http = HttpClient()
    http.force_login(awa)
    wrong = http.delete("/api/me")
    assert wrong.json() == {"code": "method_not_allowed", "detail": 'Method "DELETE" not allowed.'}


def test_a_signed_in_answer_is_kept_by_no_cache_and_a_signed_out_one_says_nothing(db, awa):
    assert not HttpClient().get("/api/me").has_header("Cache-Control")
    http = HttpClient()
    http.force_login(awa)
    for url in ("/api/me", "/api/sync/pull?v=2"):
        assert http.get(url)["Cache-Control"] == "no-store", url
    # Pages that set their own caching keep it: the app's shell is never cached, on its own terms.
    assert "no-store" in http.get("/")["Cache-Control"]


def test_an_answer_the_same_for_everyone_costs_no_query_to_learn_who_asked(db, awa, django_assert_num_queries):
    http = HttpClient()
    http.force_login(awa)
    with django_assert_num_queries(0):
        manifest = http.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.get("Cache-Control") != "no-store"


def test_the_api_answers_json_to_a_browser_there_is_no_browsable_api(db, awa):
    http = HttpClient()
    http.force_login(awa)
    response = http.get("/api/me", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response["Content-Type"] == "application/json"
    assert http.get("/api/me", HTTP_ACCEPT="text/html").status_code == 406


# Retries ----------------------------------------------------------------------------------------------------------


def failing(times: int, error: BaseException) -> tuple[list[int], Any]:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError(str(error)) from error
        return "done"

    return calls, work


@pytest.mark.parametrize("cause", [pg_errors.DeadlockDetected(), pg_errors.SerializationFailure()])
def test_a_transaction_the_database_failed_is_run_again_a_bounded_number_of_times(cause, monkeypatch):
    monkeypatch.setattr(db, "FIRST_PAUSE", 0)
    calls, work = failing(2, cause)
    assert (db.retried(work), len(calls)) == ("done", 3)
    calls, work = failing(3, cause)
    with pytest.raises(OperationalError):
        db.retried(work)
    assert len(calls) == db.ATTEMPTS == 3


@pytest.mark.django_db
def test_other_errors_and_work_inside_a_transaction_are_not_run_again(monkeypatch):
    monkeypatch.setattr(db, "FIRST_PAUSE", 0)
    calls, work = failing(1, pg_errors.UndefinedTable())
    with pytest.raises(OperationalError):
        db.retried(work)
    assert len(calls) == 1
    calls, work = failing(1, pg_errors.DeadlockDetected())
    with transaction.atomic(), pytest.raises(OperationalError):
        db.retried(work)
    assert len(calls) == 1


# PostgreSQL's pool ------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_signing_in_holds_no_connection_while_the_password_is_hashed(awa, monkeypatch):
    from django.contrib.auth.models import User

    held: list[bool] = []
    check_password = User.check_password

    def watched(self: User, raw: str) -> bool:
        held.append(connection.connection is not None)
        return check_password(self, raw)

    monkeypatch.setattr(User, "check_password", watched)
    awa.set_password("a good password")
    awa.save()
    response = HttpClient().post("/accounts/login/", {"username": awa.username, "password": "a good password"})
    assert response.status_code == 302
    assert held == [False]
