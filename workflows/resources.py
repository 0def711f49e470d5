"""Exports of visits and orders for the back office (django-import-export)."""

from import_export import fields, resources

from fieldsales.spreadsheets import SpreadsheetSafeResource
from workflows.models import OrderLine, Visit


class VisitResource(SpreadsheetSafeResource, resources.ModelResource):
    client = fields.Field(attribute="client__name", column_name="client")
    client_id = fields.Field(attribute="client_id", column_name="client_id")
    rep = fields.Field(attribute="rep__username", column_name="rep")
    workflow = fields.Field(attribute="workflow__name_en", column_name="workflow")

    class Meta:
        model = Visit
        fields = (
            "id",
            "client",
            "client_id",
            "rep",
            "workflow",
            "checked_in_at",
            "ended_at",
            "checkin_lat",
            "checkin_lng",
            "checkin_accuracy_m",
            "distance_m",
        )
        export_order = fields

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return self.filter_export(Visit.objects.all())

    def filter_export(self, queryset, **kwargs):  # type: ignore[no-untyped-def]
        """Whatever queryset the admin hands over (filtered changelist), one query for the related names."""
        return queryset.select_related("client", "rep", "workflow")


class OrderLineResource(SpreadsheetSafeResource, resources.ModelResource):
    visit = fields.Field(attribute="submission__visit_id", column_name="visit")
    date = fields.Field(attribute="submission__submitted_at", column_name="date")
    client = fields.Field(attribute="submission__visit__client__name", column_name="client")
    rep = fields.Field(attribute="submission__visit__rep__username", column_name="rep")
    sku = fields.Field(attribute="product__sku", column_name="sku")
    product = fields.Field(attribute="product__name", column_name="product")

    class Meta:
        model = OrderLine
        fields = ("id", "visit", "date", "client", "rep", "sku", "product", "quantity", "unit_price", "value")
        export_order = fields

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return self.filter_export(OrderLine.objects.all())

    def filter_export(self, queryset, **kwargs):  # type: ignore[no-untyped-def]
        """Whatever queryset the admin hands over (filtered changelist), one query for the related names."""
        return queryset.select_related("submission__visit__client", "submission__visit__rep", "product")
