"""Exports of visits and orders for the back office (django-import-export), and the import of the product
catalogue with the wizard (fieldsales.imports)."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from clients.schema import REQUIRED, AttributeSpec, AttributeType, clean_value
from fieldsales.imports.base import ERROR, NEW, UNCHANGED, UPDATE, Importer, Outcome, Row, duplicates, messages_of
from fieldsales.imports.columns import Column, in_both_languages
from fieldsales.spreadsheets import SpreadsheetSafeResource
from workflows.models import Order, OrderLine, Product, Visit
from workflows.services import products_write


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


class OrderResource(SpreadsheetSafeResource, resources.ModelResource):
    """An order a row: its number, date, client, rep, status (as the reader's language says it), total, and who
    moved it on and when."""

    number = fields.Field(attribute="id", column_name="number")
    client = fields.Field(attribute="client__name", column_name="client")
    client_id = fields.Field(attribute="client_id", column_name="client_id")
    rep = fields.Field(attribute="rep__username", column_name="rep")
    status = fields.Field(attribute="status", column_name="status")
    visit = fields.Field(attribute="submission__visit_id", column_name="visit")
    confirmed_by = fields.Field(attribute="confirmed_by__username", column_name="confirmed_by")
    delivered_by = fields.Field(attribute="delivered_by__username", column_name="delivered_by")
    cancelled_by = fields.Field(attribute="cancelled_by__username", column_name="cancelled_by")

    class Meta:
        model = Order
        fields = (
            "number",
            "ordered_at",
            "client",
            "client_id",
            "rep",
            "status",
            "total",
            "visit",
            "confirmed_at",
            "confirmed_by",
            "delivered_at",
            "delivered_by",
            "cancelled_at",
            "cancelled_by",
        )
        export_order = fields

    def dehydrate_status(self, order: Order) -> str:
        return str(order.get_status_display())

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return self.filter_export(Order.objects.all())

    def filter_export(self, queryset, **kwargs):  # type: ignore[no-untyped-def]
        """Whatever queryset the admin hands over (filtered changelist), one query for the related names."""
        return queryset.select_related("client", "rep", "submission", "confirmed_by", "delivered_by", "cancelled_by")


# The product catalogue (the import wizard) ----------------------------------------------------------------------

PRODUCT_NOTE = _(
    "Products are found by their SKU, capitals aside: a row whose SKU is in the catalogue updates that product, the "
    "others create products. Empty cells of an existing product's row leave its values as they are."
)
SKU_TWICE = _("The SKU “%(value)s” is on several rows of the file (rows %(rows)s); import it once.")
NOT_A_PRICE = _("Enter a price of zero or more.")
ACTIVE_SPEC = AttributeSpec(key="active", type=AttributeType.BOOLEAN)
PRODUCT_FIELDS = ("name", "unit_price", "active")


def _sku_key(sku: str) -> str:
    return sku.strip().casefold()


def _column(name: str, *aliases: str, required: bool = False) -> Column:
    label = getattr(Product._meta.get_field(name), "verbose_name", name)
    return Column(name, capfirst(str(label)), (*in_both_languages(label), *aliases), required=required)


class ProductImporter(Importer):
    """The catalogue, a product a row, matched by its SKU (the model's own unique code)."""

    kind = "workflows.product"
    model = Product

    def columns(self) -> list[Column]:
        return [
            _column("sku", "code", "code article", "référence", "reference", "ref", "code produit", required=True),
            _column("name", "nom", "désignation", "libellé", "article", "produit", "product", required=True),
            _column("unit_price", "prix", "prix unitaire", "pu", "price", required=True),
            _column("active", "actif", "disponible"),
        ]

    def notes(self) -> list[str]:
        return [str(PRODUCT_NOTE)]

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        self.labels = {column.key: column.label for column in self.columns()}
        found = duplicates([(row.number, _sku_key(row.text("sku")), row.text("sku")) for row in rows], SKU_TWICE)
        wanted = {_sku_key(row.text("sku")) for row in rows} - {""}
        self.by_sku: dict[str, list[Product]] = {}
        # SKUs are compared without capitals, which no index serves: the catalogue is read once, whole (hundreds of
        # products, not the clients' tens of thousands).
        for product in Product.objects.all():
            if _sku_key(product.sku) in wanted:
                self.by_sku.setdefault(_sku_key(product.sku), []).append(product)
        return found

    def check(self, rows: list[Row]) -> list[Outcome]:
        return [self._product(row) for row in rows]

    def _product(self, row: Row) -> Outcome:
        errors: dict[str, list[Any]] = {}
        sku = row.text("sku")
        matches = self.by_sku.get(_sku_key(sku), [])
        existing = next((product for product in matches if product.sku == sku), matches[0] if matches else None)
        values: dict[str, Any] = {}
        if row.text("name"):
            values["name"] = row.text("name")
        if row.text("unit_price"):
            price = self.number(row.cells.get("unit_price"))
            if not isinstance(price, Decimal) or price < 0:
                errors["unit_price"] = [ValidationError(NOT_A_PRICE)]
            else:
                values["unit_price"] = price
        if row.text("active"):
            try:
                values["active"] = clean_value(ACTIVE_SPEC, row.cells.get("active"))
            except ValidationError as error:
                errors["active"] = error.error_list
        if existing is None:
            for name in ("sku", "name", "unit_price"):
                if not row.text(name) and name not in errors:
                    errors[name] = [ValidationError(REQUIRED)]
        if errors:
            in_order = {key: errors[key] for key in self.labels if key in errors}
            return Outcome(ERROR, messages_of(ValidationError(in_order), self.labels))
        product = existing or Product(sku=sku)
        changed = existing is None or any(getattr(product, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(product, name, value)
        try:
            product.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            return Outcome(ERROR, messages_of(error, self.labels))
        if existing is None:
            return Outcome(NEW, payload=product)
        return Outcome(UPDATE, payload=product) if changed else Outcome(UNCHANGED)

    def write(self, outcomes: list[Outcome]) -> None:
        products = [outcome.payload for outcome in outcomes if outcome.payload is not None]
        products_write(created=[p for p in products if p.pk is None], updated=[p for p in products if p.pk])
