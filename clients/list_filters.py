"""The client list's filters on its schema: one for each choice, multiple-choice and yes/no attribute of the list the
page shows, read from the client's JSON attributes as the columns and the search read them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from clients.filters import with_option
from clients.models import Client, ClientList
from clients.schema import AttributeSpec, AttributeType

# The filter parameter of an attribute: the prefix of the change form's attribute fields, unlike any client field.
PARAMETER_PREFIX = "attr_"
# The choice "no value": unlike any option, which a clerk types as text.
EMPTY = "__empty__"
FILTERED_TYPES = (AttributeType.CHOICE, AttributeType.MULTIPLE_CHOICE, AttributeType.BOOLEAN)


class AttributeFilter(admin.SimpleListFilter):
    """Clients by the value of one attribute (`spec`), or those without one."""

    spec: AttributeSpec

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        if self.spec.type == AttributeType.BOOLEAN:
            values: list[tuple[str, Any]] = [("yes", _("Yes")), ("no", _("No"))]
        else:
            values = [(option, option) for option in self.spec.options]
        return [*values, (EMPTY, _("No value"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> QuerySet[Client]:
        value, key = self.value(), self.spec.key
        if value is None:
            return queryset
        if value == EMPTY:
            # Missing, JSON null, or an emptied multiple choice: the schema stores none of them, older data may.
            return queryset.filter(~Q(attributes__has_key=key) | Q(**{f"attributes__{key}": None}))
        if self.spec.type == AttributeType.BOOLEAN:
            return queryset.filter(**{f"attributes__{key}": value == "yes"})
        if self.spec.type == AttributeType.MULTIPLE_CHOICE:
            return with_option(queryset, key=key, option=value)
        return queryset.filter(**{f"attributes__{key}": value})


class ClientListFilter(admin.RelatedFieldListFilter):
    """The client list: choosing another one drops the attribute filters of the one shown, which its schema may not
    have (Django would answer a filter on an unknown attribute with an error page)."""

    def choices(self, changelist: Any) -> Any:
        for choice in super().choices(changelist):
            query = QueryDict(choice["query_string"].removeprefix("?"), mutable=True)
            for name in [name for name in query if name.startswith(PARAMETER_PREFIX)]:
                del query[name]
            yield {**choice, "query_string": f"?{query.urlencode()}"}


def attribute_filters(client_list: ClientList | None) -> list[type[AttributeFilter]]:
    """A filter for each choice and yes/no attribute of `client_list` (the list the page shows); none without one, as
    each list has its own schema."""
    if client_list is None:
        return []
    return [
        type(
            f"AttributeFilter_{spec.key}",
            (AttributeFilter,),
            {"spec": spec, "title": spec.label, "parameter_name": PARAMETER_PREFIX + spec.key},
        )
        for spec in client_list.specs()
        if spec.type in FILTERED_TYPES
    ]
