import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.schema import AttributeSpec, localized, specs_from_json
from fieldsales.models import done_by


class Workflow(models.Model):
    """The day's sequence of activities a rep runs at a client."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    client_lists = models.ManyToManyField(
        "clients.ClientList",
        blank=True,
        related_name="workflows",
        verbose_name=_("client lists"),
        help_text=_("Empty means every list."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_fr)


class ActivityKind(models.TextChoices):
    FORM = "form", _("Form")
    ORDER = "order", _("Order")
    PHOTO = "photo", _("Photo")
    NOTE = "note", _("Note")


class Activity(models.Model):
    """One step of a workflow, with its own form fields."""

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="activities", verbose_name=_("workflow")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.FORM)
    requires_visit = models.BooleanField(_("requires a visit"), default=False)
    requires_geo_checkin = models.BooleanField(_("requires a geo check-in"), default=False)
    radius_m = models.PositiveIntegerField(
        _("check-in radius (m)"), default=100, validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    fields = models.JSONField(
        _("form fields"),
        default=list,
        blank=True,
        help_text=_(
            'A list like [{"key": "shelf_share", "type": "integer", "label_en": "…", "label_fr": "…", '
            '"required": true}].'
        ),
    )

    class Meta:
        ordering = ["workflow", "order", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_fr)

    def clean(self) -> None:
        try:
            specs_from_json(self.fields)
        except ValidationError as error:
            raise ValidationError({"fields": error.error_list}) from None
        if self.requires_geo_checkin and not self.requires_visit:
            raise ValidationError(
                {"requires_visit": _("A geo check-in happens during a visit: tick “requires a visit” too.")}
            )

    def specs(self) -> list[AttributeSpec]:
        return specs_from_json(self.fields)


class Visit(models.Model):
    """A rep at a client, from check-in to the end of the visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("rep")
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="visits", verbose_name=_("client")
    )
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="visits", verbose_name=_("workflow"))
    checkin_lat = models.FloatField(_("check-in latitude"), null=True, blank=True)
    checkin_lng = models.FloatField(_("check-in longitude"), null=True, blank=True)
    checkin_accuracy_m = models.FloatField(_("check-in accuracy (m)"), null=True, blank=True)
    distance_m = models.FloatField(_("distance to the client (m)"), null=True, blank=True)
    # Why the check-in's position is doubtful, for the supervisor (workflows.services.checkin_flags); never a refusal.
    checkin_flags = models.JSONField(_("check-in flags"), default=list, blank=True, editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-checked_in_at"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        permissions = [
            ("export_visit", "Can export visits"),
        ]
        indexes = [
            models.Index(fields=["client", "-checked_in_at"], name="visit_client_time"),
            models.Index(fields=["rep", "-checked_in_at"], name="visit_rep_time"),
        ]

    def __str__(self) -> str:
        # In the reader's format and time zone: the admin shows it as the visit's name.
        return f"{self.client} — {date_format(timezone.localtime(self.checked_in_at), 'SHORT_DATETIME_FORMAT')}"


class ActivitySubmission(models.Model):
    """What a rep recorded for one activity during a visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("visit"))
    # The visit's client, kept here so that a client's latest and recent orders (its KPIs) are read through an
    # index, whatever the length of its history. Set with the visit, never changed.
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="activity_submissions",
        editable=False,
        verbose_name=_("client"),
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("activity")
    )
    values = models.JSONField(_("values"), default=dict, blank=True)
    order_total = models.DecimalField(_("order total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    submitted_at = models.DateTimeField(_("submitted at"))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["submitted_at"]
        indexes = [models.Index(fields=["client", "-submitted_at"], name="submission_client_time")]
        verbose_name = _("activity submission")
        verbose_name_plural = _("activity submissions")

    def __str__(self) -> str:
        return f"{self.activity} — {self.visit}"


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=160)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [
            ("import_product", "Can import products"),
            ("export_product", "Can export products"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class OrderLine(models.Model):
    """A line of an order taken during an order activity."""

    submission = models.ForeignKey(
        ActivitySubmission, on_delete=models.CASCADE, related_name="lines", verbose_name=_("submission")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["submission", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        permissions = [
            ("export_orderline", "Can export order lines"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="notes", verbose_name=_("client")
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes", verbose_name=_("visit")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="notes", verbose_name=_("author")
    )
    text = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [models.Index(fields=["client", "-created_at"], name="note_client_time")]

    def __str__(self) -> str:
        return self.text[:60]


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    """An order as a document: the header of an order activity's submission (whose lines are the order's) and where
    it stands, submitted → confirmed → delivered, or cancelled. Its number is its id.

    The client, rep, date and total are the submission's, copied once when it is recorded and never changed: the back
    office lists, sorts, filters and sums orders by them through this table's own indexes. Each step keeps who took
    it and when; the steps allowed are `workflows.services.ORDER_TRANSITIONS`."""

    submission = models.OneToOneField(
        ActivitySubmission, on_delete=models.CASCADE, related_name="order", editable=False, verbose_name=_("submission")
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="orders", editable=False, verbose_name=_("client")
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", editable=False, verbose_name=_("rep")
    )
    ordered_at = models.DateTimeField(_("date"), editable=False)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED, editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    confirmed_by = done_by(_("confirmed by"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)
    delivered_by = done_by(_("delivered by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancelled_by = done_by(_("cancelled by"))

    class Meta:
        ordering = ["-ordered_at", "-id"]
        # "order" is also a position (Workflow.order), which French says otherwise.
        verbose_name = pgettext_lazy("sales", "order")
        verbose_name_plural = pgettext_lazy("sales", "orders")
        permissions = [("export_order", "Can export orders")]
        indexes = [
            models.Index(fields=["-ordered_at", "-id"], name="order_time"),
            models.Index(fields=["rep", "-ordered_at"], name="order_rep_time"),
            models.Index(fields=["client", "-ordered_at"], name="order_client_time"),
            models.Index(fields=["status", "-ordered_at"], name="order_status_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=OrderStatus.values), name="order_status_known"),
        ]

    def __str__(self) -> str:
        return _("Order no. %(number)s") % {"number": self.pk}


class SubmissionPhoto(models.Model):
    """A photo a rep took for a photo field of an activity: the submission's value names the photo (a Blob) by its
    id; this row lets the back office find, filter and show the photos without reading every submission's values."""

    submission = models.ForeignKey(
        ActivitySubmission, on_delete=models.CASCADE, related_name="photos", verbose_name=_("submission")
    )
    key = models.CharField(_("field"), max_length=50)
    blob = models.ForeignKey("fieldsales.Blob", on_delete=models.CASCADE, related_name="+", verbose_name=_("photo"))

    class Meta:
        ordering = ["-submission__submitted_at", "-id"]
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        constraints = [models.UniqueConstraint(fields=["submission", "key"], name="submission_photo_per_field")]

    def __str__(self) -> str:
        return f"{self.submission} — {self.key}"

    @property
    def label(self) -> str:
        """Its field's label in the active language; its key if the field has since left the form."""
        try:
            specs = self.submission.activity.specs()
        except ValidationError:
            specs = []
        return next((spec.label for spec in specs if spec.key == self.key), self.key)


# Visit planning ------------------------------------------------------------------------------------------------------


class Repeat(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every second week")
    FOUR_WEEKLY = "four_weekly", _("Every four weeks")
    MONTHLY = "monthly", _("Every month, on the same day")


class VisitPlan(models.Model):
    """A rep's planned visits to one client, with the workflow to run: once on `starts_on`, or from it on, repeating
    until `ends_on` (inclusive; none: until the plan is changed). The days it falls on are
    `workflows.planning.plan_days`'s; a supervisor may move one of them (`PlanMove`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_plans", verbose_name=_("rep")
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="visit_plans", verbose_name=_("client")
    )
    workflow = models.ForeignKey(
        Workflow, on_delete=models.PROTECT, related_name="visit_plans", verbose_name=_("workflow")
    )
    starts_on = models.DateField(_("first visit"))
    repeat = models.CharField(_("repeats"), max_length=12, choices=Repeat.choices, default=Repeat.ONCE)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    created_by = done_by(_("planned by"))
    created_at = models.DateTimeField(_("planned at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["starts_on", "rep_id", "client_id"]
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        indexes = [
            models.Index(fields=["rep", "starts_on"], name="plan_rep_start"),
            models.Index(fields=["client", "starts_on"], name="plan_client_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="plan_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return _("%(client)s, %(repeat)s from %(day)s") % {
            "client": self.client,
            "repeat": self.get_repeat_display().lower(),
            "day": date_format(self.starts_on, "SHORT_DATE_FORMAT"),
        }


class PlanMove(models.Model):
    """One day of a plan moved by a supervisor (a missed visit planned again): `from_day` is no longer one of the
    plan's days, and `to_day` is (none: that visit is dropped)."""

    plan = models.ForeignKey(VisitPlan, on_delete=models.CASCADE, related_name="moves", verbose_name=_("visit plan"))
    from_day = models.DateField(_("planned for"))
    to_day = models.DateField(_("moved to"), null=True, blank=True)
    moved_by = done_by(_("moved by"))
    moved_at = models.DateTimeField(_("moved at"), auto_now_add=True)

    class Meta:
        ordering = ["from_day"]
        verbose_name = _("moved planned visit")
        verbose_name_plural = _("moved planned visits")
        constraints = [models.UniqueConstraint(fields=["plan", "from_day"], name="plan_move_once_per_day")]

    def __str__(self) -> str:
        return f"{self.plan} — {self.from_day} → {self.to_day or '∅'}"


class RepAbsence(models.Model):
    """Days a rep is away (leave, training): plans falling on them are shown as conflicts."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences", verbose_name=_("rep")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to (inclusive)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("rep absence")
        verbose_name_plural = _("rep absences")
        indexes = [models.Index(fields=["rep", "starts_on"], name="absence_rep_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rep} — {self.starts_on} → {self.ends_on}"
