"""SITE_URL, the address statement links start with: the request's own where there is one, SITE_URL for deliveries;
`make run` and `make serve` set it to the address they serve, and the deploy check refuses one phones cannot open."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.test import RequestFactory

from fieldsales.checks import production_site_url
from fieldsales.site import site_url
from kpis.delivery import deliveries_process, statement_link
from kpis.services import statement_send
from tests.factories import ClientFactory, RepFactory

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ["fieldsales.example.com"]
THIS_MACHINE = ["127.0.0.1", "localhost", "[::1]"]


def test_a_link_made_in_a_request_starts_with_the_requests_address_and_one_without_with_site_url(settings):
    settings.SITE_URL = "https://fieldsales.example.com/"
    settings.ALLOWED_HOSTS = ["10.0.0.5"]
    request = RequestFactory().get("/", HTTP_HOST="10.0.0.5:8123")

    assert site_url(request) == "http://10.0.0.5:8123"
    assert site_url() == "https://fieldsales.example.com"


def test_a_statement_sent_without_a_request_links_to_site_url(settings, tmp_path, db):
    settings.SITE_URL = "https://fieldsales.example.com"
    settings.STATEMENT_OUTBOX_DIR = str(tmp_path)
    client = ClientFactory(name="Boutique Relevé", statement_enabled=True)
    delivery = statement_send(
        user=RepFactory(), client=client, channel="sms", recipient="+225 07 08 09 10 11", language="fr"
    )
    assert deliveries_process() == {"sent": 1}
    body = json.loads((tmp_path / str(delivery.pk) / "message.json").read_text())["body"]
    assert "https://fieldsales.example.com/statements/" in body
    # The same link made in a request: at the address the request came to.
    settings.ALLOWED_HOSTS = ["10.0.0.5"]
    request = RequestFactory().get("/", HTTP_HOST="10.0.0.5:8123")
    assert statement_link(delivery, request=request).startswith("http://10.0.0.5:8123/statements/")


@pytest.mark.parametrize(
    ("url", "hosts", "flagged"),
    [
        ("", PUBLIC, "is not set"),
        ("http://fieldsales.example.com", PUBLIC, "is not an https:// address"),
        ("https://127.0.0.1:8000", PUBLIC, "this machine's own address"),
        ("https://localhost", PUBLIC, "this machine's own address"),
        ("https://[::1]:8443", ["*"], "this machine's own address"),
        ("https://other.example.com", PUBLIC, "ALLOWED_HOSTS refuses"),
        ("https://fieldsales.example.com", PUBLIC, None),
        ("https://shop.example.com:8443/", [".example.com"], None),
        # A trial of `make serve` that answers this machine alone: its own address is the only one there is.
        ("https://127.0.0.1:8443", THIS_MACHINE, None),
    ],
)
def test_the_deploy_check_flags_a_site_url_phones_cannot_open(settings, url, hosts, flagged):
    settings.SITE_URL, settings.ALLOWED_HOSTS = url, hosts
    warnings = production_site_url(None)
    if flagged is None:
        assert warnings == []
    else:
        [warning] = warnings
        assert warning.id == "fieldsales.W004" and flagged in warning.msg


def make_dry_run(target: str, **variables: str) -> str:
    """The commands `make <target>` would run, none run."""
    arguments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_and_make_serve_give_the_address_they_serve_unless_told_another() -> None:
    run = make_dry_run("run", HOST="192.0.2.10", PORT="8123")
    assert 'SITE_URL="${SITE_URL:-http://192.0.2.10:8123}"' in run.split("runserver")[0].splitlines()[-1]
    serve = make_dry_run("serve", HOST="192.0.2.10", PORT="8443")
    for command in ("check --deploy", "uvicorn"):
        line = next(line for line in serve.splitlines() if command in line)
        assert 'SITE_URL="${SITE_URL:-https://192.0.2.10:8443}"' in line
