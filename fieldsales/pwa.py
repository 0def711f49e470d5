"""The rep's PWA as the server sees it: the app shell, its manifest, its service worker and its translations.

The shell holds nothing of the user: it is cached once by the service worker and started offline; the app
asks `/api/me` who is signed in and reads everything else from its IndexedDB.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JSONCatalog
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fieldsales.accounts import REPS, user_has_role
from fieldsales.openapi import SIGNED_OUT

# Leaflet ships with django-leaflet; the map needs its script, its style and the images that style names.
LEAFLET_FILES = (
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
)
THEME_COLOR = "#0e6b4f"
# A classic script, not a module: it starts reading IndexedDB before the modules have loaded.
EARLY_SCRIPT = "js/early.js"
# The supervisors' live board (/board/) is a page of its own: the rep's app neither preloads nor precaches it.
NOT_THE_APP = frozenset({"js/board.js", "css/board.css"})


def _own_static_files() -> list[str]:
    root = Path(settings.BASE_DIR) / "static"
    names = (path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    return sorted(name for name in names if name not in NOT_THE_APP)


def _static_files() -> list[str]:
    return [*_own_static_files(), *LEAFLET_FILES]


def _catalog_urls() -> list[str]:
    return [reverse("pwa-i18n", args=[code]) for code, _name in settings.LANGUAGES]


def _precache() -> tuple[str, list[str]]:
    """The URLs the service worker caches on install, and a version that changes whenever one of them does."""
    digest = hashlib.sha256()
    urls = ["/", *_catalog_urls()]
    for name in _static_files():
        url = staticfiles_storage.url(name)
        urls.append(url)
        path = finders.find(name)
        if path:
            digest.update(Path(str(path)).read_bytes())
    for template in ("index.html", "sw.js"):
        digest.update((Path(settings.BASE_DIR) / "templates" / "pwa" / template).read_bytes())
    for code, _name in settings.LANGUAGES:
        catalogue = Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES" / "djangojs.mo"
        if catalogue.exists():
            digest.update(catalogue.read_bytes())
    digest.update("\n".join(urls).encode())
    return digest.hexdigest()[:16], urls


# Static files only change with a deployment: computed once per process, except while developing.
_precache_once = functools.cache(_precache)


def precache() -> tuple[str, list[str]]:
    return _precache() if settings.DEBUG else _precache_once()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_staff and not user_has_role(request.user, REPS):
        # Back-office staff work in the admin; the app is the reps'.
        return redirect("admin:index")
    # Every module is fetched at once instead of import by import: a cold start waits for one round, not five.
    modules = [
        staticfiles_storage.url(name) for name in _own_static_files() if name.endswith(".js") and name != EARLY_SCRIPT
    ]
    return render(request, "pwa/index.html", {"theme_color": THEME_COLOR, "modules": modules})


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    version, urls = precache()
    body = render_to_string("pwa/sw.js", {"version": version, "precache": json.dumps(urls)})
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    icon = staticfiles_storage.url
    return JsonResponse(
        {
            "name": "FieldSales",
            "short_name": "FieldSales",
            "description": _("Your clients, visits and orders, with or without a network."),
            "id": "/",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "theme_color": THEME_COLOR,
            "background_color": "#ffffff",
            "icons": [
                {"src": icon("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": icon("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": icon("icons/maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        },
        content_type="application/manifest+json",
    )


@require_GET
def i18n_catalog(request: HttpRequest, language: str) -> HttpResponseBase:
    """The app's strings in one language (the `djangojs` catalogue), at a URL of its own so that both languages
    are cached for offline use whatever the browser asks for."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        return JSONCatalog.as_view(domain="djangojs")(request)


class MeView(APIView):
    @extend_schema(
        operation_id="me",
        summary="Who is signed in",
        responses={
            200: inline_serializer(
                "Me",
                {
                    "id": serializers.IntegerField(),
                    "username": serializers.CharField(),
                    "name": serializers.CharField(),
                },
            ),
            403: SIGNED_OUT,
        },
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response({"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or ""})
