from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.schema import localized


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def debits(self) -> LedgerEntryQuerySet:
        return self.filter(kind__in=DEBIT_KINDS)

    def balance(self) -> Decimal:
        """What these entries leave the client owing (negative: the client is in credit). One query."""
        return self.aggregate(total=models.Sum(signed_amount()))["total"] or Decimal("0")


class LedgerEntry(models.Model):
    """A line of a client's account, as exported by the ERP."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        PAYMENT = "payment", _("Payment")
        CREDIT_NOTE = "credit_note", _("Credit note")

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="ledger_entries", verbose_name=_("client")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=60)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, help_text=_("Always positive; the kind gives the direction.")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["client", "date", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        permissions = [
            ("import_ledgerentry", "Can import ledger entries"),
            ("export_ledgerentry", "Can export ledger entries"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "reference"], name="ledger_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["client", "date"], name="ledger_client_date"),
            # Covers a client's balance (the signed sum of its amounts, the sign from the kind): read from the
            # index alone, however long the ledger.
            models.Index(fields=["client", "kind", "amount"], name="ledger_client_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


# The ledger's sign rule, written once: a debit (an invoice) raises what the client owes; every other kind is a
# credit (a payment, a credit note) and lowers it. Amounts are stored positive; the kind gives the direction.
DEBIT_KINDS = (LedgerEntry.Kind.INVOICE,)


def signed_amount() -> models.Case:
    """An entry's amount as it moves the client's balance, as a query expression: + for a debit, − for a credit."""
    return models.Case(
        models.When(kind__in=DEBIT_KINDS, then=models.F("amount")),
        default=-models.F("amount"),
        output_field=models.DecimalField(max_digits=16, decimal_places=2),
    )


class KpiFolder(models.Model):
    """A tab of the KPI card; tabs are shown in alphabetical order of their name."""

    name_en = models.CharField(_("name (English)"), max_length=80)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    # Goes up when the folder or one of its definitions changes: the reps' phones hold the folder as `kpi_folder`.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("KPI folder")
        verbose_name_plural = _("KPI folders")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_fr)


class KpiDefinition(models.Model):
    """One indicator on the client card: a metric, its parameters, its label and where it shows."""

    class Display(models.TextChoices):
        NUMBER = "number", _("Number")
        MONEY = "money", _("Amount")
        PERCENT = "percent", _("Percentage")
        DAYS = "days", _("Days")
        DATE = "date", _("Date")
        TEXT = "text", _("Text")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    metric = models.CharField(_("metric"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=120)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    folder = models.ForeignKey(
        KpiFolder, on_delete=models.PROTECT, related_name="definitions", verbose_name=_("folder")
    )
    display = models.CharField(_("display"), max_length=10, choices=Display.choices, default=Display.NUMBER)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["folder", "order", "id"]
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self.label_en, self.label_fr)

    def clean(self) -> None:
        """The metric is one the registry knows and the parameters are those it declares, typed: anything else is
        a KPI the reps never see, or one computed with a parameter silently ignored."""
        # The registry reads these models to compute: imported here, once the models are defined.
        from kpis.metrics import metric_params_clean

        if self.metric:  # an empty metric is the field's own error (blank)
            self.params = metric_params_clean(metric=self.metric, params=self.params)


OWNER_NEEDED = _("A target belongs to a client or to a rep.")


class Target(models.Model):
    """An objective for a period: for one client, or for all of a rep's clients."""

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("client"),
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("rep"),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        permissions = [
            ("import_target", "Can import targets"),
            ("export_target", "Can export targets"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False) | models.Q(rep__isnull=False), name="target_has_owner"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="target_period_order"
            ),
        ]

    def __str__(self) -> str:
        owner = self.client or self.rep
        period = "–".join(date_format(day, "SHORT_DATE_FORMAT") for day in (self.period_start, self.period_end))
        return f"{owner} {period}: {self.value}"

    def clean(self) -> None:
        if self.client_id is None and self.rep_id is None:
            raise ValidationError(OWNER_NEEDED)


class KpiCard(models.Model):
    """A client's KPI card as last computed: kept up to date when the client's visits, orders or ledger change,
    so that a pull reads it instead of computing it."""

    client = models.OneToOneField(
        "clients.Client",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="kpi_card",
        verbose_name=_("client"),
    )
    folders = models.JSONField(_("folders"), default=list)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    computed_on = models.DateField(_("computed on"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("KPI card")
        verbose_name_plural = _("KPI cards")

    def __str__(self) -> str:
        return str(self.client)


class OverdueDebt(models.Model):
    """A client's overdue debt as last sent to the reps' phones (the `debt` record): kept so that a pull reads it,
    and so that its version moves only when what the phone shows does. A client whose debt is no longer overdue
    keeps its row, at zero, for its version to go on from where it was."""

    client = models.OneToOneField(
        "clients.Client",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="overdue_debt",
        verbose_name=_("client"),
    )
    overdue = models.DecimalField(_("overdue"), max_digits=16, decimal_places=2)
    days = models.PositiveIntegerField(_("days overdue"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    computed_on = models.DateField(_("computed on"))

    class Meta:
        verbose_name = _("overdue debt")
        verbose_name_plural = _("overdue debts")
        indexes = [models.Index(fields=["overdue"], name="overdue_debt_amount")]

    def __str__(self) -> str:
        return str(self.client)


class StatementDelivery(models.Model):
    """An account statement on its way to a client: queued by a rep (or the back office), sent off the request path
    by `kpis.delivery`, retried until the provider takes it. The id is the device's, so a request sent twice is one."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WHATSAPP = "whatsapp", _("WhatsApp")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="statement_deliveries", verbose_name=_("client")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="statement_deliveries",
        verbose_name=_("requested by"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=5, default="fr")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("statement delivery")
        verbose_name_plural = _("statement deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.client} → {self.recipient} ({self.get_channel_display()})"
