"""Panels that the apps above clients add to a client's page in the admin (kpis: its KPI card and statement).

Imports run one way (clients ← workflows ← kpis), so clients names none of them: an app registers its panel from its
`AppConfig.ready()`, and the client's change form (templates/admin/clients/client/change_form.html) renders every
registered panel through the `client_panels` tag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class ClientPanel:
    """A panel's template, and what it shows of a client to the request's user (None: the panel stays out)."""

    template: str
    context: Callable[[HttpRequest, Any], Mapping[str, Any] | None]


CLIENT_PANELS: list[ClientPanel] = []


def client_panel_register(panel: ClientPanel) -> None:
    if panel not in CLIENT_PANELS:
        CLIENT_PANELS.append(panel)


def client_panels_render(*, request: HttpRequest, client: Any) -> list[SafeString]:
    """Each registered panel's HTML for this client, in the order the apps registered them."""
    rendered: list[SafeString] = []
    for panel in CLIENT_PANELS:
        context = panel.context(request, client)
        if context is not None:
            rendered.append(render_to_string(panel.template, {**context, "client": client}, request=request))
    return rendered
