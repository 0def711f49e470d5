"""The list admin's confirmation of a schema change that touches clients: an attribute made required, removed, or
given another type or options. The attributes' formset counts the clients touched (clients/impact.py) and, until
the clerk confirms those very changes, refuses to save; the change page then shows the counts and what reps will be
asked above the clerk's edits, kept as typed (templates/admin/clients/clientlist/change_form.html)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from clients.impact import Impact, schema_changes, schema_impact
from clients.schema import AttributeSpec

CONFIRM = "_impact_confirmed"
CONFIRM_FIRST = _(
    "These changes touch clients already in the list: read what they do above, then confirm or change them."
)


def _spec(values: Mapping[str, Any]) -> AttributeSpec:
    return AttributeSpec(
        key=str(values.get("key") or ""),
        type=str(values.get("type") or ""),
        label_en=str(values.get("label_en") or ""),
        label_fr=str(values.get("label_fr") or ""),
        required=bool(values.get("required")),
        options=tuple(str(option) for option in values.get("options") or ()),
    )


def impacts_signature(impacts: list[Impact]) -> str:
    """What the clerk confirms: the changes shown, not their counts (a rep filling a value meanwhile is no news)."""
    text = "\n".join(sorted(impact.change.signature() for impact in impacts))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class SchemaImpactFormSet(BaseInlineFormSet):
    """A list's attributes; a save that touches clients waits for the clerk to confirm it (`impacts`)."""

    impacts: list[Impact]

    def clean(self) -> None:
        super().clean()
        self.impacts = []
        if self.instance.pk is None or any(self.errors):
            return  # a new list has no client; a form in error is shown first
        self.impacts = schema_impact(client_list=self.instance, changes=schema_changes(self._pairs()))
        if self.impacts and self.data.get(CONFIRM) != impacts_signature(self.impacts):
            raise ValidationError(CONFIRM_FIRST, code="confirm_impact")

    def _pairs(self) -> list[tuple[AttributeSpec | None, AttributeSpec | None]]:
        """Each attribute the clerk changed, as it was (its form's initial values) and as it will be."""
        pairs: list[tuple[AttributeSpec | None, AttributeSpec | None]] = []
        for form in self.forms:
            stored = form.instance.pk is not None
            removed = self.can_delete and bool(form.cleaned_data.get(DELETION_FIELD_NAME))
            if not form.has_changed() and not removed:
                continue
            before = _spec(form.initial) if stored else None
            after = None if removed else _spec(form.cleaned_data)
            if before is not None or after is not None:
                pairs.append((before, after))
        return pairs


class SchemaImpactAdminMixin:
    """Shows the attributes' formset's impacts on the change page, in place of Django's "Please correct the error"."""

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        impacts = [
            impact
            for inline in context.get("inline_admin_formsets", [])
            for impact in getattr(inline.formset, "impacts", [])
        ]
        if impacts:
            context["schema_impacts"] = impacts
            context["impact_confirm"] = CONFIRM
            context["impact_signature"] = impacts_signature(impacts)
            if _only_the_impact(context):
                context["errors"] = []
        response: HttpResponse = super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]
        return response


def _only_the_impact(context: dict[str, Any]) -> bool:
    """Whether the page's one problem is the changes to confirm."""
    formsets = [inline.formset for inline in context["inline_admin_formsets"]]
    return (
        not context["adminform"].form.errors
        and not any(errors for formset in formsets for errors in formset.errors)
        and all(error.code == "confirm_impact" for formset in formsets for error in formset.non_form_errors().as_data())
    )
