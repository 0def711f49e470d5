"""Production settings: the deploy checks pass, pages carry a strict Content-Security-Policy, sign-in is throttled.

The deploy checks run in fresh processes with the environment `make serve` gives (DEBUG off, HTTPS on by default,
PostgreSQL, Redis), since settings are read once from the environment; the HTTPS settings are read from the settings
module loaded afresh in that environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.conf import global_settings
from django.db import connection
from django.test import Client as HttpClient

from fieldsales import settings as settings_module
from tests.factories import BackOfficeFactory, RepFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://fieldsales:secret@db.example.com:5432/fieldsales",
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "ALLOWED_HOSTS": "fieldsales.example.com",
    "SITE_URL": "https://fieldsales.example.com",
}


def environment(variables: dict[str, str], *, unset: tuple[str, ...] = ()) -> dict[str, str]:
    # The tests' own overrides (HTTPS=false, the test secret key…) stay out: only what production sets.
    dropped = {"HTTPS", "STATIC_MANIFEST", "DEBUG", *unset}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update({name: value for name, value in variables.items() if name not in unset})
    return env


# `manage.py check --deploy --fail-level WARNING` in each environment read from stdin (JSON, by name), each run's exit
# code and output printed (JSON). A process's settings are read once, so each run is a fork made before Django reads
# any: each reads its own environment from the start, as `make serve` would. A process of its own for each cost seconds
# of start-up: the libraries that take most of it and read no setting (the ASGI server, the PDF and chart renderers,
# the spreadsheet reader, PostgreSQL's driver) are imported once, before the forks.
DEPLOY_CHECKS = """
import json, os, sys, tempfile, traceback
import daphne.server, openpyxl, psycopg, pygal, xhtml2pdf.pisa
from django.conf import settings
import manage

assert not settings.configured, "a library imported before the forks read the settings"
results = {}
for name, environment in json.load(sys.stdin).items():
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.environ.clear()
                os.environ.update(environment)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.argv = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
                manage.main()
                code = 0
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        returncode = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        out.seek(0)
        err.seek(0)
        results[name] = {"returncode": returncode, "stdout": out.read(), "stderr": err.read()}
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def deploy_checks() -> dict[str, dict[str, Any]]:
    """The deploy checks' exit code and output in each environment the tests below try, by name."""
    environments = {
        "production": environment(PRODUCTION),
        "no PostgreSQL, no Redis": environment(PRODUCTION, unset=("DATABASE_URL", "REDIS_URL")),
        "plain HTTP": environment({**PRODUCTION, "HTTPS": "false"}),
        "no SITE_URL": environment(PRODUCTION, unset=("SITE_URL",)),
    }
    result = subprocess.run(
        [sys.executable, "-c", DEPLOY_CHECKS],
        cwd=ROOT,
        input=json.dumps(environments),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_deploy_checks_pass_with_production_settings(deploy_checks: dict[str, dict[str, Any]]) -> None:
    result = deploy_checks["production"]
    assert result["returncode"] == 0, result["stdout"] + result["stderr"]
    assert "no issues" in result["stdout"]


def test_the_deploy_checks_refuse_sqlite_and_an_in_memory_channel_layer(
    deploy_checks: dict[str, dict[str, Any]],
) -> None:
    result = deploy_checks["no PostgreSQL, no Redis"]
    assert result["returncode"] != 0
    assert "fieldsales.W001" in result["stderr"]
    assert "fieldsales.W002" in result["stderr"]


def test_the_deploy_checks_refuse_plain_http(deploy_checks: dict[str, dict[str, Any]]) -> None:
    result = deploy_checks["plain HTTP"]
    assert result["returncode"] != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, redirect, cookies
        assert check in result["stderr"]


def test_the_deploy_checks_refuse_production_without_site_url(deploy_checks: dict[str, dict[str, Any]]) -> None:
    result = deploy_checks["no SITE_URL"]
    assert result["returncode"] != 0
    assert "fieldsales.W004" in result["stderr"] and "SITE_URL is not set" in result["stderr"]


def test_production_is_https_only_with_a_year_of_hsts() -> None:
    # The settings module read afresh in the environment production gives: what a production process's settings hold.
    spec = importlib.util.spec_from_file_location("production_settings", settings_module.__file__)
    assert spec is not None and spec.loader is not None
    production = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, environment(PRODUCTION), clear=True):
        spec.loader.exec_module(production)
    assert {
        "redirect": production.SECURE_SSL_REDIRECT,
        "session": production.SESSION_COOKIE_SECURE,
        "csrf": production.CSRF_COOKIE_SECURE,
        "hsts": production.SECURE_HSTS_SECONDS,
        "subdomains": production.SECURE_HSTS_INCLUDE_SUBDOMAINS,
        "preload": production.SECURE_HSTS_PRELOAD,
        "debug": production.DEBUG,
    } == {
        "redirect": True,
        "session": True,
        "csrf": True,
        "hsts": 365 * 24 * 3600,
        "subdomains": True,
        "preload": True,
        "debug": False,
    }


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/sw.js", "/api/docs/"])
def test_pages_carry_a_policy_without_inline_scripts_or_eval(client: HttpClient, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 302)
    policy = dict([*directive.split(" ", 1), ""][:2] for directive in response["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"] or path == "/api/docs/"
    assert response["X-Frame-Options"] == "DENY"


def test_swagger_ui_loads_its_script_from_a_file(client: HttpClient, db: None) -> None:
    """The API docs page starts Swagger UI from a script URL, not an inline script the policy would refuse."""
    client.force_login(BackOfficeFactory(username="reader"))
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_passwords_are_hashed_slowly_outside_the_tests() -> None:
    # The suite hashes with MD5 for speed (tests/conftest.py): the settings a deployment reads must not.
    hashers = getattr(settings_module, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert not any("MD5" in hasher for hasher in hashers)


def sign_in(http: HttpClient, path: str, username: str, password: str, address: str, **headers: str) -> Any:
    return http.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_five_wrong_passwords_lock_the_username_from_that_address(client: HttpClient, db: None, path: str) -> None:
    BackOfficeFactory(username="clerk")
    answers = [sign_in(client, path, "clerk", "wrong", "203.0.113.7").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the form again with its error, then the lockout page
    locked = sign_in(client, path, "clerk", "fieldsales", "203.0.113.7", HTTP_ACCEPT_LANGUAGE="fr")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Trop de tentatives de connexion" in page
    assert "15 minutes" in page
    assert "_auth_user_id" not in client.session
    # The same username from elsewhere, and another username from the same address, still sign in.
    assert sign_in(HttpClient(), path, "clerk", "fieldsales", "198.51.100.4").status_code == 302
    BackOfficeFactory(username="other")
    assert sign_in(HttpClient(), path, "other", "fieldsales", "203.0.113.7").status_code == 302


def test_a_success_forgets_the_failures_before_it(client: HttpClient, db: None) -> None:
    RepFactory(username="awa")
    for _ in range(4):
        sign_in(client, "/accounts/login/", "awa", "wrong", "203.0.113.9")
    assert sign_in(HttpClient(), "/accounts/login/", "awa", "fieldsales", "203.0.113.9").status_code == 302
    assert not AccessAttempt.objects.filter(username="awa").exists()
    for _ in range(4):
        sign_in(client, "/accounts/login/", "awa", "wrong", "203.0.113.9")
    assert sign_in(HttpClient(), "/accounts/login/", "awa", "fieldsales", "203.0.113.9").status_code == 302


def test_staff_unlock_a_locked_username_in_the_admin(clerk_client: HttpClient, db: None) -> None:
    RepFactory(username="awa")
    for _ in range(5):
        sign_in(HttpClient(), "/accounts/login/", "awa", "wrong", "203.0.113.9")
    assert sign_in(HttpClient(), "/accounts/login/", "awa", "fieldsales", "203.0.113.9").status_code == 429
    attempt = AccessAttempt.objects.get(username="awa")
    listing = clerk_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "awa" in listing.content.decode()
    deleted = clerk_client.post(
        f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert deleted.status_code == 302
    assert sign_in(HttpClient(), "/accounts/login/", "awa", "fieldsales", "203.0.113.9").status_code == 302


@pytest.mark.postgres
def test_the_deploy_check_refuses_pools_that_postgresql_cannot_hold(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsales.checks import production_pool_size

    assert production_pool_size(None, databases=None) == []  # `check --deploy` without --database asks nothing
    assert production_pool_size(None, databases=["default"]) == []
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
    settings.WEB_CONCURRENCY, settings.APP_NODES = 4, 3
    options = settings.DATABASES["default"]["OPTIONS"]
    pool = options["pool"]
    monkeypatch.setitem(options, "pool", {**pool, "max_size": limit // 12 + 1})

    [warning] = production_pool_size(None, databases=["default"])

    assert warning.id == "fieldsales.W005"
    assert f"PostgreSQL allows {limit}" in warning.msg and "3 node(s) of 4 workers" in warning.msg
    monkeypatch.setitem(options, "pool", {**pool, "max_size": (limit - 10) // 12})
    assert production_pool_size(None, databases=["default"]) == []
