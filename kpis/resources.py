"""Ledger import and export: an ERP's account lines, matched to clients by their identifier.

Like the client import, a file with one invalid row writes nothing.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from clients.models import Client
from clients.resources import parse_uuid
from clients.schema import AttributeSpec, AttributeType, clean_value, is_empty
from fieldsales.spreadsheets import SpreadsheetSafeResource
from kpis.models import LedgerEntry
from kpis.services import kpi_cards_refresh_in_batches

UNKNOWN_CLIENT = _("No client has this identifier.")
NOT_POSITIVE = _("Enter a positive amount; the kind gives the direction.")
# The same readings of a date and a number as a client's attributes ("15/01/2024", "12,5").
DATE_SPEC = AttributeSpec(key="date", type=AttributeType.DATE)
AMOUNT_SPEC = AttributeSpec(key="amount", type=AttributeType.DECIMAL)


class ClientByIdWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(Client, field="id")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Client | None:
        client_id = parse_uuid(value)
        if client_id is None:
            raise ValueError(UNKNOWN_CLIENT)
        try:
            return Client.objects.get(pk=client_id)
        except Client.DoesNotExist:
            raise ValueError(UNKNOWN_CLIENT) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value.pk)


class SchemaDateWidget(widgets.DateWidget):
    """Dates as the schema reads them: ISO or day first, never the US month-first order."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        try:
            text = clean_value(DATE_SPEC, value)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return None if text is None else dt.date.fromisoformat(text)


class PositiveAmountWidget(widgets.DecimalWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if is_empty(value):
            return None
        try:
            amount = Decimal(clean_value(AMOUNT_SPEC, value))
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        if amount <= 0:
            raise ValueError(NOT_POSITIVE)
        return amount


class LedgerEntryResource(SpreadsheetSafeResource, resources.ModelResource):
    client = fields.Field(attribute="client", column_name="client", widget=ClientByIdWidget())
    client_name = fields.Field(attribute="client__name", column_name="client_name", readonly=True)
    date = fields.Field(attribute="date", column_name="date", widget=SchemaDateWidget())
    amount = fields.Field(attribute="amount", column_name="amount", widget=PositiveAmountWidget())
    due_date = fields.Field(attribute="due_date", column_name="due_date", widget=SchemaDateWidget())

    class Meta:
        model = LedgerEntry
        fields = ("client", "client_name", "date", "kind", "reference", "amount", "due_date")
        export_order = fields
        import_id_fields = ("client", "kind", "reference")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return LedgerEntry.objects.select_related("client")

    def get_instance(self, instance_loader: Any, row: dict[str, Any]) -> Any:
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            return None  # the row reports the unknown client

    def import_data(self, dataset: Any, dry_run: bool = False, raise_errors: bool = False, **kwargs: Any) -> Any:
        """A file with one invalid row writes nothing, whatever the caller asks."""
        kwargs.update(use_transactions=True, rollback_on_validation_errors=True)
        self._touched: set[str] = set()
        self._dry_run = dry_run
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def after_save_instance(self, instance: LedgerEntry, row: Any, **kwargs: Any) -> None:
        self._touched.add(str(instance.client_id))

    def after_delete_instance(self, instance: LedgerEntry, row: Any, **kwargs: Any) -> None:
        self._touched.add(str(instance.client_id))

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        """The imported clients' KPI cards follow their new balances, in the import's transaction."""
        super().after_import(dataset, result, **kwargs)
        # A preview (dry run) or a file with errors is rolled back: its cards would be too.
        if not self._dry_run and not result.has_errors() and not result.has_validation_errors():
            kpi_cards_refresh_in_batches(client_ids=self._touched)
