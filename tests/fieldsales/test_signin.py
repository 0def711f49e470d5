"""The sign-in page on the server: where each user lands, the admin's login as the same page, and what the service
worker keeps of it for offline use."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client as HttpClient

from tests.factories import BackOfficeFactory, RepFactory, SupervisorFactory


def sign_in(username: str, path: str = "/accounts/login/") -> str:
    response = HttpClient().post(path, {"username": username, "password": "fieldsales"})
    assert response.status_code == 302, response.content[:300]
    return str(response["Location"])


@pytest.mark.parametrize(
    ("path", "rep", "clerk"),
    [
        ("/accounts/login/", "/", "/admin/"),
        # The app's own links ask for the app: the back office starts in the admin all the same.
        ("/accounts/login/?next=/", "/", "/admin/"),
        ("/accounts/login/?next=/board/", "/board/", "/board/"),
        ("/accounts/login/?next=https://elsewhere.example/", "/", "/admin/"),
        ("/admin/login/?next=/admin/clients/client/", None, "/admin/clients/client/"),
    ],
)
def test_each_user_lands_where_they_work_or_where_they_were_going(db, path, rep, clerk):
    RepFactory(username="awa")
    BackOfficeFactory(username="clerk")
    assert sign_in("clerk", path) == clerk
    if rep is not None:
        assert sign_in("awa", path) == rep


def test_a_supervisor_who_is_staff_starts_in_the_admin(db):
    SupervisorFactory(username="bintou", is_staff=True)
    assert sign_in("bintou") == "/admin/"


def test_the_admins_login_is_the_sign_in_page_with_the_admins_header(client, db):
    page = client.get("/admin/login/?next=/admin/").content.decode()
    assert staticfiles_storage.url("css/login.css") in page
    assert "FieldSales back office" in page
    assert 'name="next" value="/admin/"' in page
    assert "Django" not in page


def test_a_wrong_password_says_so_and_tells_the_lockout_rule(client, db, settings):
    RepFactory(username="awa")
    page = client.post("/accounts/login/", {"username": "awa", "password": "wrong"}).content.decode()
    assert 'role="alert"' in page
    assert "Wrong username or password." in page
    assert "After 5 wrong passwords in a row" in page and "blocked for 15 minutes" in page


def test_the_offline_copy_says_it_is_offline_and_keeps_its_form_closed(client, db):
    live = client.get("/accounts/login/").content.decode()
    copy = client.get("/accounts/login/?offline=1").content.decode()
    assert re.search(r'id="offline-hint"[^>]* hidden', live)
    assert not re.search(r'id="offline-hint"[^>]* hidden', copy)
    assert "<fieldset disabled>" in copy and "data-offline-copy" in copy
    assert "<fieldset>" in live and "data-offline-copy" not in live


def test_the_service_worker_keeps_the_offline_copy_and_what_it_needs(client, db):
    body = client.get("/sw.js").content.decode()
    sign_in_page = re.search(r"const SIGN_IN = (\{.*?\});", body)
    assert sign_in_page and json.loads(sign_in_page.group(1)) == {
        "page": "/accounts/login/",
        "copy": "/accounts/login/?offline=1",
    }
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))  # type: ignore[union-attr]
    assert {staticfiles_storage.url("css/login.css"), staticfiles_storage.url("js/login.js")} <= set(precache)


def test_the_sign_in_script_is_no_module_of_the_app(client, db):
    client.force_login(RepFactory(username="awa"))
    shell = client.get("/").content.decode()
    assert staticfiles_storage.url("js/login.js") not in shell
