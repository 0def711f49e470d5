"""What every operation of the API documents alike (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

# The API's error envelope (fieldsales/http.py): DRF's code and message.
DETAIL = inline_serializer("Detail", {"code": serializers.CharField(), "detail": serializers.CharField()})
# DRF's session authentication answers 403, never 401: it sends no WWW-Authenticate challenge.
SIGNED_OUT = OpenApiResponse(
    DETAIL,
    description="Not signed in (or the session expired), or an unsafe method without the CSRF token in "
    "`X-CSRFToken`: nothing was done. The app keeps its queue and asks the user to sign in again.",
)
