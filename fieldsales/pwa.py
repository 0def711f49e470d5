"""The rep's PWA as the server sees it: the app shell, its manifest, its service worker, its translations and its icon.

The shell holds nothing of the user: it is cached once by the service worker and started offline; the app
asks `/api/me` who is signed in and reads everything else from its IndexedDB.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JSONCatalog
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fieldsales.accounts import REP_LANGUAGES, rep_language, rep_language_set
from fieldsales.openapi import SIGNED_OUT
from fieldsales.signin import home_url

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
# A classic script, not a module: it paints the last first screen and starts reading IndexedDB before the modules run.
EARLY_SCRIPT = "js/early.js"
# The sign-in page's script: precached with the shell for the page's offline copy, but no module of the app.
SIGN_IN_SCRIPT = "js/login.js"
# The supervisors' live board (/board/) is a page of its own: the rep's app neither preloads nor precaches it.
NOT_THE_APP = frozenset({"js/board.js", "css/board.css"})
# Nor the back office's own scripts and styles (the admin's form builder, the dashboard…).
BACK_OFFICE = ("css/admin/", "js/admin/")
# The icons a browser fetches itself to install the app: never needed to run it offline. The favicon is (the shell
# names it).
INSTALL_ICONS = frozenset({"icons/icon-512.png", "icons/maskable-512.png", "icons/apple-touch-icon.png"})
FAVICON = "icons/icon-192.png"
# The templates and catalogues of what the service worker caches from the server: the shell and the sign-in page's
# offline copy. A change to one is a new version, which caches them again.
TEMPLATES = ("pwa/index.html", "pwa/sw.js", "registration/base.html", "registration/login.html")
CATALOGUES = ("django.mo", "djangojs.mo")


def _own_static_files() -> list[str]:
    root = Path(settings.BASE_DIR) / "static"
    names = (path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    return sorted(name for name in names if name not in NOT_THE_APP and not name.startswith(BACK_OFFICE))


def _catalog_urls() -> list[str]:
    return [reverse("pwa-i18n", args=[code]) for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class Precache:
    """What the service worker caches. `shell`: on install, everything the app needs to start and work offline; the
    app works offline once these are in. `later`: the map's files, fetched once a first sync is over, so that on a slow
    network they neither delay working offline nor compete with the rep's clients. `version` changes with any of them.
    """

    version: str
    shell: list[str]
    later: list[str]


def _precache() -> Precache:
    digest = hashlib.sha256()
    shell = ["/", reverse("pwa-manifest"), *_catalog_urls()]
    later: list[str] = []
    for name in [*_own_static_files(), *LEAFLET_FILES]:
        if name in INSTALL_ICONS:
            continue
        (later if name in LEAFLET_FILES else shell).append(staticfiles_storage.url(name))
        path = finders.find(name)
        if path:
            digest.update(Path(str(path)).read_bytes())
    for template in TEMPLATES:
        digest.update((Path(settings.BASE_DIR) / "templates" / template).read_bytes())
    for code, _name in settings.LANGUAGES:
        for domain in CATALOGUES:
            catalogue = Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES" / domain
            if catalogue.exists():
                digest.update(catalogue.read_bytes())
    digest.update("\n".join([*shell, *later]).encode())
    return Precache(digest.hexdigest()[:16], shell, later)


# Static files only change with a deployment: computed once per process, except while developing.
_precache_once = functools.cache(_precache)


def precache() -> Precache:
    return _precache() if settings.DEBUG else _precache_once()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    home = home_url(request.user)
    if home != request.path:
        # Back-office staff work in the admin; the app is the reps'.
        return redirect(home)
    # Every module is fetched at once instead of import by import: a cold start waits for one round, not five.
    modules = [
        staticfiles_storage.url(name)
        for name in _own_static_files()
        if name.endswith(".js") and name not in (EARLY_SCRIPT, SIGN_IN_SCRIPT)
    ]
    return render(request, "pwa/index.html", {"theme_color": THEME_COLOR, "modules": modules})


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    files = precache()
    body = render_to_string(
        "pwa/sw.js",
        {
            "version": files.version,
            "precache": json.dumps(files.shell),
            "later": json.dumps(files.later),
            # The sign-in page, and the copy of it shown offline (it says so, and its form waits for a network).
            "sign_in": json.dumps({"page": reverse("login"), "copy": f"{reverse('login')}?offline=1"}),
            "static_prefix": json.dumps(settings.STATIC_URL),
            # Hashed names (the manifest storage) never change content: the browser's HTTP cache may serve them to the
            # install, which then downloads nothing the page already has.
            "immutable": json.dumps(settings.STATIC_MANIFEST),
        },
    )
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
@cache_control(max_age=24 * 3600)
def favicon(request: HttpRequest) -> HttpResponse:
    """The app's icon, for browsers that ask /favicon.ico of a page that names none (the admin's, a PDF)."""
    path = finders.find(FAVICON)
    if not path:
        raise Http404
    # A few kilobytes, answered whole: no file left open for a streaming answer.
    return HttpResponse(Path(str(path)).read_bytes(), content_type="image/png")


@require_GET
def i18n_catalog(request: HttpRequest, language: str) -> HttpResponseBase:
    """The app's strings in one language (the `djangojs` catalogue), at a URL of its own so that both languages
    are cached for offline use whatever the browser asks for."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(language):
        return JSONCatalog.as_view(domain="djangojs")(request)


ME = inline_serializer(
    "Me",
    {
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "name": serializers.CharField(),
        "language": serializers.ChoiceField(
            choices=list(REP_LANGUAGES),
            allow_null=True,
            help_text="The rep's language: the KPI cards of the pull come in it. Null until the rep has one.",
        ),
    },
)


class MeView(APIView):
    @extend_schema(operation_id="me", summary="Who is signed in", responses={200: ME, 403: SIGNED_OUT})
    def get(self, request: Request) -> Response:
        return Response(_me(request.user))

    @extend_schema(
        operation_id="me_update",
        summary="Choose the rep's language",
        description=(
            "The rep's choice in the app's Settings (sent at the next sync when made offline). When it changes, the "
            "rep's KPI cards are sent again, in this language, at the next pull."
        ),
        request={
            "application/json": inline_serializer(
                "MeUpdate", {"language": serializers.ChoiceField(choices=list(REP_LANGUAGES))}
            )
        },
        responses={
            200: ME,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Not a language the app speaks: `{"language": [message]}`, in the user\'s language.',
            ),
            403: SIGNED_OUT,
        },
    )
    def patch(self, request: Request) -> Response:
        # A body that is not an object names no language; an object without one changes nothing (PATCH).
        data = request.data if isinstance(request.data, dict) else {"language": None}
        if "language" in data:
            try:
                rep_language_set(user=request.user, language=data["language"])  # type: ignore[arg-type]
            except ValidationError as error:
                raise serializers.ValidationError(error.message_dict) from None
        return Response(_me(request.user))


def _me(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or "",
        "language": rep_language(user=user),
    }
