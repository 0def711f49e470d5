import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _

from clients.phones import validate_region
from clients.recording import ChangeChannel, ClientHistory
from clients.schema import (
    BAD_KEY,
    KEY_RE,
    RESERVED_KEY,
    RESERVED_KEYS,
    AttributeSpec,
    AttributeType,
    normalize_text,
    validate_options,
)
from fieldsales.models import done_by


def default_country() -> str:
    return settings.PHONE_REGION


class ClientList(models.Model):
    """A list of points of sale and the schema its clients follow."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        default=default_country,
        validators=[validate_region],
        help_text=_("Phone numbers typed without their country code are numbers of this country."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Folded file header → column key, as the clerk matched them in the last import into this list.
    import_mapping = models.JSONField(_("import column matching"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client list")
        verbose_name_plural = _("client lists")

    def __str__(self) -> str:
        return self.name

    def specs(self) -> list[AttributeSpec]:
        """The schema as plain specs, in display order, read once per instance (or from the prefetch cache)."""
        cached: list[AttributeSpec] | None = getattr(self, "_specs", None)
        if cached is None:
            cached = self._specs = [attribute.spec(region=self.country) for attribute in self.attributes.all()]
        return cached

    def key_attribute(self) -> str | None:
        """The key of the attribute that identifies a client of this list (its business key), if any."""
        if not hasattr(self, "_key_attribute"):
            self._key_attribute = next((attribute.key for attribute in self.attributes.all() if attribute.unique), None)
        return self._key_attribute


class AttributeDefinition(models.Model):
    """One attribute of a list's schema, defined in the back office."""

    client_list = models.ForeignKey(
        ClientList, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("client list")
    )
    key = models.CharField(_("key"), max_length=50, help_text=_("Column name in imports and exports."))
    label_en = models.CharField(_("label (English)"), max_length=120)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    type = models.CharField(_("type"), max_length=20, choices=AttributeType.choices, default=AttributeType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    important = models.BooleanField(_("important"), default=False, help_text=_("Searched by the rep's search box."))
    options = models.JSONField(_("options"), default=list, blank=True, help_text=_("One option per line."))
    unique = models.BooleanField(
        _("business key"),
        default=False,
        help_text=_(
            "Unique in the list (a client code): imports update the client that has it instead of adding another, "
            "and ledger and target files name clients by it."
        ),
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["client_list", "order", "id"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        constraints = [
            models.UniqueConstraint(fields=["client_list", "key"], name="attribute_key_unique_in_list"),
            models.UniqueConstraint(
                fields=["client_list"], condition=models.Q(unique=True), name="attribute_one_business_key_per_list"
            ),
        ]

    def __str__(self) -> str:
        return self.spec().label

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if not KEY_RE.match(self.key or ""):
            errors["key"] = [BAD_KEY]
        elif self.key in RESERVED_KEYS:
            errors["key"] = [RESERVED_KEY]
        try:
            validate_options(self.type, self.options or [])
        except ValidationError as error:
            errors["options"] = error.error_list
        if self.unique and "key" not in errors:
            problem = self._business_key_problem()
            if problem is not None:
                errors["unique"] = [problem]
        if errors:
            raise ValidationError(errors)

    def _business_key_problem(self) -> ValidationError | None:
        if self.type not in KEY_TYPES:
            return ValidationError(KEY_TYPE, code="key_type")
        if self.client_list_id is None:
            return None
        others = AttributeDefinition.objects.filter(client_list_id=self.client_list_id, unique=True)
        if others.exclude(pk=self.pk).exists():
            return ValidationError(ONE_KEY, code="one_key")
        # The clients already in the list must tell themselves apart by it before it can become their key.
        seen: dict[str, int] = {}
        values = Client.objects.filter(client_list_id=self.client_list_id).values_list(f"attributes__{self.key}")
        for (value,) in values.iterator(2000):
            folded = business_key_of(value)
            if folded:
                seen[folded] = seen.get(folded, 0) + 1
        shared = sorted(value for value, count in seen.items() if count > 1)
        if shared:
            return ValidationError(
                KEY_SHARED, code="key_shared", params={"values": ", ".join(shared[:5]), "count": len(shared)}
            )
        return None

    def spec(self, *, region: str = "") -> AttributeSpec:
        """The attribute's rule; `region` is its list's country, for a phone (the caller has the list at hand)."""
        return AttributeSpec(
            key=self.key,
            type=self.type,
            label_en=self.label_en,
            label_fr=self.label_fr,
            required=self.required,
            important=self.important,
            options=tuple(self.options or ()),
            region=region,
        )


KEY_TYPES = frozenset({AttributeType.TEXT, AttributeType.INTEGER, AttributeType.EMAIL, AttributeType.PHONE})
KEY_TYPE = _("A business key is a text, a whole number, an email or a phone.")
ONE_KEY = _("This list already has a business key; a list has one.")
KEY_SHARED = _(
    "%(count)d values of this attribute are shared by several clients of the list (%(values)s): make "
    "them unique before making it the business key."
)


def business_key_of(value: Any) -> str:
    """An attribute's value as clients are told apart by it: "C-001 " and "c-001" are the same client."""
    if value is None or isinstance(value, bool | list | dict):
        return ""
    return normalize_text(str(value))[:255]


class ListAccess(models.Model):
    """What a group's members may do on a list's clients. No right at all means read-only."""

    client_list = models.ForeignKey(
        ClientList, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("client list")
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="list_accesses", verbose_name=_("group"))
    can_create = models.BooleanField(_("create"), default=False)
    can_edit = models.BooleanField(_("edit (full access)"), default=False)
    can_archive = models.BooleanField(_("archive"), default=False)

    class Meta:
        verbose_name = _("list access")
        verbose_name_plural = _("list accesses")
        constraints = [
            models.UniqueConstraint(fields=["client_list", "group"], name="list_access_unique_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.client_list} / {self.group}"


class ClientChange(models.Model):
    """What a row of a client's history (django-simple-history's `HistoricalClient`) carries besides the client as it
    was after the change: the channel the change came through, the phone it was made on, and the reps it added and
    removed (`{"added": [user ids], "removed": [...]}`, null when they did not change: the client's reps are not
    copied into every row). Filled by clients/recording.py."""

    history_channel = models.CharField(
        _("channel"), max_length=10, choices=ChangeChannel.choices, blank=True, default=""
    )
    history_device = models.UUIDField(_("device"), null=True, blank=True)
    history_reps = models.JSONField(_("reps changed"), null=True, blank=True)

    class Meta:
        abstract = True


class Client(models.Model):
    """A point of sale. Its attributes follow its list's schema."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_list = models.ForeignKey(
        ClientList, on_delete=models.PROTECT, related_name="clients", verbose_name=_("client list")
    )
    name = models.CharField(_("name"), max_length=200)
    lat = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lng = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True, validators=[MinValueValidator(0)])
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    photo = models.ForeignKey(
        "fieldsales.Blob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # The list's business key attribute, folded (`business_key_of`), kept by the services: unique in the list and
    # indexed, so that a file of 50,000 rows finds its clients in a few queries.
    business_key = models.CharField(_("business key"), max_length=255, blank=True, default="", editable=False)
    # The version at which each field or attribute last changed: what field-level conflicts are judged by.
    field_versions = models.JSONField(_("field versions"), default=dict, blank=True, editable=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    statement_enabled = models.BooleanField(_("account statement"), default=False)
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Assignment",
        related_name="assigned_clients",
        blank=True,
        verbose_name=_("reps"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    archived_by = done_by(_("archived by"))
    # Every change, as the client was after it (clients/recording.py). Not copied: what the services derive from the
    # rest (the search text, the business key) and the conflict bookkeeping.
    history = ClientHistory(
        bases=[ClientChange],
        excluded_fields=["search_text", "business_key", "field_versions"],
        # A row is read by its client (`id`) and date; an index on each of its other keys would only slow the insert
        # that every change pays.
        no_db_index=["client_list", "photo", "created_by", "updated_by", "archived_by"],
        verbose_name=_("client change"),
        verbose_name_plural=_("client changes"),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        permissions = [
            ("import_client", "Can import clients"),
            ("export_client", "Can export clients"),
            ("purge_client", "Can purge archived clients"),
        ]
        indexes = [
            models.Index(fields=["client_list", "name"], name="client_list_name"),
            # The client list's order, the name folded for case and accents (clients.api.views.sort_name) then id
            # for the cursor: a page is read off this index instead of sorting every client the rep sees.
            models.Index(Substr("search_text", 1, Length("name")), F("id"), name="client_sort_name_id"),
            models.Index(fields=["lat", "lng"], name="client_position"),
            models.Index(fields=["archived_at"], name="client_archived"),
            # Ledger and target files name clients by their key without naming their list.
            models.Index(fields=["business_key"], name="client_business_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True) | models.Q(lat__gte=-90, lat__lte=90),
                name="client_lat_range",
            ),
            models.CheckConstraint(
                condition=models.Q(lng__isnull=True) | models.Q(lng__gte=-180, lng__lte=180),
                name="client_lng_range",
            ),
            models.UniqueConstraint(
                fields=["client_list", "business_key"],
                condition=~models.Q(business_key=""),
                name="client_business_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Assignment(models.Model):
    """A client in a rep's portfolio. A client may be shared by several reps."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("client"))
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("rep")
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["client", "rep"], name="assignment_unique")]
        indexes = [models.Index(fields=["rep", "client"], name="assignment_rep")]

    def __str__(self) -> str:
        return f"{self.client} → {self.rep}"


class PossibleDuplicate(models.Model):
    """A client a rep created although the app warned that it looked like one already on the rep's lists (a similar
    name nearby, or the same phone: clients/duplicates.py). The back office reviews each pair, to merge or to keep."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        NOT_DUPLICATE = "not_duplicate", _("Not a duplicate")
        NEW_ARCHIVED = "new_archived", _("New one archived")

    new_client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("new client"))
    existing_client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("existing client")
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rep"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    reviewed_by = done_by(_("reviewed by"))

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["new_client", "existing_client"], name="possible_duplicate_unique"),
            models.CheckConstraint(
                condition=~models.Q(new_client=models.F("existing_client")), name="possible_duplicate_two_clients"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="possible_duplicate_status")]

    def __str__(self) -> str:
        return f"{self.new_client} ≈ {self.existing_client}"
