"""Ledger import and export: an ERP's account lines, matched to clients by their identifier."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from clients.models import Client
from clients.resources import parse_uuid
from kpis.models import LedgerEntry

UNKNOWN_CLIENT = _("No client has this identifier.")


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


class LedgerEntryResource(resources.ModelResource):
    client = fields.Field(attribute="client", column_name="client", widget=ClientByIdWidget())
    client_name = fields.Field(attribute="client__name", column_name="client_name", readonly=True)

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
