import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_client(apps, schema_editor):  # type: ignore[no-untyped-def]
    Submission = apps.get_model("workflows", "ActivitySubmission")
    Visit = apps.get_model("workflows", "Visit")
    Submission.objects.update(client_id=Subquery(Visit.objects.filter(pk=OuterRef("visit_id")).values("client_id")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_client_sort_name_index"),
        ("workflows", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="activitysubmission",
            name="client",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="activity_submissions",
                to="clients.client",
                verbose_name="client",
            ),
        ),
        migrations.RunPython(fill_client, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="activitysubmission",
            name="client",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="activity_submissions",
                to="clients.client",
                verbose_name="client",
            ),
        ),
        migrations.AddIndex(
            model_name="activitysubmission",
            index=models.Index(fields=["client", "-submitted_at"], name="submission_client_time"),
        ),
    ]
