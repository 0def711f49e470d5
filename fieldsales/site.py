"""The site's own address, for the links that leave it (statement links in SMS, WhatsApp and email)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site_url(request: HttpRequest | None = None) -> str:
    """The address a link starts with, without its last slash: the request's own (as the visitor reached the site,
    scheme included behind a proxy) when there is one; SITE_URL otherwise, as for a delivery sent from a thread or a
    command."""
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return str(settings.SITE_URL).rstrip("/")
