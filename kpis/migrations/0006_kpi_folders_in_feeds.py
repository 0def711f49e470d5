"""Put every KPI folder in the feed of every active rep, so that the phones of reps who synced before `kpi_folder`
existed receive the folders at their next pull (new reps get them from `refresh_reps`, through `visible`).

The database trigger of fieldsales 0003 stamps the new entries, as for any other write to the feed.
"""

from django.conf import settings
from django.db import migrations

# Frozen here: what kpis.sync and fieldsales.accounts say today.
KPI_FOLDER_RANK = 15
REPS = "Reps"


def forward(apps, schema_editor):
    SyncEntry = apps.get_model("fieldsales", "SyncEntry")
    KpiFolder = apps.get_model("kpis", "KpiFolder")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    folder_ids = [str(pk) for pk in KpiFolder.objects.order_by("pk").values_list("pk", flat=True)]
    rep_ids = list(User.objects.filter(groups__name=REPS, is_active=True).order_by("pk").values_list("pk", flat=True))
    SyncEntry.objects.bulk_create(
        [
            SyncEntry(rep_id=rep_id, kind=KPI_FOLDER_RANK, entity_id=folder_id, deleted=False)
            for rep_id in rep_ids
            for folder_id in folder_ids
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def backward(apps, schema_editor):
    apps.get_model("fieldsales", "SyncEntry").objects.filter(kind=KPI_FOLDER_RANK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0005_kpi_folder_version"),
        ("fieldsales", "0004_sync_entry_entity_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [migrations.RunPython(forward, backward)]
