"""Error pages: under `/api/` a 404 is JSON, like every other answer of the API, whatever did not match."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found
from rest_framework.exceptions import NotFound

from fieldsales.http import envelope


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path no URL matches (an identifier that is not a UUID, say): the API's error body, not an HTML page."""
    if request.path.startswith("/api/"):
        return envelope("not_found", NotFound.default_detail, 404)
    return page_not_found(request, exception)
