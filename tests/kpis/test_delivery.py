"""Statement delivery: email with the PDF attached, the file backend, and HTTP providers (a fake one on loopback)
through an outage: the statement reaches the client once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kpis.delivery import deliveries_process, delivery_from_link
from kpis.models import StatementDelivery
from kpis.services import statement_send
from tests.factories import ClientFactory, LedgerEntryFactory, RepFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled_client():  # type: ignore[no-untyped-def]
    client = ClientFactory(name="Boutique Relevé", statement_enabled=True)
    LedgerEntryFactory(
        client=client, date=timezone.localdate() - dt.timedelta(days=10), reference="F-77", amount=Decimal("900")
    )
    return client


class FakeProvider(BaseHTTPRequestHandler):
    """A provider that is down for its first `outage` requests, then takes each message once per idempotency key."""

    outage = 0
    requests: list[dict[str, Any]] = []
    accepted: dict[str, dict[str, Any]] = {}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers.get("Idempotency-Key") or self.headers.get("I-Twilio-Idempotency-Token")
        type(self).requests.append({"path": self.path, "key": key, "auth": self.headers.get("Authorization")})
        if len(type(self).requests) <= type(self).outage:
            self.send_response(503)
            self.end_headers()
            return
        if self.headers["Content-Type"] == "application/json":
            payload = json.loads(body)
        else:
            payload = dict(urllib.parse.parse_qsl(body.decode()))
        type(self).accepted.setdefault(key, payload)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"sid": f"SM{key[:8]}", "messages": [{"id": f"wamid.{key[:8]}"}]}).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    FakeProvider.requests, FakeProvider.accepted, FakeProvider.outage = [], {}, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeProvider
    server.shutdown()
    server.server_close()


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_an_email_carries_the_statement_pdf(enabled_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery = statement_send(
        user=RepFactory(), client=enabled_client, channel="email", recipient="gerant@example.ci", language="fr"
    )
    assert deliveries_process() == {"sent": 1}
    [email] = mail.outbox
    assert email.to == ["gerant@example.ci"]
    assert "Boutique Relevé" in email.subject and "Relevé de compte" in email.subject
    [(filename, content, mimetype)] = email.attachments
    assert (filename.endswith(".pdf"), mimetype, content[:5]) == (True, "application/pdf", b"%PDF-")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_the_file_backend_keeps_the_message_and_its_pdf(enabled_client, settings, tmp_path):
    settings.STATEMENT_OUTBOX_DIR = str(tmp_path)
    delivery = statement_send(
        user=RepFactory(), client=enabled_client, channel="whatsapp", recipient="+225 07 08 09 10 11", language="en"
    )
    deliveries_process()
    folder = Path(tmp_path) / str(delivery.pk)
    message = json.loads((folder / "message.json").read_text())
    assert message["to"] == "+2250708091011"
    assert (folder / message["attachment"]).read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("channel", ["whatsapp", "sms"])
def test_a_provider_outage_then_recovery_delivers_once(enabled_client, settings, provider, channel):
    url, fake = provider
    settings.STATEMENT_WHATSAPP_BACKEND = settings.STATEMENT_SMS_BACKEND = "http"
    settings.WHATSAPP_API_URL, settings.WHATSAPP_PHONE_ID, settings.WHATSAPP_TOKEN = url, "123", "secret"
    settings.SMS_API_URL, settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN, settings.SMS_FROM = (
        url,
        "AC1",
        "tok",
        "+22500",
    )
    fake.outage = 2
    delivery = statement_send(
        user=RepFactory(), client=enabled_client, channel=channel, recipient="+225 0102030405", language="fr"
    )

    assert deliveries_process() == {"queued": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 1) and "503" in delivery.last_error
    assert deliveries_process() == {}  # not due yet: it waits before trying again
    assert deliveries_process(now=later(3)) == {"queued": 1}
    assert deliveries_process(now=later(10)) == {"sent": 1}
    assert deliveries_process(now=later(60)) == {}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert len(fake.requests) == 3 and {request["key"] for request in fake.requests} == {str(delivery.pk)}
    [message] = fake.accepted.values()
    text = json.dumps(message)
    link = message["document"]["link"] if channel == "whatsapp" else message["Body"].rsplit(" ", 1)[-1]
    assert "+2250102030405" in text
    assert delivery_from_link(link.rsplit("/", 1)[-1].removesuffix(".pdf")) == delivery


def test_the_signed_link_serves_the_pdf_and_refuses_a_forged_one(enabled_client, client):
    delivery = statement_send(
        user=RepFactory(), client=enabled_client, channel="sms", recipient="+2250102030405", language="en"
    )
    from kpis.delivery import statement_link

    path = urllib.parse.urlparse(statement_link(delivery)).path
    response = client.get(path)
    assert (response.status_code, response["Content-Type"], response.content[:5]) == (200, "application/pdf", b"%PDF-")
    assert response["Cache-Control"] == "no-store"  # a client's account, opened without signing in
    assert client.get(path.replace(".pdf", "x.pdf")).status_code == 404


def test_a_provider_that_never_recovers_ends_failed_with_its_error(enabled_client, settings, provider):
    url, fake = provider
    settings.STATEMENT_SMS_BACKEND, settings.SMS_API_URL = "http", url
    fake.outage = 1000
    delivery = statement_send(
        user=RepFactory(), client=enabled_client, channel="sms", recipient="+2250102030405", language="en"
    )
    for hour in range(13):
        deliveries_process(now=later(61 * hour))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (StatementDelivery.Status.FAILED, 12)
    assert "503" in delivery.last_error
