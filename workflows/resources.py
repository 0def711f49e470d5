"""Exports of visits and orders for the back office (django-import-export), and the imports of the product
catalogue and of visit plans with the wizard (fieldsales.imports)."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from clients.resources import ClientFinder, date_cell
from clients.schema import REQUIRED, AttributeSpec, AttributeType, clean_value
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
from fieldsales.imports.columns import Column, fold, in_both_languages
from fieldsales.spreadsheets import SpreadsheetSafeResource
from workflows.models import Order, OrderLine, Product, Repeat, Visit, VisitPlan, Workflow
from workflows.planning import (
    NOT_PLANNABLE,
    Plannable,
    plan_ends_on,
    plan_team,
    visit_plan_problems,
    visit_plans_write,
)
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


# Visit plans (the import wizard) -----------------------------------------------------------------------------------

UNKNOWN_WORKFLOW = _("No workflow is named “%(value)s”.")
AMBIGUOUS_WORKFLOW = _("Several workflows are named “%(value)s”: rename one of them.")
UNKNOWN_REPEAT = _("“%(value)s” is not a way to repeat visits: %(choices)s.")
PLAN_TWICE = _("This plan (same rep, client, workflow and first visit) is on several rows of the file (rows %(rows)s).")
PLAN_NOTE = _(
    "Reps are found by their user name or full name, clients by their list's business key (a client code) or their "
    "identifier, workflows by their English or French name. An empty “repeats” cell plans a single visit. A plan "
    "already there (same rep, client, workflow and first visit) takes the file's repeats and last day."
)
PLAN_KEY_FIELDS = ("rep_id", "client_id", "workflow_id", "starts_on")


def _plan_column(name: str, *aliases: str, required: bool = False) -> Column:
    label = getattr(VisitPlan._meta.get_field(name), "verbose_name", name)
    return Column(name, capfirst(str(label)), (*in_both_languages(label), *aliases), required=required)


class VisitPlanImporter(Importer):
    """Visit plans, a plan a row: a rep (user name or name) visits a client (code or identifier) with a workflow
    (its name), from a first visit, repeating or not. Each row is held to the rules of planning from the client list
    (workflows.planning: `visit_plan_problems`, `Plannable`); a plan already there is matched by its rep, client,
    workflow and first visit."""

    kind = "workflows.visitplan"
    model = VisitPlan

    def columns(self) -> list[Column]:
        return [
            _plan_column("rep", "représentant", "vendeur", "user name", "username", "identifiant", required=True),
            _plan_column("client", "code client", "client code", "customer", "id client", required=True),
            _plan_column("workflow", "parcours", "type de visite", "visite", "visit", required=True),
            _plan_column("starts_on", "date", "date de visite", "première date", "début", "start", required=True),
            _plan_column("repeat", "repeat", "répéter", "fréquence", "périodicité", "frequency"),
            _plan_column("ends_on", "fin", "date de fin", "jusqu'à", "end", "last day", "dernier jour"),
        ]

    def notes(self) -> list[str]:
        return [str(PLAN_NOTE)]

    def prepare(self, rows: list[Row]) -> dict[int, list[str]]:
        self.labels = {column.key: column.label for column in self.columns()}
        # A job whose clerk has since been deleted plans nobody's visits.
        self.team = plan_team(user=self.user) if self.user is not None else set()
        self.users = UserFinder(row.text("rep") for row in rows)
        self.clients = ClientFinder(row.cells.get("client") for row in rows)
        self.workflows: dict[str, list[Workflow]] = {}
        for workflow in Workflow.objects.all():
            for name in {fold(workflow.name_en), fold(workflow.name_fr)} - {""}:
                self.workflows.setdefault(name, []).append(workflow)
        self.repeats = {
            fold(name): value for value, label in Repeat.choices for name in (value, *in_both_languages(label))
        }
        self.read = {row.number: self._read(row) for row in rows}
        found = duplicates(
            [(number, _plan_key(values), "") for number, (values, errors) in self.read.items() if not errors],
            PLAN_TWICE,
        )
        self.existing = _existing_plans([values for values, errors in self.read.values() if not errors])
        return found

    def _read(self, row: Row) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """The row's plan as values by field, and its errors by column."""
        errors: dict[str, list[Any]] = {}
        values: dict[str, Any] = {}
        user, problem = self.users.find(row.text("rep"))
        values["rep_id"] = getattr(user, "pk", None)
        values["client_id"], client_problem = self.clients.find(row.cells.get("client"))
        values["workflow"], workflow_problem = self._workflow(row.text("workflow"))
        values["repeat"] = self.repeats.get(fold(row.text("repeat")) or Repeat.ONCE)
        for key, text in (("rep", problem), ("client", client_problem), ("workflow", workflow_problem)):
            if not row.text(key):
                errors[key] = [ValidationError(REQUIRED)]
            elif text:
                errors[key] = [ValidationError(text)]
        if values["repeat"] is None:
            choices = ", ".join(str(label) for _value, label in Repeat.choices)
            errors["repeat"] = [
                ValidationError(UNKNOWN_REPEAT, params={"value": row.text("repeat"), "choices": choices})
            ]
        for name in ("starts_on", "ends_on"):
            try:
                values[name] = date_cell(row.cells.get(name))
            except ValidationError as error:
                errors[name] = error.error_list
        if values.get("starts_on") is None and "starts_on" not in errors:
            errors["starts_on"] = [ValidationError(REQUIRED)]
        if not errors:
            values["workflow_id"] = values["workflow"].pk
            values["ends_on"] = plan_ends_on(values["repeat"], values["ends_on"])
        return values, errors

    def _workflow(self, name: str) -> tuple[Workflow | None, str | None]:
        found = self.workflows.get(fold(name), [])
        if len(found) > 1:
            found = [workflow for workflow in found if workflow.active] or found
        if len(found) == 1:
            return found[0], None
        return None, str(AMBIGUOUS_WORKFLOW if found else UNKNOWN_WORKFLOW) % {"value": name}

    def check(self, rows: list[Row]) -> list[Outcome]:
        read = [self.read[row.number][0] for row in rows if not self.read[row.number][1]]
        wanted: dict[int, set[Any]] = {}
        for values in read:
            wanted.setdefault(values["rep_id"], set()).add(values["client_id"])
        plannable = Plannable(wanted, {values["workflow_id"]: values["workflow"] for values in read}.values())
        return [self._plan(row, plannable) for row in rows]

    def _plan(self, row: Row, plannable: Plannable) -> Outcome:
        values, errors = self.read[row.number]
        if not errors:
            errors = visit_plan_problems(
                team=self.team,
                **{name: values[name] for name in ("rep_id", "workflow", "starts_on", "repeat", "ends_on")},
            )
            if not plannable.allows(**{name: values[name] for name in ("rep_id", "workflow_id", "client_id")}):
                errors["client"] = [NOT_PLANNABLE]
        if errors:
            in_order = {key: errors[key] for key in self.labels if key in errors}
            return Outcome(ERROR, messages_of(ValidationError(in_order), self.labels))
        existing = self.existing.get(_plan_key(values))
        if existing is None:
            fields = {name: values[name] for name in (*PLAN_KEY_FIELDS, "repeat", "ends_on")}
            return Outcome(NEW, payload=VisitPlan(**fields, created_by=self.user))
        if (existing.repeat, existing.ends_on) == (values["repeat"], values["ends_on"]):
            return Outcome(UNCHANGED)
        existing.repeat, existing.ends_on = values["repeat"], values["ends_on"]
        return Outcome(UPDATE, payload=existing)

    def write(self, outcomes: list[Outcome]) -> None:
        plans = [outcome.payload for outcome in outcomes if outcome.payload is not None]
        visit_plans_write(
            created=[plan for plan in plans if plan._state.adding],
            updated=[plan for plan in plans if not plan._state.adding],
        )


def _plan_key(values: dict[str, Any]) -> str:
    return "|".join(str(values[name]) for name in PLAN_KEY_FIELDS)


def _existing_plans(read: list[dict[str, Any]]) -> dict[str, VisitPlan]:
    """The plans already there that rows name (same rep, client, workflow and first visit), by their key. Queries:
    one per 2000 clients."""
    starts = {values["starts_on"] for values in read}
    client_ids = sorted({values["client_id"] for values in read}, key=str)
    existing: dict[str, VisitPlan] = {}
    for some_ids in chunks(client_ids):
        for plan in VisitPlan.objects.filter(client_id__in=some_ids, starts_on__in=starts).order_by("created_at"):
            existing.setdefault(_plan_key(vars(plan)), plan)
    return existing
