import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fieldsales", "0005_profile_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("kind", models.CharField(max_length=60, verbose_name="kind")),
                ("scope", models.JSONField(blank=True, default=dict, verbose_name="scope")),
                ("language", models.CharField(default="en", max_length=8, verbose_name="language")),
                ("file_name", models.CharField(max_length=255, verbose_name="file name")),
                ("content", models.BinaryField(verbose_name="content")),
                ("headers", models.JSONField(default=list, verbose_name="headers")),
                ("mapping", models.JSONField(blank=True, default=dict, verbose_name="mapping")),
                (
                    "mode",
                    models.CharField(
                        choices=[
                            ("all", "All or nothing: a file with an error imports nothing"),
                            ("good", "Import the good rows and give me a file of the others"),
                        ],
                        default="all",
                        max_length=5,
                        verbose_name="mode",
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[("check", "check"), ("import", "import")],
                        default="check",
                        max_length=6,
                        verbose_name="stage",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("mapping", "columns to match"),
                            ("queued", "waiting"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        default="mapping",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("rows_done", models.PositiveIntegerField(default=0, verbose_name="rows done")),
                ("counts", models.JSONField(blank=True, default=dict, verbose_name="counts")),
                ("errors", models.JSONField(blank=True, default=list, verbose_name="errors")),
                ("problem", models.TextField(blank=True, verbose_name="problem")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="heartbeat")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "import",
                "verbose_name_plural": "imports",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["status", "heartbeat_at"], name="import_job_pending")],
            },
        ),
    ]
