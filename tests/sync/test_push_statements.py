"""`statement.send` through the sync contract: queued once, refused where statements are off or the client is not
the rep's, invalid recipients named by field."""

from __future__ import annotations

from kpis.models import StatementDelivery
from tests.factories import make_client
from tests.sync.conftest import new_id, op


def send(client_id: str, channel: str = "email", recipient: str = "gerant@example.ci", **envelope):  # type: ignore[no-untyped-def]
    return op("statement.send", data={"client": client_id, "channel": channel, "recipient": recipient}, **envelope)


def test_a_statement_request_is_queued_once_however_often_it_is_sent(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), statement_enabled=True)
    request = send(str(client.pk))
    results = [device1.push(request)[0] for _ in range(3)]
    assert [result["status"] for result in results] == ["applied", "duplicate", "duplicate"]
    delivery = StatementDelivery.objects.get()
    assert (str(delivery.pk), delivery.client_id, delivery.requested_by_id) == (
        request["entity_id"],
        client.pk,
        rep1.pk,
    )
    assert (delivery.channel, delivery.recipient, delivery.status) == ("email", "gerant@example.ci", "queued")


def test_statements_not_enabled_for_the_client_are_forbidden(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), statement_enabled=False)
    [result] = device1.push(send(str(client.pk)))
    assert (result["status"], result["code"]) == ("rejected", "forbidden")
    assert "not enabled" in result["errors"]["non_field_errors"][0]
    assert not StatementDelivery.objects.exists()


def test_another_reps_client_is_not_found(device1, rep2, pos_list_editable):
    client = make_client(pos_list_editable, user=rep2, reps=(rep2,), statement_enabled=True)
    [result] = device1.push(send(str(client.pk)), send(new_id()))[:1]
    assert (result["status"], result["code"]) == ("rejected", "not_found")
    assert not StatementDelivery.objects.exists()


def test_a_bad_channel_or_recipient_is_invalid_with_the_field_named(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), statement_enabled=True)
    results = device1.push(
        send(str(client.pk), channel="pigeon"),
        send(str(client.pk), channel="email", recipient="not-an-email"),
        send(str(client.pk), channel="sms", recipient="call me"),
    )
    assert [(result["code"], list(result["errors"])) for result in results] == [
        ("invalid", ["channel"]),
        ("invalid", ["recipient"]),
        ("invalid", ["recipient"]),
    ]
    assert not StatementDelivery.objects.exists()
