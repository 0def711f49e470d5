"""The REST side of statements: send one, download one (for the phone's share sheet), and the SMS link."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.selectors import clients_for_api, clients_visible_to
from fieldsales.openapi import DETAIL, SIGNED_OUT
from fieldsales.sync.errors import NOT_UUID, uuid_or_none
from kpis.delivery import delivery_from_link, delivery_pdf
from kpis.models import KpiCard
from kpis.services import statement_send
from kpis.statements import StatementError, statement_pdf

NOT_FOUND = OpenApiResponse(DETAIL, description="No such client, or not one the user works on.")
NOT_YOURS_TO_SEND = _("Only the client's reps and the back office send its statements.")
SEND_REFUSED = OpenApiResponse(
    DETAIL,
    description="Account statements are not enabled for this client, or the user reads the client without sending "
    f"its statements (a supervisor). {SIGNED_OUT.description}",
)
NOT_ENABLED = OpenApiResponse(
    DETAIL, description=f"Account statements are not enabled for this client. {SIGNED_OUT.description}"
)


def _client(request: Request, client_id: uuid.UUID) -> Any:
    """The client as the client URLs of the API find it (clients_for_api): staff reach any active client only with
    the permission to view clients, as on `/api/clients/<id>/`; 404 for any other, as for one that does not exist."""
    client = clients_for_api(request.user).filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


def _may_send(user: Any, client: Any) -> bool:
    """Reps send the statements of the clients they work on; staff, who find any client of theirs through the API,
    need the permission to add deliveries (a supervisor reads, and sends nothing)."""
    if not user.is_staff:
        return True  # found among the clients the rep works on (clients_for_api)
    return user.has_perm("kpis.add_statementdelivery") or clients_visible_to(user).filter(pk=client.pk).exists()


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # A client's account, whoever opens it (a link sent by SMS opens without signing in): kept by no cache.
    response["Cache-Control"] = "no-store"
    return response


class StatementSendView(APIView):
    @extend_schema(
        operation_id="statement_send",
        summary="Queue an account statement for a client",
        request=inline_serializer(
            "StatementSend",
            {
                "channel": serializers.ChoiceField(choices=["email", "whatsapp", "sms"]),
                "recipient": serializers.CharField(),
                "id": serializers.UUIDField(required=False),
            },
        ),
        responses={
            202: inline_serializer(
                "StatementQueued", {"id": serializers.UUIDField(), "status": serializers.CharField()}
            ),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="A field is missing or malformed: `{field: [message]}`."
            ),
            403: SEND_REFUSED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, client_id: uuid.UUID) -> Response:
        client = _client(request, client_id)
        if not _may_send(request.user, client):
            raise exceptions.PermissionDenied(NOT_YOURS_TO_SEND)
        data = request.data if isinstance(request.data, dict) else {}
        given_id = data.get("id") or None
        delivery_id = uuid_or_none(given_id) if isinstance(given_id, str) else None
        if given_id is not None and delivery_id is None:
            raise serializers.ValidationError({"id": [NOT_UUID]})
        try:
            delivery = statement_send(
                user=request.user,
                client=client,
                channel=str(data.get("channel") or ""),
                recipient=str(data.get("recipient") or ""),
                language=translation.get_language() or "en",
                delivery_id=delivery_id,
            )
        except StatementError as error:
            raise exceptions.PermissionDenied(error.message) from None
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            raise serializers.ValidationError(errors) from None
        return Response({"id": str(delivery.pk), "status": delivery.status}, status=status.HTTP_202_ACCEPTED)


class StatementPdfView(APIView):
    @extend_schema(
        operation_id="statement_pdf",
        summary="A client's account statement of the last 90 days, as a PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: NOT_ENABLED, 404: NOT_FOUND},
    )
    def get(self, request: Request, client_id: uuid.UUID) -> HttpResponse:
        client = _client(request, client_id)
        try:
            pdf = statement_pdf(client=client, language=translation.get_language() or "en")
        except StatementError as error:
            raise exceptions.PermissionDenied(error.message) from None
        return _pdf_response(pdf, "statement.pdf")


class KpiCardView(APIView):
    @extend_schema(
        operation_id="client_kpis",
        summary="A client's KPI card",
        responses={200: OpenApiTypes.OBJECT, 403: SIGNED_OUT, 404: NOT_FOUND},
    )
    def get(self, request: Request, client_id: uuid.UUID) -> Response:
        client = _client(request, client_id)
        card = KpiCard.objects.filter(client=client).first()
        folders = card.folders if card else []
        return Response({"client": str(client.pk), "version": card.version if card else 0, "folders": folders})


def statement_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed, expiring link an SMS or WhatsApp message carries: no sign-in, the token is the key."""
    delivery = delivery_from_link(token)
    if delivery is None:
        raise Http404
    return _pdf_response(delivery_pdf(delivery), f"statement-{delivery.period_end.isoformat()}.pdf")
