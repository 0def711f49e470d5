"""Phones through sync: the app sends what the rep typed, the server's phone rule (clients/phones.py) judges it and
stores E.164; a refusal comes back on the field, in the rep's language; the pull carries E.164."""

from __future__ import annotations

from clients.models import Client
from clients.phones import NOT_PHONE
from kpis.models import StatementDelivery
from tests.factories import make_client
from tests.sync.conftest import op
from tests.sync.test_push import catalogue, client_fields, french_device, push_one  # noqa: F401 (a fixture)
from tests.sync.test_push_statements import send


def test_a_phone_typed_as_the_rep_writes_it_is_stored_and_pulled_in_e164(device1, rep1, pos_list_editable):
    create = op("client.create", data=client_fields(pos_list_editable, phone="07 01 02 03 04"))

    assert push_one(device1, create)["status"] == "applied"

    assert Client.objects.get(pk=create["entity_id"]).phone == "+2250701020304"
    device1.sync()
    assert device1.store[("client", create["entity_id"])]["data"]["phone"] == "+2250701020304"


def test_a_phone_the_rule_refuses_is_rejected_on_its_field_in_the_reps_language(rep1, pos_list_editable, catalogue):  # noqa: F811 (the fixture imported above)
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,))
    update = op("client.update", str(client.pk), {"phone": "12 34", "name": "Nouveau nom"}, base_version=1)

    result = push_one(french_device(rep1), update)

    expected = catalogue.french(NOT_PHONE, country="Côte d'Ivoire", example="01 23 45 6789")
    assert (result["status"], result["code"], result["errors"]) == ("rejected", "invalid", {"phone": [expected]})
    client.refresh_from_db()
    assert (client.phone, client.name, client.version) == ("", "Épicerie Chez Awa", 1)


def test_the_stored_number_sent_back_as_the_rep_typed_it_is_no_conflict(device1, rep1, rep2, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), phone="+225 07 01 02 03 04")
    update = op("client.update", str(client.pk), {"phone": "0701020304", "name": "Renommé"}, base_version=1)

    result = push_one(device1, update)

    assert (result["status"], result["conflicts"]) == ("applied", None)
    client.refresh_from_db()
    assert (client.phone, client.field_versions.get("phone")) == ("+2250701020304", None)


def test_a_statement_by_sms_reads_the_recipient_in_the_lists_country(device1, rep1, pos_list_editable):
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), statement_enabled=True)

    [good, bad] = device1.push(
        send(str(client.pk), channel="sms", recipient="07 01 02 03 04"),
        send(str(client.pk), channel="whatsapp", recipient="07 01"),
    )

    assert good["status"] == "applied"
    assert StatementDelivery.objects.get().recipient == "+2250701020304"
    assert (bad["status"], bad["code"], list(bad["errors"])) == ("rejected", "invalid", ["recipient"])
