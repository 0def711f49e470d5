"""`/api/me` and the rep's language: set at sign-in (the sign-in page's, when the rep has none), chosen in the app."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from fieldsales.models import Profile
from tests.factories import RepFactory

pytestmark = pytest.mark.django_db


def sign_in(http: HttpClient, username: str, **headers: str) -> None:
    response = http.post("/accounts/login/", {"username": username, "password": "fieldsales"}, **headers)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_me_says_the_rep_has_no_language_until_one_is_set(client):
    rep = RepFactory(username="awa")
    client.force_login(rep)

    assert client.get("/api/me").json() == {"id": rep.pk, "username": "awa", "name": "", "language": None}
    assert not Profile.objects.filter(user=rep).exists(), "reading it makes no profile"


@pytest.mark.parametrize(("accept", "language"), [("fr-FR,fr;q=0.9", "fr"), ("en-GB,en;q=0.8", "en")])
def test_signing_in_gives_a_rep_without_a_language_the_sign_in_pages(client, accept, language):
    RepFactory(username="awa")  # no profile yet: made on demand

    sign_in(client, "awa", HTTP_ACCEPT_LANGUAGE=accept)

    assert client.get("/api/me").json()["language"] == language


def test_signing_in_again_in_another_language_keeps_the_reps_choice(client):
    rep = RepFactory(username="awa")
    Profile.objects.create(user=rep, phone="+225 01")  # a profile without a language
    sign_in(client, "awa", HTTP_ACCEPT_LANGUAGE="fr")
    client.post("/accounts/logout/")

    sign_in(client, "awa", HTTP_ACCEPT_LANGUAGE="en")

    assert client.get("/api/me").json()["language"] == "fr"
    profile = Profile.objects.get(user=rep)
    assert (profile.language, profile.phone) == ("fr", "+225 01")


def test_a_sign_in_without_a_page_sets_no_language(client):
    """A session opened in code (a test's force_login, a shell) says nothing of the user's language."""
    client.force_login(RepFactory(username="awa"))
    assert client.get("/api/me").json()["language"] is None


def test_the_rep_chooses_a_language_in_the_app(client):
    rep = RepFactory(username="awa")
    client.force_login(rep)

    response = client.patch("/api/me", json.dumps({"language": "en"}), content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"id": rep.pk, "username": "awa", "name": "", "language": "en"}
    assert Profile.objects.get(user=rep).language == "en"


@pytest.mark.parametrize("body", ['{"language": "es"}', '{"language": null}', '{"language": ""}', "[]", '"fr"'])
def test_a_language_the_app_does_not_speak_is_refused_and_changes_nothing(client, body):
    rep = RepFactory(username="awa")
    client.force_login(rep)

    response = client.patch("/api/me", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["errors"] == {"language": ["Choose a language the app speaks: en (English) or fr (French)."]}
    assert client.get("/api/me").json()["language"] is None


def test_a_patch_without_a_language_changes_nothing(client):
    rep = RepFactory(username="awa")
    client.force_login(rep)
    client.patch("/api/me", json.dumps({"language": "fr"}), content_type="application/json")

    response = client.patch("/api/me", "{}", content_type="application/json")

    assert (response.status_code, response.json()["language"]) == (200, "fr")


def test_choosing_a_language_needs_a_signed_in_user(client):
    response = client.patch("/api/me", json.dumps({"language": "fr"}), content_type="application/json")
    assert response.status_code in (401, 403)
