"""Clients to and from spreadsheets: the export (django-import-export), one column per schema attribute, and the
import wizard's importer (fieldsales.imports).

Every imported row goes through the client services, so an import obeys exactly the rules of the admin form, the
API and sync.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from clients.models import Assignment, AttributeDefinition, Client, ClientList, business_key_of
from clients.phones import phone_display
from clients.recording import ChangeChannel, recorded_as
from clients.schema import AttributeSpec, AttributeType, clean_value, display_value, is_empty, spreadsheet_value
from clients.services import (
    business_key_conflicts,
    client_write_plan,
    clients_write,
)
from fieldsales.imports.base import (
    ERROR,
    NEW,
    UNCHANGED,
    UPDATE,
    Importer,
    Outcome,
    Row,
    UserFinder,
    chunks,
    duplicates,
    messages_of,
)
from fieldsales.imports.columns import Column, in_both_languages
from fieldsales.imports.reading import plain
from fieldsales.spreadsheets import SpreadsheetSafeResource

BAD_NUMBER = _("Enter a number.")
BAD_ID = _("Enter a client identifier (UUID) or leave the cell empty for a new client.")
REPS_SEPARATOR = ","
STATEMENT_SPEC = AttributeSpec(key="statement_enabled", type=AttributeType.BOOLEAN)


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return None if is_empty(value) else uuid.UUID(str(value).strip())
    except ValueError:
        return None


# Clients named by the files of other apps' imports ----------------------------------------------------------------

# The same reading of a date as a client's attributes ("15/01/2024", an Excel date).
DATE_SPEC = AttributeSpec(key="date", type=AttributeType.DATE)


def date_cell(value: Any) -> dt.date | None:
    """A date of another app's import file, read as a client's date attributes are (None when the cell is empty);
    a ValidationError saying why it is no date."""
    text = clean_value(DATE_SPEC, value)
    return None if text is None else dt.date.fromisoformat(text)


CLIENT_NOT_FOUND = _("No client has the code or the identifier “%(value)s”.")
CLIENT_AMBIGUOUS = _("Clients of several lists have the code “%(value)s” (%(lists)s); give the client's identifier.")


class ClientFinder:
    """Clients named by a file of another app's import (the ledger, targets, visit plans): by the business key of their
    list (folded) or by their identifier. Queries: one per 2000 names."""

    def __init__(self, values: Iterable[Any]) -> None:
        names = {str(value).strip() for value in values if not is_empty(value)}
        ids = {client_id for name in names if (client_id := parse_uuid(name)) is not None}
        keys = sorted({business_key_of(name) for name in names} - {""})
        self.by_key: dict[str, list[tuple[Any, str]]] = {}
        self.ids: set[Any] = set()
        for some_keys in chunks(keys):
            found = Client.objects.filter(business_key__in=some_keys)
            for pk, key, list_name in found.values_list("pk", "business_key", "client_list__name"):
                self.by_key.setdefault(key, []).append((pk, list_name))
        for some_ids in chunks(sorted(ids, key=str)):
            self.ids.update(Client.objects.filter(pk__in=some_ids).values_list("pk", flat=True))

    def find(self, value: Any) -> tuple[Any, str | None]:
        """The client's id, or None and why not."""
        text = "" if value is None else str(value).strip()
        client_id = parse_uuid(text)
        if client_id is not None and client_id in self.ids:
            return client_id, None
        matches = self.by_key.get(business_key_of(text), [])
        if len(matches) == 1:
            return matches[0][0], None
        if len(matches) > 1:
            lists = ", ".join(sorted(name for _pk, name in matches))
            return None, str(CLIENT_AMBIGUOUS) % {"value": text, "lists": lists}
        return None, str(CLIENT_NOT_FOUND) % {"value": text}


class UUIDWidget(widgets.Widget):
    """An identifier as text."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class AttributeField(fields.Field):
    """A column holding one schema attribute, read from and written to `Client.attributes`."""

    def __init__(self, key: str, column_name: str) -> None:
        super().__init__(attribute=None, column_name=column_name, readonly=True)
        self.key = key
        self.specs: dict[int, AttributeSpec] = {}

    def get_value(self, obj: Client) -> Any:
        return obj.attributes.get(self.key)

    def export(self, instance: Client, **kwargs: Any) -> Any:
        spec = self.specs.get(instance.client_list_id)
        value = self.get_value(instance)
        if spec is None:
            return "" if is_empty(value) else str(value)
        if kwargs.get("force_native_type"):
            return spreadsheet_value(spec, value)
        if spec.type == "integer":
            return value if value is not None else ""
        return display_value(spec, value)


class ClientResource(SpreadsheetSafeResource, resources.ModelResource):
    id = fields.Field(attribute="id", column_name="id", widget=UUIDWidget())
    client_list = fields.Field(attribute="client_list", column_name="list", readonly=True)
    reps = fields.Field(column_name="reps", readonly=True)

    class Meta:
        model = Client
        fields = ("id", "client_list", "name", "phone", "lat", "lng", "accuracy_m", "statement_enabled", "reps")
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lists_by_id = {client_list.pk: client_list for client_list in ClientList.objects.all()}
        self.attribute_fields: dict[str, AttributeField] = {}
        for definition in AttributeDefinition.objects.order_by("client_list__name", "order", "id"):
            field = self.attribute_fields.get(definition.key)
            if field is None:
                field = self.attribute_fields[definition.key] = AttributeField(definition.key, definition.key)
                self.fields[definition.key] = field
            field.specs[definition.client_list_id] = definition.spec(
                region=self.lists_by_id[definition.client_list_id].country
            )

    # Export ------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[Client]:
        return Client.objects.select_related("client_list").prefetch_related("reps")

    def dehydrate_client_list(self, client: Client) -> str:
        return self.lists_by_id[client.client_list_id].name

    def dehydrate_phone(self, client: Client) -> str:
        # As the list's country dials it (clients/phones.py): never a bare "+225…", which a CSV opened in Excel
        # turns into a number (or a formula with spaces), and which the phone rule reads back as the same number.
        return phone_display(client.phone, region=self.lists_by_id[client.client_list_id].country)

    def dehydrate_reps(self, client: Client) -> str:
        return f"{REPS_SEPARATOR} ".join(sorted(rep.get_username() for rep in client.reps.all()))

    def export(self, queryset: QuerySet[Client] | None = None, **kwargs: Any) -> Any:
        """Only the attribute columns of the lists being exported."""
        queryset = self.get_queryset() if queryset is None else queryset
        exported_lists = set(queryset.order_by().values_list("client_list", flat=True).distinct())
        for key, field in self.attribute_fields.items():
            if not exported_lists & set(field.specs):
                self.fields.pop(key, None)
        return super().export(queryset=queryset.select_related("client_list").prefetch_related("reps"), **kwargs)


# The import wizard (fieldsales.imports) --------------------------------------------------------------------------

NO_KEY_NOTE = _(
    "This list has no business key: every row creates a new client, unless it has the identifier (id) of one. To "
    "update clients by their code, mark that attribute as the business key in the list's schema first."
)
KEY_NOTE = _("Rows whose “%(label)s” a client of the list already has update that client; the others create clients.")
OTHER_LIST = _("This client is in the list “%(name)s”; import it into that list.")
REPS_SEPARATORS = re.compile(r"[,;]")


class ClientImporter(Importer):
    """Rows of clients into one list, matched to the list's clients by its business key (or their id)."""

    kind = "clients.client"
    model = Client

    @classmethod
    def scope_fields(cls) -> dict[str, forms.Field]:
        return {
            "client_list": forms.ModelChoiceField(
                queryset=ClientList.objects.all(), label=_("client list"), empty_label=None
            )
        }

    @classmethod
    def scope_of(cls, cleaned_data: Mapping[str, Any]) -> dict[str, Any]:
        return {"list": cleaned_data["client_list"].pk}

    @cached_property
    def client_list(self) -> ClientList:
        return ClientList.objects.prefetch_related("attributes").get(pk=self.job.scope["list"])

    def title(self) -> str:
        return f"{Client._meta.verbose_name_plural} – {self.client_list.name}"

    def columns(self) -> list[Column]:
        def field(name: str, *aliases: str, required: bool = False) -> Column:
            label = getattr(Client._meta.get_field(name), "verbose_name", name)
            return Column(name, capfirst(str(label)), (*in_both_languages(label), *aliases), required=required)

        columns = [
            Column("id", capfirst(str(_("identifier (id)"))), ("id", "uuid", "identifiant")),
            field("name", "nom", "client", "nom du client", "client name", required=True),
            field("phone", "téléphone", "telephone", "tel", "tél", "mobile", "portable"),
            field("lat", "latitude", "lat"),
            field("lng", "longitude", "long", "lon"),
            field("accuracy_m", "precision", "précision", "accuracy"),
            field("statement_enabled", "relevé", "releve de compte", "statement"),
            Column(
                "reps",
                capfirst(str(_("reps"))),
                (*in_both_languages(_("reps")), "commerciaux", "commercial", "rep", "vendeur"),
            ),
        ]
        key = self.client_list.key_attribute()
        for spec in self.client_list.specs():
            columns.append(
                Column(spec.key, spec.label, (spec.label_en, spec.label_fr), required=spec.required or spec.key == key)
            )
        return columns

    def notes(self) -> list[str]:
        key = self.client_list.key_attribute()
        if key is None:
            return [str(NO_KEY_NOTE)]
        label = next(spec.label for spec in self.client_list.specs() if spec.key == key)
        return [str(KEY_NOTE) % {"label": label}]

    def saved_mapping(self) -> dict[str, str]:
        return dict(self.client_list.import_mapping or {})

    def save_mapping(self, mapping: dict[str, str]) -> None:
        saved = {**(self.client_list.import_mapping or {}), **mapping}
        ClientList.objects.filter(pk=self.client_list.pk).update(import_mapping=saved)

    def template_headers(self) -> list[str]:
        return [column.label for column in self.columns() if column.key != "id"]

    # The work --------------------------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        self.labels = {column.key: column.label for column in self.columns()}
        self.specs = {spec.key: spec for spec in self.client_list.specs()}
        key = self.client_list.key_attribute()
        keys: list[tuple[int, str, str]] = []
        if key is not None:
            for row in rows:
                if row.has(key):
                    folded = business_key_of(self._key_value(self.specs[key], row.cells[key]))
                    keys.append((row.number, folded, row.text(key)))
        found = duplicates(keys)
        given_ids = [
            (row.number, str(parse_uuid(row.cells["id"]) or ""), row.text("id")) for row in rows if row.has("id")
        ]
        for number, messages in duplicates(given_ids).items():
            found.setdefault(number, []).extend(messages)
        ids = {uuid.UUID(client_id) for _number, client_id, _text in given_ids if client_id}
        self.by_key: dict[str, Client] = {}
        self.by_id: dict[uuid.UUID, Client] = {}
        wanted_keys = sorted({folded for _number, folded, _text in keys if folded})
        for some_keys in chunks(wanted_keys):
            for client in Client.objects.filter(client_list=self.client_list, business_key__in=some_keys):
                self.by_key[client.business_key] = client
        wanted_ids = sorted(ids - {client.pk for client in self.by_key.values()}, key=str)
        for some_ids in chunks(wanted_ids):
            for client in Client.objects.filter(pk__in=some_ids):
                self.by_id[client.pk] = client
        for client in self.by_key.values():
            self.by_id[client.pk] = client
        self.rep_ids: dict[uuid.UUID, set[int]] = {}
        for some_ids in chunks(sorted(self.by_id, key=str)):
            assigned = Assignment.objects.filter(client_id__in=some_ids)
            for client_id, rep_id in assigned.values_list("client_id", "rep_id"):
                self.rep_ids.setdefault(client_id, set()).add(rep_id)
        for client in self.by_id.values():
            if client.client_list_id == self.client_list.pk:
                client.client_list = self.client_list  # its schema, prefetched once
        self.users = UserFinder(name for row in rows for name in self._rep_names(row))
        return found

    def check(self, rows: list[Row]) -> list[Outcome]:
        outcomes = [self._plan(row) for row in rows]
        planned = [outcome.payload.client for outcome in outcomes if outcome.payload is not None]
        conflicts = business_key_conflicts(client_list=self.client_list, clients=planned)
        for outcome in outcomes:
            if outcome.payload is not None and outcome.payload.client.pk in conflicts:
                problem = conflicts[outcome.payload.client.pk]
                outcome.action, outcome.messages = ERROR, messages_of(problem, self.labels)
                outcome.payload = None
        return outcomes

    def write(self, outcomes: list[Outcome]) -> None:
        writes = [outcome.payload for outcome in outcomes if outcome.payload is not None]
        # The clients' history names the file the changes came from.
        with recorded_as(ChangeChannel.IMPORT, user=self.user, reason=self.job.file_name):
            clients_write(user=self.user, writes=writes)

    # One row ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _key_value(spec: AttributeSpec, value: Any) -> Any:
        try:
            return clean_value(spec, value)
        except ValidationError:
            return value

    def _rep_names(self, row: Row) -> list[str]:
        return [name.strip() for name in REPS_SEPARATORS.split(row.text("reps")) if name.strip()]

    def _existing(self, row: Row, errors: dict[str, list[Any]]) -> Client | None:
        key = self.client_list.key_attribute()
        if row.has("id") and not is_empty(row.cells["id"]):
            client_id = parse_uuid(row.cells["id"])
            if client_id is None:
                errors["id"] = [ValidationError(BAD_ID)]
                return None
            client = self.by_id.get(client_id)
            if client is not None and client.client_list_id != self.client_list.pk:
                errors["id"] = [ValidationError(OTHER_LIST, params={"name": str(client.client_list)})]
                return None
            if client is not None:
                return client
        if key is not None and row.has(key):
            return self.by_key.get(business_key_of(self._key_value(self.specs[key], row.cells[key])))
        return None

    def _plan(self, row: Row) -> Outcome:
        errors: dict[str, list[Any]] = {}
        data: dict[str, Any] = {}
        existing = self._existing(row, errors)
        for column in ("name", "phone"):
            if row.has(column):
                data[column] = row.text(column)
        for column in ("lat", "lng", "accuracy_m"):
            if row.has(column):
                number = self.number(row.cells[column])
                if number is None or isinstance(number, Decimal):
                    data[column] = None if number is None else float(number)
                else:
                    errors[column] = [ValidationError(BAD_NUMBER)]
        if row.has("statement_enabled"):
            try:
                data["statement_enabled"] = bool(clean_value(STATEMENT_SPEC, row.cells["statement_enabled"]))
            except ValidationError as problem:
                errors["statement_enabled"] = problem.error_list
        attributes: dict[str, Any] = {}
        for key, spec in self.specs.items():
            if row.has(key):
                attributes[key] = self._attribute_cell(spec, row.cells[key])
        data["attributes"] = attributes
        reps = None
        if row.has("reps"):
            reps = []
            for name in self._rep_names(row):
                user, why = self.users.find(name)
                if user is None:
                    errors.setdefault("reps", []).append(ValidationError(why or ""))
                else:
                    reps.append(user)
        # A new client keeps the identifier its row gives (a file exported from another FieldSales, say).
        client_id = parse_uuid(row.cells["id"]) if existing is None and row.has("id") else None
        try:
            plan = client_write_plan(
                user=self.user,
                client_list=self.client_list,
                data=data,
                client=existing,
                client_id=client_id,
                reps=reps,
                current_rep_ids=self.rep_ids.get(existing.pk, set()) if existing is not None else (),
            )
        except ValidationError as problem:
            for key, messages in problem.update_error_dict({}).items():
                errors.setdefault(key, []).extend(messages)
            plan = None
        if errors or plan is None:
            return Outcome(ERROR, messages_of(ValidationError(errors), self.labels))
        if plan.adding:
            return Outcome(NEW, payload=plan)
        return Outcome(UPDATE if plan.writes else UNCHANGED, payload=plan if plan.writes else None)

    def _attribute_cell(self, spec: AttributeSpec, value: Any) -> Any:
        """A cell as the schema takes it, its numbers read in the clerk's language first."""
        if spec.type not in (AttributeType.INTEGER, AttributeType.DECIMAL) or isinstance(value, bool):
            return value
        number = self.number(value)
        if not isinstance(number, Decimal):
            return number
        if spec.type == AttributeType.INTEGER and number == number.to_integral_value():
            return int(number)
        return plain(number)
