from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from clients.panels import client_panels_render

register = template.Library()


@register.simple_tag(takes_context=True)
def client_panels(context: Any, client: Any) -> SafeString:
    """The panels other apps registered for a client's page (clients/panels.py); nothing for a client not saved yet."""
    if client is None or client.pk is None or "request" not in context:
        return mark_safe("")
    # Each panel's template escaped what it shows.
    return mark_safe("".join(client_panels_render(request=context["request"], client=client)))  # noqa: S308
