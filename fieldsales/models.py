import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
