"""The server side of the rep's PWA: the shell, its manifest, its service worker and its translations."""

from __future__ import annotations

import json
import re

import pytest
import whitenoise.compress
from django.contrib.staticfiles.storage import staticfiles_storage

from fieldsales import pwa
from tests.factories import BackOfficeFactory, RepFactory


@pytest.fixture
def rep_client(client, db):  # type: ignore[no-untyped-def]
    client.force_login(RepFactory(username="awa"))
    return client


def precache_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    match = re.search(r"const PRECACHE = (\[.*?\]);", response.content.decode())
    assert match, response.content[:300]
    return json.loads(match.group(1))


def test_signed_out_visitors_get_the_sign_in_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_a_rep_gets_the_app_shell_that_names_no_user(rep_client):
    response = rep_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="module"' in html and staticfiles_storage.url("js/app.js") in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "awa" not in html  # the service worker caches the shell for whoever signs in next


def test_back_office_staff_are_sent_to_the_admin(client, db):
    client.force_login(BackOfficeFactory(username="clerk"))
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_manifest_makes_the_app_installable(client, db):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def later_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    match = re.search(r"const LATER = (\[.*?\]);", response.content.decode())
    assert match, response.content[:300]
    return json.loads(match.group(1))


def test_the_service_worker_precaches_the_shell_and_every_app_file_then_leaflet(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    urls = precache_of(response)
    assert urls[:2] == ["/", "/manifest.webmanifest"]
    assert {"/app/i18n/en.json", "/app/i18n/fr.json"} <= set(urls)
    for name in ["js/app.js", "js/early.js", "js/lib/db.js", "js/lib/sync.js", "css/app.css", "icons/icon-192.png"]:
        assert staticfiles_storage.url(name) in urls
    # The map's files come once a first sync is over; the install icons are the browser's business, not offline's.
    later = later_of(response)
    assert (
        staticfiles_storage.url("leaflet/leaflet.js") in later
        and staticfiles_storage.url("leaflet/leaflet.js") not in urls
    )
    assert staticfiles_storage.url("icons/icon-512.png") not in urls + later
    # The back office's own files (the live board, the admin's form builder) are none of the rep's business.
    for name in ["js/board.js", "css/board.css", "js/admin/fields_builder.js", "css/admin/workflows.css"]:
        assert staticfiles_storage.url(name) not in urls + later, name
    for url in urls[2:] + later:
        assert client.get(url).status_code == 200, url


def test_the_service_worker_version_changes_with_any_app_file(client, db, settings, tmp_path, monkeypatch):
    settings.DEBUG = True  # recomputed per request, as while developing
    before = re.search(r'const VERSION = "(\w+)"', client.get("/sw.js").content.decode())
    app = tmp_path / "static"
    (app / "js").mkdir(parents=True)
    (app / "js" / "app.js").write_text("export const changed = true;\n")
    monkeypatch.setattr(pwa, "_own_static_files", lambda: ["js/app.js"])
    monkeypatch.setattr(pwa.finders, "find", lambda name: str(app / name) if name == "js/app.js" else None)
    after = re.search(r'const VERSION = "(\w+)"', client.get("/sw.js").content.decode())
    assert before and after and before.group(1) != after.group(1)


def test_each_language_has_its_catalogue_whatever_the_browser_asks(client, db):
    french = client.get("/app/i18n/fr.json", HTTP_ACCEPT_LANGUAGE="en").json()
    english = client.get("/app/i18n/en.json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["catalog"]["Synced"] == "Synchronisé"
    assert french["catalog"]["New client"] == "Nouveau client"
    assert "Synced" not in english["catalog"]  # English is the source language
    assert client.get("/app/i18n/de.json").status_code == 404


def test_me_says_who_is_signed_in(rep_client):
    assert rep_client.get("/api/me").json()["username"] == "awa"


def test_me_refuses_anonymous_callers(client, db):
    assert client.get("/api/me").status_code in (401, 403)


def test_the_service_worker_names_the_hashed_files_of_a_production_deployment(
    client, db, settings, tmp_path, monkeypatch
):
    """As `make serve` has them: collected, hashed names (the manifest storage)."""
    from django.core.management import call_command

    # Compressed copies in gzip only, as WhiteNoise makes them where Brotli is not installed: Brotli at its best
    # quality took 20 s of the collection on Leaflet's sources and maps, and the service worker names files from the
    # manifest, which compression leaves alone.
    monkeypatch.setattr(whitenoise.compress, "brotli_installed", False)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "fieldsales.storage.ModuleManifestStaticFilesStorage"},
    }
    settings.STATIC_MANIFEST = True
    # The app's own files and Leaflet's only: the admin's and the API docs' would take the collection 20 s.
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    pwa._precache_once.cache_clear()
    call_command("collectstatic", interactive=False, verbosity=0)
    try:
        response = client.get("/sw.js")
    finally:
        pwa._precache_once.cache_clear()
    assert response.status_code == 200
    body = response.content.decode()
    assert 'const STATIC_PREFIX = "/static/"' in body and "const IMMUTABLE = true" in body
    hashed = [url for url in precache_of(response) if url.startswith("/static/js/app.")]
    assert len(hashed) == 1 and hashed[0] != "/static/js/app.js"
