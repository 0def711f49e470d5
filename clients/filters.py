"""Filters of the client list (django-filter): one per schema attribute of the lists a user sees."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import DateField, DecimalField, F, FloatField, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from clients.models import Client
from clients.schema import AttributeSpec, AttributeType

T = AttributeType
NOT_TRUE_FALSE = _("Enter true or false.")


class TrueFalseField(forms.Field):
    """`true` or `false`, as the API documents a yes/no filter; anything else is an error, not "no filter"
    (Django's NullBooleanField reads every unknown value as unset, silently widening the list). An empty value is
    an error too: only a parameter left out means no filter."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError(NOT_TRUE_FALSE, code="invalid")


class TrueFalseFilter(django_filters.BooleanFilter):
    field_class = TrueFalseField


# A list's id is a database key: a number beyond the key's range is an error, not a query that overflows.
LIST_ID_MAX = 2**63 - 1


class ListIdField(forms.IntegerField):
    """A whole number; `client_list=` with no value is an error, as the integer the document promises is missing.
    Django's IntegerField reads it as unset, and the answer would be every list's clients instead of one list's."""

    def to_python(self, value: Any) -> int | None:
        if value == "":
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": LIST_ID_MAX})
class ListIdFilter(django_filters.NumberFilter):
    field_class = ListIdField


def _key_text(key: str) -> Any:
    return KT(f"attributes__{key}")


def _range_filters(spec: AttributeSpec) -> dict[str, django_filters.Filter]:
    target: Any
    if spec.type == T.DATE:
        field_class, target = django_filters.DateFilter, DateField()
    elif spec.type == T.INTEGER:
        field_class, target = django_filters.NumberFilter, FloatField()
    else:
        field_class, target = django_filters.NumberFilter, DecimalField(max_digits=30, decimal_places=10)

    def bound(lookup: str) -> Any:
        def method(queryset: QuerySet[Client], name: str, value: Any) -> QuerySet[Client]:
            annotation = f"_attr_{spec.key}"
            queryset = queryset.annotate(**{annotation: Cast(_key_text(spec.key), target)})
            return queryset.filter(**{f"{annotation}__{lookup}": value})

        return method

    return {
        f"attr_{spec.key}_min": field_class(method=bound("gte"), label=_("%(label)s from") % {"label": spec.label}),
        f"attr_{spec.key}_max": field_class(method=bound("lte"), label=_("%(label)s to") % {"label": spec.label}),
    }


def with_option(queryset: QuerySet[Client], *, key: str, option: str) -> QuerySet[Client]:
    """The clients whose multiple-choice attribute `key` holds `option` (the API's filter and the admin's)."""
    # The stored list, as JSON text, holds the option as a JSON string. PostgreSQL renders jsonb
    # with the characters themselves; SQLite keeps the text Django wrote (ASCII escapes).
    needle = json.dumps(option, ensure_ascii=connection.vendor != "postgresql")
    annotation = f"_mc_{key}"
    return queryset.annotate(**{annotation: Cast(F(f"attributes__{key}"), TextField())}).filter(
        **{f"{annotation}__contains": needle}
    )


def _value_filter(spec: AttributeSpec) -> django_filters.Filter:
    if spec.type == T.BOOLEAN:

        def boolean(queryset: QuerySet[Client], _name: str, value: bool) -> QuerySet[Client]:
            return queryset.filter(**{f"attributes__{spec.key}": value})

        return TrueFalseFilter(method=boolean, label=spec.label)
    if spec.type == T.MULTIPLE_CHOICE:

        def contains(queryset: QuerySet[Client], _name: str, value: str) -> QuerySet[Client]:
            return with_option(queryset, key=spec.key, option=value)

        return django_filters.CharFilter(method=contains, label=spec.label)
    if spec.type in (T.TEXT, T.LONG_TEXT, T.EMAIL, T.PHONE):

        def text(queryset: QuerySet[Client], _name: str, value: str) -> QuerySet[Client]:
            return queryset.annotate(**{f"_t_{spec.key}": _key_text(spec.key)}).filter(
                **{f"_t_{spec.key}__icontains": value}
            )

        return django_filters.CharFilter(method=text, label=spec.label)
    return django_filters.CharFilter(field_name=f"attributes__{spec.key}", label=spec.label)


class ClientFilterBase(django_filters.FilterSet):
    client_list = ListIdFilter(field_name="client_list_id", label=_("client list"), min_value=1, max_value=LIST_ID_MAX)
    statement_enabled = TrueFalseFilter(label=_("account statement"))

    class Meta:
        model = Client
        fields: list[str] = []


def client_filterset(specs: list[AttributeSpec]) -> type[django_filters.FilterSet]:
    """A FilterSet with `attr_<key>` (or `attr_<key>_min`/`_max` for numbers and dates) for each attribute."""
    declared: dict[str, Any] = {}
    for spec in specs:
        if spec.key in {name.removeprefix("attr_") for name in declared}:
            continue
        if spec.type in (T.INTEGER, T.DECIMAL, T.DATE):
            declared.update(_range_filters(spec))
        elif spec.type != T.PHOTO:
            declared[f"attr_{spec.key}"] = _value_filter(spec)
    return type("ClientFilter", (ClientFilterBase,), declared)
