"""The client's page in the admin: its KPI card as its reps see it, and its account statement (clients/panels.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from clients.panels import ClientPanel, client_panel_register
from kpis.models import KpiCard


def _language() -> str:
    """The page's language among those a card is written in (the admin may read `fr-ca`: French)."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def client_kpi_panel(request: HttpRequest, client: Any) -> dict[str, Any]:
    """The card's folders, labels and values in the page's language, read from the stored card (one query), as the
    phone shows them; and the statement's PDF, which the API makes in the language of the request that opens it."""
    language = _language()
    card = KpiCard.objects.filter(client=client).values("folders", "computed_at").first()

    def text(entry: dict[str, Any], name: str) -> str:
        return entry.get(f"{name}_{language}") or entry.get(f"{name}_en") or entry.get(name) or ""

    folders = [
        {
            "name": text(folder, "name"),
            "kpis": [{"label": text(kpi, "label"), "text": text(kpi, "text")} for kpi in folder.get("kpis", [])],
        }
        for folder in (card["folders"] if card else [])
    ]
    statement_url = None
    if client.statement_enabled:
        statement_url = reverse("client-statement-pdf", kwargs={"client_id": client.pk})
    return {
        "folders": folders,
        "computed_at": card["computed_at"] if card else None,
        "statement_url": statement_url,
        "language": language,
    }


def register() -> None:
    client_panel_register(ClientPanel(template="admin/kpis/client_panel.html", context=client_kpi_panel))
