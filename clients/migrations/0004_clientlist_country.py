"""A list's country, and the phones already stored rewritten in E.164 (clients/phones.py), read in that country.

A phone that is no valid number stays as it was typed: nobody can tell which number it meant, and the admin and the
app show it as it is until someone corrects it. A client whose phones changed gets a new version and is sent again
to the reps who hold it, so that their devices show the number as the server has it.

The rule is written out here rather than imported, so that this migration keeps doing what it did when
clients/phones.py changes.
"""

import phonenumbers
from django.db import migrations, models

import clients.models
import clients.phones

CLIENT_RANK = 40  # clients/sync.py: the `client` type's kind in the feed
BATCH = 2000


def _e164(value, region):
    if not isinstance(value, str) or not value.strip():
        return value
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phones_to_e164(apps, schema_editor):
    ClientList = apps.get_model("clients", "ClientList")
    Client = apps.get_model("clients", "Client")
    SyncEntry = apps.get_model("fieldsales", "SyncEntry")
    for client_list in ClientList.objects.all():
        phone_keys = list(client_list.attributes.filter(type="phone").values_list("key", flat=True))
        changed = []
        clients = Client.objects.filter(client_list=client_list).only("id", "phone", "attributes", "version")
        for client in clients.iterator(BATCH):
            phone = _e164(client.phone, client_list.country)
            attributes = dict(client.attributes or {})
            for key in phone_keys:
                if key in attributes:
                    attributes[key] = _e164(attributes[key], client_list.country)
            if phone != client.phone or attributes != client.attributes:
                client.phone, client.attributes, client.version = phone, attributes, client.version + 1
                changed.append(client)
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            Client.objects.bulk_update(batch, ["phone", "attributes", "version"])
            # Rewriting `deleted` as it is fires the feed's stamping trigger (fieldsales 0003): sent again.
            SyncEntry.objects.filter(
                kind=CLIENT_RANK, entity_id__in=[str(client.pk) for client in batch], deleted=False
            ).update(deleted=False)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_client_sort_name_index"),
        ("fieldsales", "0003_sync_stamp_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="clientlist",
            name="country",
            field=models.CharField(
                default=clients.models.default_country,
                help_text="Phone numbers typed without their country code are numbers of this country.",
                max_length=2,
                validators=[clients.phones.validate_region],
                verbose_name="country",
            ),
        ),
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop, elidable=True),
    ]
