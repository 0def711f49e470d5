"""Sending account statements: by email (Django's mail, PDF attached), WhatsApp or SMS (a backend chosen in settings:
`file` writes the message and the PDF to a folder; `http` calls a WhatsApp Cloud API style or a Twilio style provider).

A request only queues a delivery, with a job (kpis/tasks.py `deliver_statement`) in the same transaction; the job
makes one attempt off the request path and, if the provider refused, enqueues the next one for the time the delivery
says. `deliveries_process` sends every due one (the 5-minute schedule, and `manage.py deliver_statements`). A provider
failure leaves the delivery queued with its error and a later attempt; each attempt carries the delivery's id as an
idempotency key, so a provider that took a message whose answer was lost does not send it twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fieldsales.site import site_url
from kpis.models import StatementDelivery
from kpis.statements import statement_pdf

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=5)
LINK_SALT = "kpis.statement-link"
HTTP_TIMEOUT_S = 15


class DeliveryError(Exception):
    """The provider did not take the message; the delivery is tried again later."""


@dataclass(frozen=True)
class Message:
    delivery: StatementDelivery
    subject: str
    body: str
    filename: str
    pdf: bytes
    link: str


def statement_link(delivery: StatementDelivery, *, request: HttpRequest | None = None) -> str:
    """A signed link to the delivery's PDF, valid `STATEMENT_LINK_DAYS` days: at the request's address when made in
    one, at SITE_URL when sent without one (deliveries)."""
    token = signing.dumps(str(delivery.pk), salt=LINK_SALT)
    return site_url(request) + reverse("statement-link", args=[token])


def delivery_from_link(token: str) -> StatementDelivery | None:
    try:
        delivery_id = signing.loads(token, salt=LINK_SALT, max_age=dt.timedelta(days=settings.STATEMENT_LINK_DAYS))
    except signing.BadSignature:
        return None
    return StatementDelivery.objects.select_related("client").filter(pk=delivery_id).first()


def delivery_pdf(delivery: StatementDelivery) -> bytes:
    return statement_pdf(
        client=delivery.client, language=delivery.language, start=delivery.period_start, end=delivery.period_end
    )


def _message(delivery: StatementDelivery) -> Message:
    with translation.override(delivery.language):
        subject = _("Account statement of %(client)s") % {"client": delivery.client.name}
        link = statement_link(delivery)
        body = _(
            "Hello,\n\nHere is the account statement of %(client)s from %(start)s to %(end)s.\n%(link)s\n\n%(company)s"
        ) % {
            "client": delivery.client.name,
            "start": delivery.period_start.isoformat(),
            "end": delivery.period_end.isoformat(),
            "link": link,
            "company": settings.COMPANY_NAME,
        }
    filename = f"statement-{delivery.period_end.isoformat()}.pdf"
    return Message(delivery, subject, body, filename, delivery_pdf(delivery), link)


def send_email(message: Message) -> str:
    email = EmailMessage(message.subject, message.body, to=[message.delivery.recipient])
    email.attach(message.filename, message.pdf, "application/pdf")
    email.send()
    return ""


def send_to_folder(message: Message) -> str:
    """The `file` backend: the message and its PDF in a folder of their own, named by the delivery."""
    folder = Path(settings.STATEMENT_OUTBOX_DIR) / str(message.delivery.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / message.filename).write_bytes(message.pdf)
    (folder / "message.json").write_text(
        json.dumps(
            {
                "channel": message.delivery.channel,
                "to": message.delivery.recipient,
                "subject": message.subject,
                "body": message.body,
                "attachment": message.filename,
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return str(folder)


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code}: {error.read()[:300].decode('utf-8', 'replace')}") from error
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        raise DeliveryError(str(error)) from error


def send_whatsapp_http(message: Message) -> str:
    """WhatsApp Cloud API style: a document message whose file the provider fetches from the signed link."""
    url = f"{settings.WHATSAPP_API_URL.rstrip('/')}/{settings.WHATSAPP_PHONE_ID}/messages"
    payload = {
        "messaging_product": "whatsapp",
        "to": message.delivery.recipient,
        "type": "document",
        "document": {"link": message.link, "filename": message.filename, "caption": message.subject},
    }
    answer = _post(
        url,
        json.dumps(payload).encode(),
        {
            "Authorization": f"Bearer {settings.WHATSAPP_TOKEN}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(message.delivery.pk),
        },
    )
    return str((answer.get("messages") or [{}])[0].get("id", ""))


def send_sms_http(message: Message) -> str:
    """Twilio style: a text with the signed, expiring link to the PDF."""
    url = f"{settings.SMS_API_URL.rstrip('/')}/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"
    credentials = base64.b64encode(f"{settings.SMS_ACCOUNT_SID}:{settings.SMS_AUTH_TOKEN}".encode()).decode()
    body = urllib.parse.urlencode(
        {"To": message.delivery.recipient, "From": settings.SMS_FROM, "Body": f"{message.subject}: {message.link}"}
    ).encode()
    answer = _post(
        url,
        body,
        {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "I-Twilio-Idempotency-Token": str(message.delivery.pk),
        },
    )
    return str(answer.get("sid", ""))


BACKENDS = {
    ("email", "default"): send_email,
    ("whatsapp", "file"): send_to_folder,
    ("whatsapp", "http"): send_whatsapp_http,
    ("sms", "file"): send_to_folder,
    ("sms", "http"): send_sms_http,
}


def _backend(channel: str) -> Any:
    choice = {"whatsapp": settings.STATEMENT_WHATSAPP_BACKEND, "sms": settings.STATEMENT_SMS_BACKEND}.get(
        channel, "default"
    )
    return BACKENDS[(channel, choice)]


def _rate_limited(delivery: StatementDelivery, now: dt.datetime) -> bool:
    if delivery.requested_by_id is None:
        return False
    sent = StatementDelivery.objects.filter(
        requested_by_id=delivery.requested_by_id,
        status=StatementDelivery.Status.SENT,
        sent_at__gte=now - dt.timedelta(hours=1),
    ).count()
    return sent >= settings.STATEMENT_RATE_PER_HOUR


def _claim(delivery_id: Any, now: dt.datetime) -> bool:
    """Takes the delivery for one attempt (a lease), so that two workers never send it at the same time."""
    return bool(
        StatementDelivery.objects.filter(
            pk=delivery_id, status=StatementDelivery.Status.QUEUED, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE)
    )


def delivery_attempt(delivery_id: Any, now: dt.datetime | None = None) -> str:
    """One attempt at one delivery, as at `now`; returns its status afterwards."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return StatementDelivery.objects.get(pk=delivery_id).status
    delivery = StatementDelivery.objects.select_related("client").get(pk=delivery_id)
    if _rate_limited(delivery, now):
        StatementDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + dt.timedelta(minutes=10))
        return delivery.status
    attempts = delivery.attempts + 1
    try:
        provider_id = _backend(delivery.channel)(_message(delivery))
    except Exception as error:
        logger.warning("statement delivery %s failed (attempt %d): %s", delivery.pk, attempts, error)
        failed = attempts >= MAX_ATTEMPTS
        StatementDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_error=str(error)[:2000],
            status=StatementDelivery.Status.FAILED if failed else StatementDelivery.Status.QUEUED,
            next_attempt_at=now + min(dt.timedelta(minutes=2**attempts), dt.timedelta(hours=1)),
        )
        return StatementDelivery.Status.FAILED if failed else StatementDelivery.Status.QUEUED
    StatementDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        last_error="",
        status=StatementDelivery.Status.SENT,
        sent_at=now,
        provider_id=provider_id[:120],
    )
    return StatementDelivery.Status.SENT


def deliveries_process(*, now: dt.datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Sends every due delivery once; returns how many ended in each status."""
    now = now or timezone.now()
    due = (
        StatementDelivery.objects.filter(Q(status=StatementDelivery.Status.QUEUED) & Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for delivery_id in list(due):
        status = delivery_attempt(delivery_id, now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def delivery_next_attempt(delivery_id: Any) -> dt.datetime | None:
    """When the delivery is to be tried next, or None once it is sent or has failed for good."""
    return (
        StatementDelivery.objects.filter(pk=delivery_id, status=StatementDelivery.Status.QUEUED)
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def deliveries_enqueue(delivery_ids: Iterable[Any]) -> None:
    """A job per delivery, enqueued in the caller's transaction: the rep's request does not wait for the provider,
    and a request rolled back sends nothing."""
    from kpis.tasks import deliver_statement

    for delivery_id in delivery_ids:
        deliver_statement.enqueue(delivery_id=str(delivery_id))
