from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_clientlist_country"),
    ]

    operations = [
        migrations.AddField(
            model_name="clientlist",
            name="import_mapping",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="import column matching"),
        ),
        migrations.AddField(
            model_name="attributedefinition",
            name="unique",
            field=models.BooleanField(
                default=False,
                help_text="Unique in the list (a client code): imports update the client that has it instead of "
                "adding another, and ledger and target files name clients by it.",
                verbose_name="business key",
            ),
        ),
        migrations.AddField(
            model_name="client",
            name="business_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=255, verbose_name="business key"),
        ),
        migrations.AddConstraint(
            model_name="attributedefinition",
            constraint=models.UniqueConstraint(
                condition=models.Q(("unique", True)),
                fields=("client_list",),
                name="attribute_one_business_key_per_list",
            ),
        ),
        migrations.AddConstraint(
            model_name="client",
            constraint=models.UniqueConstraint(
                condition=models.Q(("business_key", ""), _negated=True),
                fields=("client_list", "business_key"),
                name="client_business_key_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["business_key"], name="client_business_key"),
        ),
    ]
