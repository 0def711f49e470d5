import django.db.models.deletion
from django.db import migrations, models

# What the Back office group was given on every migrate before roles were granted once: every permission of these
# apps, the purge of clients (their delete permission) included.
OLD_BACK_OFFICE_APPS = ("clients", "workflows", "kpis")
# Of those, what the Back office role keeps (fieldsales.roles as of this migration); the rest is managers' now.
KEPT = {
    "clients": {"view_clientlist", "view_attributedefinition", "view_listaccess", "add_client", "change_client",
                "view_client", "import_client", "export_client"},
    "workflows": {"view_workflow", "view_activity", "view_visit", "export_visit", "view_activitysubmission",
                  "view_orderline", "export_orderline", "view_note", "add_product", "change_product",
                  "delete_product", "view_product", "import_product", "export_product"},
    "kpis": {"add_ledgerentry", "change_ledgerentry", "delete_ledgerentry", "view_ledgerentry", "import_ledgerentry",
             "export_ledgerentry", "add_target", "change_target", "delete_target", "view_target", "import_target",
             "export_target", "view_kpifolder", "view_kpidefinition", "add_statementdelivery",
             "change_statementdelivery", "view_statementdelivery"},
}


def back_office_without_managers_rights(apps, schema_editor):
    """The Back office group as the old roles left it loses what only managers do now (purge, list schemas, KPI
    definitions, workflows) and the writes on records made in the field."""
    Group = apps.get_model("auth", "Group")
    group = Group.objects.using(schema_editor.connection.alias).filter(name="Back office").first()
    if group is None:
        return
    dropped = [
        permission
        for permission in group.permissions.filter(content_type__app_label__in=OLD_BACK_OFFICE_APPS).select_related(
            "content_type"
        )
        if permission.codename not in KEPT[permission.content_type.app_label]
    ]
    group.permissions.remove(*dropped)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("fieldsales", "0006_import_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="RoleGrant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("granted_at", models.DateTimeField(auto_now_add=True, verbose_name="granted at")),
                (
                    "group",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="auth.group",
                        verbose_name="group",
                    ),
                ),
                (
                    "permission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="auth.permission",
                        verbose_name="permission",
                    ),
                ),
            ],
            options={
                "verbose_name": "role grant",
                "verbose_name_plural": "role grants",
                "constraints": [models.UniqueConstraint(fields=("group", "permission"), name="role_grant_unique")],
            },
        ),
        migrations.RunPython(back_office_without_managers_rights, migrations.RunPython.noop),
    ]
