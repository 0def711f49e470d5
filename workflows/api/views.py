"""Read-only REST endpoints of the workflows app: a client's history and notes, the active workflows and products.

Each record is the one the sync feed sends a device (workflows/records.py), flattened to `{"id", "version", ...data}`.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.selectors import clients_for_api
from fieldsales.openapi import SIGNED_OUT
from fieldsales.sync.errors import parse_moment
from workflows.api.serializers import NoteSerializer, ProductSerializer, VisitSerializer, WorkflowSerializer
from workflows.models import Note, Product, Visit, Workflow
from workflows.records import (
    NOTE_COLUMNS,
    note_record,
    serialize_products,
    serialize_workflows,
    visit_record,
    visits_with_history,
)

NOT_FOUND = OpenApiResponse(
    description="No such client, or not one the user works on; or a `cursor` that is not one the server gave."
)


def _flat(entity_id: Any, record: dict[str, Any]) -> dict[str, Any]:
    return {"id": entity_id, "version": record["version"], **record["data"]}


def _page_of(name: str, item: type[serializers.Serializer]) -> Any:
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page; null on the last one."),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class NewestFirst(CursorPagination):
    page_size = 25

    def decode_cursor(self, request: Request) -> Any:
        cursor = super().decode_cursor(request)
        # The position (a moment) is read back from the request: a forged one would fail in the query.
        if cursor is not None and cursor.position is not None and parse_moment(cursor.position) is None:
            raise NotFound(self.invalid_cursor_message)
        return cursor


class ClientHistoryView(APIView):
    @extend_schema(
        operation_id="clients_history_list",
        summary="The visits made at a client, newest first, with their activities and orders, 25 a page",
        responses={200: _page_of("PaginatedVisitList", VisitSerializer), 403: SIGNED_OUT, 404: NOT_FOUND},
    )
    def get(self, request: Request, client_id: str) -> Response:
        client = get_object_or_404(clients_for_api(request.user), pk=client_id)
        paginator = NewestFirst()
        paginator.ordering = ("-checked_in_at", "-id")
        page: list[Visit] | None = paginator.paginate_queryset(
            visits_with_history().filter(client=client), request, view=self
        )
        return paginator.get_paginated_response([_flat(visit.pk, visit_record(visit)) for visit in page or []])


class ClientNotesView(APIView):
    @extend_schema(
        operation_id="clients_notes_list",
        summary="Notes on a client, newest first, 25 a page",
        responses={200: _page_of("PaginatedNoteList", NoteSerializer), 403: SIGNED_OUT, 404: NOT_FOUND},
    )
    def get(self, request: Request, client_id: str) -> Response:
        client = get_object_or_404(clients_for_api(request.user), pk=client_id)
        paginator = NewestFirst()
        paginator.ordering = ("-created_at", "-id")
        page: list[dict[str, Any]] | None = paginator.paginate_queryset(
            Note.objects.filter(client=client).values(*NOTE_COLUMNS), request, view=self
        )
        return paginator.get_paginated_response([_flat(row["id"], note_record(row)) for row in page or []])


class WorkflowListView(APIView):
    @extend_schema(
        operation_id="workflows_list",
        summary="Active workflows with their activities, in their back-office order",
        responses={200: WorkflowSerializer(many=True), 403: SIGNED_OUT},
    )
    def get(self, request: Request) -> Response:
        ids = list(Workflow.objects.filter(active=True).values_list("pk", flat=True))
        records = serialize_workflows(request.user, [str(pk) for pk in ids])  # type: ignore[arg-type]
        return Response([_flat(pk, records[str(pk)]) for pk in ids])


class ProductListView(APIView):
    @extend_schema(
        operation_id="products_list",
        summary="Active products, by name",
        responses={200: ProductSerializer(many=True), 403: SIGNED_OUT},
    )
    def get(self, request: Request) -> Response:
        ids = list(Product.objects.filter(active=True).order_by("name", "pk").values_list("pk", flat=True))
        records = serialize_products(request.user, [str(pk) for pk in ids])  # type: ignore[arg-type]
        return Response([_flat(pk, records[str(pk)]) for pk in ids])
