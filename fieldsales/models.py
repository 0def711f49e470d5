import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


def done_by(verbose_name: Any) -> models.ForeignKey:
    """Who moved a record to a state (confirmed, reviewed…): set by the service that moves it, kept if the user goes."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=verbose_name,
    )


class Profile(models.Model):
    """What Django's user lacks for a field force: who supervises a rep, and the rep's language."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_profiles",
        verbose_name=_("supervisor"),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Set when the rep signs in (the sign-in page's, when none yet) or chooses one in the app (fieldsales.accounts):
    # the KPI cards reach the rep's phone in it.
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


class RoleGrant(models.Model):
    """A permission `fieldsales.roles` gave a role's group, once: never given again, so one an admin took away stays
    away after the next migrate."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("group"))
    permission = models.ForeignKey(Permission, on_delete=models.CASCADE, related_name="+", verbose_name=_("permission"))
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [models.UniqueConstraint(fields=["group", "permission"], name="role_grant_unique")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.permission_id}"


def blob_path(instance: "Blob", filename: str) -> str:
    return f"blobs/{instance.id.hex[:2]}/{instance.id}{instance.extension}"


class Blob(models.Model):
    """A photo uploaded by a device before the op that names it (sync contract, Photos)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.ImageField(_("file"), upload_to=blob_path)
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return str(self.id)

    @property
    def extension(self) -> str:
        return {"image/png": ".png", "image/webp": ".webp"}.get(self.content_type, ".jpg")


class SyncEntry(models.Model):
    """One record in one rep's feed: what that rep's device should hold, stamped in commit order.

    `stamp` is set by a database trigger on every insert and update (migration 0003): on
    PostgreSQL the writing transaction's id, on SQLite a counter bumped inside the (serialized)
    write transaction. A pull only hands out stamps below the oldest transaction still running,
    so a change that commits late is never skipped (see fieldsales/sync/pull.py).
    """

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField()
    entity_id = models.CharField(max_length=36)
    deleted = models.BooleanField(default=False)
    stamp = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("feed entry")
        verbose_name_plural = _("feed entries")
        constraints = [models.UniqueConstraint(fields=["rep", "kind", "entity_id"], name="sync_entry_unique")]
        indexes = [
            models.Index(fields=["rep", "stamp", "kind", "entity_id"], name="sync_entry_feed"),
            # `publish` looks an entity up across every rep's feed: without it, each write scans the whole feed.
            models.Index(fields=["kind", "entity_id"], name="sync_entry_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.rep_id}:{self.kind}:{self.entity_id}@{self.stamp}"


class SyncOp(models.Model):
    """A pushed op, claimed by its id in the same transaction as the write it made: the idempotency key."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        CONFLICT = "conflict", _("conflict")
        REJECTED = "rejected", _("rejected")

    op_id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device = models.UUIDField(null=True)
    type = models.CharField(max_length=32)
    entity_id = models.UUIDField(db_index=True)
    payload_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sync op")
        verbose_name_plural = _("sync ops")

    def __str__(self) -> str:
        return f"{self.type} {self.op_id} {self.status}"


class ImportJob(models.Model):
    """A file a clerk imports with the wizard (fieldsales.imports): its content, how its columns are read, and how
    far its check or its import has gone. It runs off the request path and survives its process: the
    queue runs it, and picks up what a stopped worker left (fieldsales/tasks.py)."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing: a file with an error imports nothing")
        GOOD_ROWS = "good", _("Import the good rows and give me a file of the others")

    class Stage(models.TextChoices):
        CHECK = "check", _("check")
        IMPORT = "import", _("import")

    class Status(models.TextChoices):
        MAPPING = "mapping", _("columns to match")
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=60)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("user")
    )
    # The clerk's language when the file was sent: the job's messages and its numbers are read in it.
    language = models.CharField(_("language"), max_length=8, default="en")
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    headers = models.JSONField(_("headers"), default=list)
    # File column position (as text) → the importer's column key.
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices, default=Stage.CHECK)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [row number in the file, message] for every row that was not (or would not be) imported.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    problem = models.TextField(_("problem"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_job_pending")]

    def __str__(self) -> str:
        return self.file_name

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.rows_done / self.total_rows)) if self.total_rows else 0


class ScheduleMark(models.Model):
    """When a scheduled job (fieldsales.jobs.SCHEDULE) was last due: the worker whose UPDATE moves it enqueues the run,
    so that a run is enqueued once whatever the number of workers."""

    name = models.CharField(_("name"), max_length=60, primary_key=True)
    last_due = models.DateTimeField(_("last due"))

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return self.name


class Job(DBTaskResult):
    """The queue's jobs (django-tasks-db's rows) as the back office reads them, in its language."""

    class Meta:
        proxy = True
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        from fieldsales.jobs import job_label

        return str(job_label(self.task_path))
