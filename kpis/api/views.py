"""The REST side of statements: send one, download one (for the phone's share sheet), and the SMS link."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.selectors import clients_visible_to
from kpis.delivery import delivery_from_link, delivery_pdf
from kpis.models import KpiCard
from kpis.services import statement_send
from kpis.statements import StatementError, statement_pdf


def _client(request: Request, client_id: uuid.UUID) -> Any:
    client = clients_visible_to(request.user).filter(pk=client_id).first()
    if client is None and request.user.is_staff:
        from clients.models import Client

        client = Client.objects.filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
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
            )
        },
    )
    def post(self, request: Request, client_id: uuid.UUID) -> Response:
        client = _client(request, client_id)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            delivery = statement_send(
                user=request.user,
                client=client,
                channel=str(data.get("channel") or ""),
                recipient=str(data.get("recipient") or ""),
                language=translation.get_language() or "en",
                delivery_id=data.get("id") or None,
            )
        except StatementError as error:
            return Response({"detail": str(error.message)}, status=status.HTTP_403_FORBIDDEN)
        except ValidationError as error:
            return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": str(delivery.pk), "status": delivery.status}, status=status.HTTP_202_ACCEPTED)


class StatementPdfView(APIView):
    @extend_schema(
        operation_id="statement_pdf",
        summary="A client's account statement of the last 90 days, as a PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, client_id: uuid.UUID) -> HttpResponse:
        client = _client(request, client_id)
        try:
            pdf = statement_pdf(client=client, language=translation.get_language() or "en")
        except StatementError as error:
            return Response({"detail": str(error.message)}, status=status.HTTP_403_FORBIDDEN)  # type: ignore[return-value]
        return _pdf_response(pdf, "statement.pdf")


class KpiCardView(APIView):
    @extend_schema(operation_id="client_kpis", summary="A client's KPI card", responses={200: OpenApiTypes.OBJECT})
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
