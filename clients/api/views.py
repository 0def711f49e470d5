from __future__ import annotations

import math
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.functions import ASin, Cos, Length, Power, Radians, Sin, Sqrt, Substr
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from clients.api.serializers import ClientSerializer
from clients.filters import ClientFilterBase, client_filterset
from clients.models import Client, ClientList
from clients.selectors import client_search, clients_for_api, lists_visible_to
from fieldsales.geo import BAD_NEAR, EARTH_RADIUS_M, NEAR_PATTERN, bounding_box, near_parse
from fieldsales.openapi import SIGNED_OUT

DEFAULT_RADIUS_M = 20_000
MAX_RADIUS_M = 500_000
BAD_RADIUS = _("radius_m must be a number of metres from 1 to 500000.")


class ClientPagination(CursorPagination):
    """25 a page, alphabetical (`_sort_name`) or nearest first (`_distance`), both annotated by the view."""

    page_size = 25
    ordering = ("_sort_name", "id")

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        return ("_distance", "id") if getattr(view, "near", None) else self.ordering

    def decode_cursor(self, request: Any) -> Any:
        cursor = super().decode_cursor(request)
        # The position is read back from the request: a distance that is not a number, or a name holding a NUL
        # (which PostgreSQL refuses in a text), would fail in the query.
        if cursor is None or cursor.position is None:
            return cursor
        if "\x00" in str(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        if request.query_params.get("near"):
            try:
                float(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor


def sort_name() -> Any:
    """The name folded for case and accents, so "éclair" sorts between "eau" and "épi" and "alpha" before "Beta".

    `search_text` starts with the folded name (clients.schema.search_text), so its first len(name) characters are it.
    """
    return Substr(F("search_text"), 1, Length("name"))


def haversine_sql(lat: float, lng: float) -> Any:
    """fieldsales.geo.haversine_m from (lat, lng) to each client, in the database: what the list is sorted,
    cut and labelled by, so the order, the radius and `distance_m` agree to the millimetre. It stays in SQL (the one
    copy of the formula besides geo.py's and the app's lib/geo.js): the list's pages are keyset-paginated on this
    distance, which only the database can order by without reading every client of the box."""
    half_dlat = (Radians(F("lat")) - Value(math.radians(lat))) / Value(2.0)
    half_dlng = (Radians(F("lng")) - Value(math.radians(lng))) / Value(2.0)
    a = Power(Sin(half_dlat), 2) + Value(math.cos(math.radians(lat))) * Cos(Radians(F("lat"))) * Power(
        Sin(half_dlng), 2
    )
    return Value(2 * EARTH_RADIUS_M) * ASin(Sqrt(a), output_field=FloatField())


BAD_QUERY = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A parameter is malformed: `{parameter: [message]}`, in the request's language. "
    'E.g. `{"near": ["near must be “latitude,longitude”, e.g. near=5.35,-4.01."]}`.',
)
NOT_FOUND = OpenApiResponse(description="No such client, or not one the user works on (assigned, not archived).")
BAD_CURSOR = OpenApiResponse(description="`cursor` is not one the server gave: start again from the first page.")


@extend_schema_view(
    list=extend_schema(
        summary="The clients the user works on, 25 a page",
        description=(
            "A rep gets the clients assigned to them, not archived, on a list one of their groups may read; "
            "back-office staff with the view permission get every active client. Alphabetical by name (case and "
            "accents aside), or nearest first with `near`. Follow `next` for the following page. Search and "
            "filters run over the whole list, not the page."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Search over the name and important attributes; accents and case do not matter. "
                "Every word must match.",
            ),
            OpenApiParameter(
                "near",
                {"type": "string", "pattern": NEAR_PATTERN},
                description="“lat,lng”, e.g. `5.35,-4.01`: nearest first, within `radius_m`, with `distance_m`. "
                "Clients without a position are left out.",
            ),
            OpenApiParameter(
                "radius_m",
                {"type": "number", "minimum": 1, "maximum": MAX_RADIUS_M},
                description="With `near`: metres, 1 to 500000; default 20000.",
            ),
            OpenApiParameter(
                "attribute_filters",
                {"type": "object", "additionalProperties": {"type": "string"}},
                style="form",
                explode=True,
                description="Filters on the list schema's attributes, one query parameter each: `attr_<key>=value` "
                "(text: contains, any case; choice: exact; yes/no: `true` or `false`; multiple choice: holds "
                "that option), and `attr_<key>_min` / `attr_<key>_max` for integers, decimals and dates "
                "(YYYY-MM-DD), bounds included. E.g. `attr_quartier=cocody&attr_surface_m2_min=50`. Unknown "
                "parameters are ignored.",
            ),
        ],
        responses={200: ClientSerializer(many=True), 400: BAD_QUERY, 403: SIGNED_OUT, 404: BAD_CURSOR},
    ),
    retrieve=extend_schema(
        summary="A client, with who created and last edited it, and when",
        responses={200: ClientSerializer, 403: SIGNED_OUT, 404: NOT_FOUND},
    ),
)
class ClientViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ClientSerializer
    pagination_class = ClientPagination
    near: tuple[float, float] | None = None

    @property
    def filterset_class(self) -> Any:
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return ClientFilterBase
        lists = ClientList.objects.prefetch_related("attributes")
        if not self.request.user.is_staff:
            lists = lists.filter(pk__in=lists_visible_to(self.request.user))
        return client_filterset([spec for client_list in lists for spec in client_list.specs()])

    def get_queryset(self) -> QuerySet[Client]:
        if getattr(self, "swagger_fake_view", False):
            return Client.objects.none()
        return clients_for_api(self.request.user).select_related("created_by", "updated_by")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for name, values in self.request.query_params.lists():
            # PostgreSQL refuses a NUL in a text: a search for one is malformed, not a server error.
            if any("\x00" in value for value in values):
                raise ValidationError({name: [str(ProhibitNullCharactersValidator.message)]})
        queryset = super().filter_queryset(queryset)
        queryset = client_search(queryset, self.request.query_params.get("q", ""))
        if self.action != "list":
            return queryset
        if "near" in self.request.query_params:
            return self._nearest_first(queryset)
        # Checked even without `near`: a malformed parameter is an error, never silently nothing.
        self._radius()
        return queryset.annotate(_sort_name=sort_name())

    def _radius(self) -> float:
        try:
            radius = float(self.request.query_params.get("radius_m", DEFAULT_RADIUS_M))
            if not 1 <= radius <= MAX_RADIUS_M:
                raise ValueError
        except ValueError:
            raise ValidationError({"radius_m": [str(BAD_RADIUS)]}) from None
        return radius

    def _nearest_first(self, queryset: QuerySet[Client]) -> QuerySet[Client]:
        point = near_parse(self.request.query_params["near"])
        if point is None:
            raise ValidationError({"near": [str(BAD_NEAR)]})
        lat, lng = point
        radius = self._radius()
        self.near = (lat, lng)
        min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius)
        # The box is read off the (lat, lng) index; the exact distance then cuts its corners and sorts what is left.
        return (
            queryset.filter(lat__range=(min_lat, max_lat), lng__range=(min_lng, max_lng))
            .annotate(_distance=haversine_sql(lat, lng))
            .filter(_distance__lte=radius)
        )
