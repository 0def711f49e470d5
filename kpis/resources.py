"""The ledger and targets to and from spreadsheets: the ledger's export (django-import-export), and the import
wizard's importers (fieldsales.imports) of an ERP's account lines and of targets, matched to clients by their
list's business key or their identifier."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from clients.models import Client
from clients.resources import ClientFinder, date_cell
from clients.schema import REQUIRED, AttributeSpec, AttributeType
from fieldsales.imports.base import (
    ERROR,
    NEW,
    UNCHANGED,
    UPDATE,
    Importer,
    Outcome,
    Row,
    UserFinder,
    duplicates,
    messages_of,
)
from fieldsales.imports.columns import Column, fold, in_both_languages
from fieldsales.spreadsheets import SpreadsheetSafeResource
from kpis.models import OWNER_NEEDED, LedgerEntry, Target
from kpis.services import kpi_cards_refresh_in_batches, targets_write

NOT_POSITIVE = _("Enter a positive amount; the kind gives the direction.")
NOT_A_NUMBER = _("Enter a number.")
# The same reading of a number as a client's attributes ("12,5").
AMOUNT_SPEC = AttributeSpec(key="amount", type=AttributeType.DECIMAL)


class ClientByIdWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Client, field="id")

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value.pk)


class LedgerEntryResource(SpreadsheetSafeResource, resources.ModelResource):
    client = fields.Field(attribute="client", column_name="client", widget=ClientByIdWidget())
    client_name = fields.Field(attribute="client__name", column_name="client_name", readonly=True)

    class Meta:
        model = LedgerEntry
        fields = ("client", "client_name", "date", "kind", "reference", "amount", "due_date")
        export_order = fields

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return LedgerEntry.objects.select_related("client")


# The import wizard (fieldsales.imports) --------------------------------------------------------------------------

UNKNOWN_KIND = _("“%(value)s” is not a kind of entry: %(kinds)s.")
REFERENCE_NEEDED = _("Give the entry's reference (the invoice or receipt number).")
LEDGER_NOTE = _(
    "Clients are found by their list's business key (a client code) or their identifier. An entry already in the "
    "ledger (same client, kind and reference) is updated."
)
ENTRY_TWICE = _("The entry “%(value)s” is on several rows of the file (rows %(rows)s); import it once.")
ENTRY_FIELDS = ("date", "amount", "due_date")


def _field_column(model: type[Any], name: str, *aliases: str, required: bool = False) -> Column:
    label = getattr(model._meta.get_field(name), "verbose_name", name)
    return Column(name, capfirst(str(label)), (*in_both_languages(label), *aliases), required=required)


class LedgerImporter(Importer):
    """An ERP's account lines, the client named by its code: matched to the ledger by client, kind and reference."""

    kind = "kpis.ledgerentry"
    model = LedgerEntry

    def columns(self) -> list[Column]:
        return [
            _field_column(LedgerEntry, "client", "code client", "client code", "customer", "id client", required=True),
            _field_column(LedgerEntry, "date", "date de pièce", "date piece", required=True),
            _field_column(LedgerEntry, "kind", "type", "nature", "type de pièce", required=True),
            _field_column(LedgerEntry, "reference", "référence", "numéro", "n° pièce", "piece", required=True),
            _field_column(LedgerEntry, "amount", "montant", "montant ttc", required=True),
            _field_column(LedgerEntry, "due_date", "échéance", "date d'échéance"),
        ]

    def notes(self) -> list[str]:
        return [str(LEDGER_NOTE)]

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        self.labels = {column.key: column.label for column in self.columns()}
        self.kinds: dict[str, str] = {}
        for value, label in LedgerEntry.Kind.choices:
            for name in (value, *in_both_languages(label)):
                self.kinds[fold(name)] = value
        self.clients = ClientFinder(row.cells.get("client") for row in rows)
        keys = []
        for row in rows:
            client_id, _problem = self.clients.find(row.cells.get("client"))
            kind = self.kinds.get(fold(row.text("kind")), "")
            if client_id is not None and kind and row.text("reference"):
                keys.append((row.number, f"{client_id}|{kind}|{row.text('reference')}", row.text("reference")))
        found = duplicates(keys, ENTRY_TWICE)
        self.existing: dict[tuple[Any, str, str], LedgerEntry] = {}
        references = sorted({row.text("reference") for row in rows if row.text("reference")})
        client_ids = sorted({key.split("|")[0] for _n, key, _t in keys})
        for start in range(0, len(references), 1000):
            entries = LedgerEntry.objects.filter(
                client_id__in=client_ids, reference__in=references[start : start + 1000]
            )
            for entry in entries:
                self.existing[(entry.client_id, entry.kind, entry.reference)] = entry
        self.touched: set[Any] = set()
        return found

    def check(self, rows: list[Row]) -> list[Outcome]:
        return [self._entry(row) for row in rows]

    def _entry(self, row: Row) -> Outcome:
        errors: dict[str, list[Any]] = {}
        client_id, problem = self.clients.find(row.cells.get("client"))
        if client_id is None:
            errors["client"] = [ValidationError(problem or "")]
        kind = self.kinds.get(fold(row.text("kind")))
        if kind is None:
            kinds = ", ".join(str(label) for _value, label in LedgerEntry.Kind.choices)
            errors["kind"] = [ValidationError(UNKNOWN_KIND, params={"value": row.text("kind"), "kinds": kinds})]
        reference = row.text("reference")
        if not reference:
            errors["reference"] = [ValidationError(REFERENCE_NEEDED)]
        values: dict[str, Any] = {}
        for name in ("date", "due_date"):
            try:
                values[name] = date_cell(row.cells.get(name))
            except ValidationError as error:
                errors[name] = error.error_list
        amount = self.number(row.cells.get("amount"))
        if amount is not None and not isinstance(amount, Decimal):
            errors["amount"] = [ValidationError(NOT_A_NUMBER)]
        elif amount is None or amount <= 0:
            errors["amount"] = [ValidationError(NOT_POSITIVE)]
        values["amount"] = amount
        if values.get("date") is None and "date" not in errors:
            errors["date"] = [ValidationError(REQUIRED)]
        if errors or kind is None:
            return Outcome(ERROR, messages_of(ValidationError(errors), self.labels))
        existing = self.existing.get((client_id, kind, reference))
        entry = existing or LedgerEntry(client_id=client_id, kind=kind, reference=reference)
        changed = existing is None or any(getattr(entry, name) != values[name] for name in ENTRY_FIELDS)
        for name in ENTRY_FIELDS:
            setattr(entry, name, values[name])
        try:
            entry.clean_fields(exclude=["client"])
        except ValidationError as error:
            return Outcome(ERROR, messages_of(error, self.labels))
        if existing is None:
            return Outcome(NEW, payload=entry)
        return Outcome(UPDATE, payload=entry) if changed else Outcome(UNCHANGED)

    def write(self, outcomes: list[Outcome]) -> None:
        entries = [outcome.payload for outcome in outcomes if outcome.payload is not None]
        LedgerEntry.objects.bulk_create([entry for entry in entries if entry.pk is None], batch_size=500)
        LedgerEntry.objects.bulk_update([entry for entry in entries if entry.pk], ENTRY_FIELDS, batch_size=500)
        self.touched.update(entry.client_id for entry in entries)

    def finish(self) -> None:
        # The imported clients' KPI cards follow their new balances, in the import's transaction.
        kpi_cards_refresh_in_batches(client_ids=self.touched)
        self.touched = set()


# Targets -----------------------------------------------------------------------------------------------------------

PERIOD_ORDER = _("The period ends before it starts.")
TARGET_TWICE = _("This target is on several rows of the file (rows %(rows)s); import it once.")
TARGET_NOTE = _(
    "Clients are found by their list's business key (a client code) or their identifier, reps by their user name or "
    "full name. A row with a client and no rep is that client's target; a row with a rep and no client counts all the "
    "rep's clients. A target already there (same client, rep and period) gets the file's value."
)
TARGET_KEY_FIELDS = ("client_id", "rep_id", "period_start", "period_end")


class TargetImporter(Importer):
    """Targets for a period, each for a client (named by its code) or a rep (by user name or name)."""

    kind = "kpis.target"
    model = Target

    def columns(self) -> list[Column]:
        return [
            _field_column(Target, "client", "code client", "client code", "customer", "id client"),
            _field_column(Target, "rep", "commercial", "représentant", "vendeur", "user name", "username"),
            _field_column(Target, "period_start", "début", "du", "date de début", "start", "from", required=True),
            _field_column(Target, "period_end", "fin", "au", "date de fin", "end", "to", required=True),
            _field_column(Target, "value", "objectif", "valeur", "montant", "target", required=True),
        ]

    def notes(self) -> list[str]:
        return [str(TARGET_NOTE)]

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        self.labels = {column.key: column.label for column in self.columns()}
        self.clients = ClientFinder(row.cells.get("client") for row in rows)
        self.users = UserFinder(row.text("rep") for row in rows)
        self.read = {row.number: self._read(row) for row in rows}
        keys = [
            (number, "|".join(str(values[name]) for name in TARGET_KEY_FIELDS), "")
            for number, (values, errors) in self.read.items()
            if not errors
        ]
        found = duplicates(keys, TARGET_TWICE)
        starts = sorted({values["period_start"] for values, errors in self.read.values() if not errors})
        self.existing: dict[tuple[Any, ...], Target] = {}
        for start in range(0, len(starts), 500):
            for target in Target.objects.filter(period_start__in=starts[start : start + 500]):
                self.existing[tuple(getattr(target, name) for name in TARGET_KEY_FIELDS)] = target
        return found

    def _read(self, row: Row) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """The row's target as values by field, and its errors by column."""
        errors: dict[str, list[Any]] = {}
        values: dict[str, Any] = {"client_id": None, "rep_id": None}
        if row.text("client"):
            values["client_id"], problem = self.clients.find(row.cells.get("client"))
            if problem:
                errors["client"] = [ValidationError(problem)]
        if row.text("rep"):
            user, problem = self.users.find(row.text("rep"))
            values["rep_id"] = getattr(user, "pk", None)
            if problem:
                errors["rep"] = [ValidationError(problem)]
        for name in ("period_start", "period_end"):
            try:
                day = date_cell(row.cells.get(name))
            except ValidationError as error:
                errors[name] = error.error_list
                continue
            if day is None:
                errors[name] = [ValidationError(REQUIRED)]
            else:
                values[name] = day
        value = self.number(row.cells.get("value"))
        if value is None:
            errors["value"] = [ValidationError(REQUIRED)]
        elif not isinstance(value, Decimal):
            errors["value"] = [ValidationError(NOT_A_NUMBER)]
        values["value"] = value
        if not errors and values["period_end"] < values["period_start"]:
            errors["period_end"] = [ValidationError(PERIOD_ORDER)]
        if not errors and values["client_id"] is None and values["rep_id"] is None:
            errors["__all__"] = [ValidationError(OWNER_NEEDED)]
        return values, errors

    def check(self, rows: list[Row]) -> list[Outcome]:
        return [self._target(row) for row in rows]

    def _target(self, row: Row) -> Outcome:
        values, errors = self.read[row.number]
        if errors:
            return Outcome(ERROR, messages_of(ValidationError(errors), self.labels))
        existing = self.existing.get(tuple(values[name] for name in TARGET_KEY_FIELDS))
        target = existing or Target(**{name: values[name] for name in TARGET_KEY_FIELDS})
        changed = existing is None or existing.value != values["value"]
        target.value = values["value"]
        try:
            target.clean_fields(exclude=["client", "rep"])
        except ValidationError as error:
            return Outcome(ERROR, messages_of(error, self.labels))
        if existing is None:
            return Outcome(NEW, payload=target)
        return Outcome(UPDATE, payload=target) if changed else Outcome(UNCHANGED)

    def write(self, outcomes: list[Outcome]) -> None:
        targets = [outcome.payload for outcome in outcomes if outcome.payload is not None]
        targets_write(created=[target for target in targets if target.pk is None], updated=[t for t in targets if t.pk])
