"""Import and export of clients (django-import-export), one column per schema attribute.

Every row goes through the client services, so an import obeys exactly the rules of
the admin form, the API and sync. The import runs in one transaction that is rolled
back when any row is invalid: a file with one bad row writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from clients.models import AttributeDefinition, Client, ClientList
from clients.schema import AttributeSpec, AttributeType, clean_value, display_value, is_empty
from clients.services import client_changes, client_create, client_update, client_validate
from fieldsales.spreadsheets import SpreadsheetSafeResource

UNKNOWN_LIST = _("No client list is named “%(name)s”.")
UNKNOWN_REPS = _("Unknown user names: %(names)s.")
LIST_REQUIRED = _("Name the client's list.")
LIST_CHANGE = _("A client cannot move to another list; import it into “%(name)s”.")
NOT_IN_LIST = _("This attribute is not in the schema of the list “%(name)s”.")
BAD_NUMBER = _("Enter a number.")
BAD_ID = _("Enter a client identifier (UUID) or leave the cell empty for a new client.")
REPS_SEPARATOR = ","
STATEMENT_SPEC = AttributeSpec(key="statement_enabled", type=AttributeType.BOOLEAN)


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return None if is_empty(value) else uuid.UUID(str(value).strip())
    except ValueError:
        return None


class UUIDWidget(widgets.Widget):
    """Identifiers as UUIDs, so cached instances are found; a malformed one is reported by the row."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> uuid.UUID | None:
        return parse_uuid(value)

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
        import_id_fields = ("id",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lists = {
            client_list.name: client_list for client_list in ClientList.objects.prefetch_related("attributes")
        }
        self.lists_by_id = {client_list.pk: client_list for client_list in self.lists.values()}
        self.attribute_fields: dict[str, AttributeField] = {}
        for definition in AttributeDefinition.objects.order_by("client_list__name", "order", "id"):
            field = self.attribute_fields.get(definition.key)
            if field is None:
                field = self.attribute_fields[definition.key] = AttributeField(definition.key, definition.key)
                self.fields[definition.key] = field
            field.specs[definition.client_list_id] = definition.spec()
        self.user: Any = None

    # Export ------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[Client]:
        return Client.objects.select_related("client_list").prefetch_related("reps")

    def dehydrate_client_list(self, client: Client) -> str:
        return self.lists_by_id[client.client_list_id].name

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

    # Import ------------------------------------------------------------------------

    def import_data(self, dataset: Any, dry_run: bool = False, raise_errors: bool = False, **kwargs: Any) -> Any:
        """A file with one invalid row writes nothing, whatever the caller asks."""
        kwargs.update(use_transactions=True, rollback_on_validation_errors=True)
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.user = kwargs.get("user")
        usernames = {
            name.strip()
            for cell in (dataset["reps"] if "reps" in dataset.headers else [])
            for name in str(cell or "").split(REPS_SEPARATOR)
            if name.strip()
        }
        user_model = get_user_model()
        self.users = {
            user.get_username(): user
            for user in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": usernames})
        }

    def import_instance(self, instance: Client, row: dict[str, Any], **kwargs: Any) -> None:
        """Read the row into plain data for the services; the instance itself is left as loaded."""
        errors: dict[str, list[Any]] = {}
        data: dict[str, Any] = {}
        client_list = self._row_list(instance, row, errors)
        if instance._state.adding and not is_empty(row.get("id")):
            given_id = parse_uuid(row["id"])
            if given_id is None:
                errors["id"] = [ValidationError(BAD_ID)]
            else:
                instance.id = given_id
        for column in ("name", "phone"):
            if column in row:
                data[column] = "" if is_empty(row[column]) else str(row[column]).strip()
        for column in ("lat", "lng", "accuracy_m"):
            if column in row:
                try:
                    data[column] = None if is_empty(row[column]) else float(str(row[column]).replace(",", "."))
                except ValueError:
                    errors[column] = [ValidationError(BAD_NUMBER)]
        if "statement_enabled" in row:
            # The schema's yes/no rule, so "oui" or "non" mean what they say instead of a silent "no".
            try:
                data["statement_enabled"] = bool(clean_value(STATEMENT_SPEC, row["statement_enabled"]))
            except ValidationError as error:
                errors["statement_enabled"] = error.error_list
        attributes: dict[str, Any] = {}
        for key, field in self.attribute_fields.items():
            if key not in row:
                continue
            if client_list is not None and client_list.pk not in field.specs:
                if not is_empty(row[key]):
                    errors[key] = [ValidationError(NOT_IN_LIST, params={"name": client_list.name})]
                continue
            attributes[key] = row[key]
        data["attributes"] = attributes
        reps = None
        if "reps" in row:
            names = [name.strip() for name in str(row["reps"] or "").split(REPS_SEPARATOR) if name.strip()]
            unknown = [name for name in names if name not in self.users]
            if unknown:
                errors["reps"] = [ValidationError(UNKNOWN_REPS, params={"names": ", ".join(unknown)})]
            reps = [self.users[name] for name in names if name in self.users]
        instance._import = {"list": client_list, "data": data, "reps": reps}  # type: ignore[attr-defined]
        if errors and client_list is not None:
            # Report the schema's verdict on the row's other cells too, not only the first problem found.
            try:
                client_validate(client_list=client_list, data=data, client=None if instance._state.adding else instance)
            except ValidationError as error:
                for key, messages in error.update_error_dict({}).items():
                    errors.setdefault(key, messages)
        if errors:
            raise ValidationError(errors)

    def _row_list(self, instance: Client, row: dict[str, Any], errors: dict[str, list[Any]]) -> ClientList | None:
        name = str(row.get("list") or "").strip()
        if not instance._state.adding:
            current = self.lists_by_id[instance.client_list_id]
            if name and name != current.name:
                errors["list"] = [ValidationError(LIST_CHANGE, params={"name": current.name})]
            return current
        if not name:
            errors["list"] = [ValidationError(LIST_REQUIRED)]
            return None
        if name not in self.lists:
            errors["list"] = [ValidationError(UNKNOWN_LIST, params={"name": name})]
            return None
        return self.lists[name]

    def skip_row(
        self, instance: Client, original: Client | None, row: dict[str, Any], import_validation_errors: Any = None
    ) -> bool:
        if import_validation_errors or instance._state.adding:
            return False
        imported = instance._import  # type: ignore[attr-defined]
        cleaned = dict(imported["data"])
        spec_by_key = {spec.key: spec for spec in imported["list"].specs()}
        # Compare attributes in canonical form, so "Oui" for a stored True is no change.
        try:
            cleaned["attributes"] = {
                key: clean_value(spec_by_key[key], value) for key, value in cleaned["attributes"].items()
            }
        except ValidationError:
            return False
        reps = imported["reps"]
        reps_changed = reps is not None and {rep.pk for rep in reps} != {rep.pk for rep in instance.reps.all()}
        return not client_changes(instance, cleaned) and not reps_changed

    def validate_instance(
        self, instance: Client, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance: Client, is_create: bool, row: dict[str, Any], **kwargs: Any) -> None:
        imported = instance._import  # type: ignore[attr-defined]
        if is_create:
            created = client_create(
                user=self.user,
                client_list=imported["list"],
                data=imported["data"],
                client_id=instance.id,
                reps=imported["reps"] or (),
            )
            for model_field in Client._meta.concrete_fields:
                setattr(instance, model_field.attname, getattr(created, model_field.attname))
            instance._state.adding = False
            return
        client_update(user=self.user, client=instance, data=imported["data"], reps=imported["reps"])

    def save_m2m(self, instance: Client, row: dict[str, Any], **kwargs: Any) -> None:
        """Reps are assigned by `save_instance` through the service."""
