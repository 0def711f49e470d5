"""What every answer shares: a request id that the logs carry, the API's errors in one JSON envelope (a server error
and a busy database included), and no signed-in answer kept in any cache.

The envelope: `{"code": "...", "detail": "..."}` in the user's language, with `errors` (per field) for a form that
does not validate and `request_id` for a server error, the id its log lines carry. A busy database (no connection to
lend in time, a transaction it failed) answers 503 with Retry-After: the app waits that long, keeping its queue.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import server_error as html_server_error
from rest_framework.views import exception_handler

REQUEST_ID: ContextVar[str] = ContextVar("fieldsales_request_id", default="-")
# An id the proxy in front gave (nginx's $request_id, say) is kept, if it looks like one.
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Seconds a client waits before it sends again what a busy database refused.
RETRY_AFTER = 5

SERVER_ERROR = _("The server failed to answer. Nothing was lost on your phone: it will send again by itself.")
BUSY = _("The server is busy. Nothing was lost on your phone: it will send again in a few seconds.")
BUSY_PAGE = _("The server is busy. Try again in a few seconds.")
INVALID = _("Some values are not valid.")


class RequestIdMiddleware:
    """First of all middleware: names the request (the proxy's X-Request-ID, else a new one) for every log line
    written while it is answered; a server error's answer carries it, in its body and in X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        request.id = request_id  # type: ignore[attr-defined]
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        if response.status_code >= 500:
            response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Gives every log record the id of the request being answered (`-` outside one), as `request_id`: Django's
    own line for an answer of 4xx or 5xx, written after the middleware, names its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "id", None) or REQUEST_ID.get()
        return True


def no_store(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A signed-in user's answer that says nothing of caching (the API's JSON, a PDF, a photo) is kept by no cache,
    a shared proxy's or the phone browser's disk: `Cache-Control: no-store`. After AuthenticationMiddleware.

    Only an answer whose view read the session (which knowing the user takes) can depend on who asked: the others
    (the service worker, the manifest, the app's strings) are the same for everyone, and asking who the user is for
    them would cost each a session and a user query."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.accessed
            and not response.has_header("Cache-Control")
            and request.user.is_authenticated
        ):
            response["Cache-Control"] = "no-store"
        return response

    return middleware


def envelope(code: str, detail: Any, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"code": code, "detail": str(detail), **extra}, status=status)


def busy(error: BaseException | None) -> bool:
    """Whether `error` says the database was too busy, or out of reach, rather than that the code is wrong."""
    return isinstance(error, OperationalError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500, called while the error is being handled: under /api/, the envelope with the request id. A busy
    database answers 503 with Retry-After, in the envelope under /api/ and in a line of text elsewhere."""
    error = sys.exc_info()[1]
    if busy(error):
        if request.path.startswith("/api/"):
            response: HttpResponse = envelope("unavailable", BUSY, 503, request_id=REQUEST_ID.get())
        else:
            response = HttpResponse(str(BUSY_PAGE), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if request.path.startswith("/api/"):
        return envelope("server_error", SERVER_ERROR, 500, request_id=REQUEST_ID.get())
    return html_server_error(request)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's answer to an error it knows (not signed in, not found, a throttle, a form that does not validate), in
    the envelope: DRF's own code and message; a form's errors under `errors`, by field."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        detail = data["detail"]
        response.data = {"code": getattr(detail, "code", None) or "error", "detail": str(detail)}
    else:
        response.data = {"code": "invalid", "detail": str(_first_message(data) or INVALID), "errors": data}
    return response


def _first_message(errors: Any) -> Any:
    """The first message of a form's errors (by field, in lists, nested): the one the envelope's `detail` tells."""
    while isinstance(errors, dict | list) and errors:
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return errors or None
