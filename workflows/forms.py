"""The form builder of an activity's fields: rows a clerk edits (labels in French and English, type, required,
options, bounds, order), kept as the JSON list `Activity.fields` holds. Each row is judged by the list schema's rules
(`clients.schema.field_spec`), and every problem is named by its row and the part at fault; the page's script only
adds and moves rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.forms import Script
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _

from clients.schema import (
    CHOICE_TYPES,
    DUPLICATE_KEY,
    NOT_INTEGER,
    REQUIRED,
    TOO_LONG,
    AttributeType,
    field_spec,
    localized,
    plain_number,
)
from fieldsales.accounts import reps_queryset, reps_to_pick
from workflows.models import Activity, Repeat, Workflow

LABEL_MAX = 120  # as a list attribute's label (clients.models.AttributeDefinition)
KEY_MAX = 50
PART_NAMES = {
    "order": _("order"),
    "label_fr": _("label (French)"),
    "label_en": _("label (English)"),
    "key": _("key"),
    "type": _("type"),
    "required": _("required"),
    "options": _("options"),
    "min": _("minimum"),
    "max": _("maximum"),
}
ROW_PROBLEM = _("Field %(number)d “%(label)s”, %(part)s: %(problem)s")
UNNAMED_ROW_PROBLEM = _("Field %(number)d, %(part)s: %(problem)s")
OPTIONS_FOR_CHOICES = _("Only a choice or multiple choice field has options: empty them or change the type.")
HELP = _(
    "Each row is a field the rep fills in, in this order. The key names the answer in exports (left empty, it is "
    "made from the label); answers already given stay under the old key if it changes. Options, one per line: "
    "choice fields only. Minimum and maximum: whole numbers and decimals only."
)


@dataclass
class FieldRow:
    """One field as the clerk typed it: each part as the row's input shows it, and the problems found in it."""

    order: str = ""
    label_fr: str = ""
    label_en: str = ""
    key: str = ""
    type: str = AttributeType.TEXT.value
    required: bool = False
    options: str = ""
    min: str = ""
    max: str = ""
    delete: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of_item(cls, item: Any, position: int) -> FieldRow:
        """A field kept as JSON, as its row shows it."""
        if not isinstance(item, Mapping):
            return cls(order=str(position))
        return cls(
            order=str(position),
            label_fr=str(item.get("label_fr") or ""),
            label_en=str(item.get("label_en") or ""),
            key=str(item.get("key") or ""),
            type=str(item.get("type") or ""),
            required=bool(item.get("required")),
            options="\n".join(str(option) for option in item.get("options") or ()),
            min=_text(item.get("min")),
            max=_text(item.get("max")),
        )

    @classmethod
    def of_data(cls, data: Any, prefix: str) -> FieldRow:
        """A row as the browser sent it (`prefix`: the row's input names before the part)."""

        def text(part: str) -> str:
            return str(data.get(prefix + part) or "")

        return cls(
            order=text("order").strip(),
            label_fr=text("label_fr").strip(),
            label_en=text("label_en").strip(),
            key=text("key").strip(),
            type=text("type"),
            required=(prefix + "required") in data,
            options=text("options"),
            min=text("min").strip(),
            max=text("max").strip(),
            delete=(prefix + "delete") in data,
        )

    def is_blank(self) -> bool:
        """A row added and left empty: ignored, as Django's extra inline forms are."""
        return not any((self.label_fr, self.label_en, self.key, self.options.strip(), self.min, self.max))

    def option_lines(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def item(self) -> dict[str, Any]:
        """The field as `Activity.fields` keeps it (bounds and options as typed, until `field_spec` reads them)."""
        item: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "label_en": self.label_en,
            "label_fr": self.label_fr,
            "required": self.required,
        }
        if self.option_lines():
            item["options"] = self.option_lines()
        item.update({part: value for part, value in (("min", self.min), ("max", self.max)) if value})
        return item

    def sort_key(self, position: int) -> tuple[int, int]:
        return (int(self.order) if re.fullmatch(r"-?\d{1,9}", self.order) else 10**9, position)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def shown_rows(value: Any) -> list[FieldRow]:
    """The rows a value stands for, in the clerk's order: rows sent back by the browser (added ones left empty
    dropped), or the fields kept as JSON."""
    if isinstance(value, list) and all(isinstance(row, FieldRow) for row in value):
        rows = [row for row in value if not row.is_blank()]
        ordered = sorted(enumerate(rows), key=lambda pair: pair[1].sort_key(pair[0]))
        return [row for _position, row in ordered]
    if isinstance(value, list):
        return [FieldRow.of_item(item, position) for position, item in enumerate(value, start=1)]
    return []


def judge_rows(rows: list[FieldRow]) -> list[dict[str, Any]]:
    """The fields of the rows kept (not removed), in order, as `Activity.fields` keeps them; each row's `errors`
    says what is wrong with it. A row without a key gets one made from its label."""
    _make_keys(rows)
    items: list[dict[str, Any]] = []
    keys: set[str] = set()
    for row in rows:
        row.errors = {}
        if row.delete:
            continue
        item = _judged_item(row)
        if row.key and row.key in keys:
            row.errors.setdefault("key", []).append(str(DUPLICATE_KEY))
        keys.add(row.key)
        items.append(item)
    return items


def _judged_item(row: FieldRow) -> dict[str, Any]:
    for part in ("label_fr", "label_en"):
        label = getattr(row, part)
        if not label:
            row.errors[part] = [str(REQUIRED)]
        elif len(label) > LABEL_MAX:
            row.errors[part] = [str(TOO_LONG % {"max": LABEL_MAX})]
    if row.order and row.sort_key(0)[0] == 10**9:
        row.errors["order"] = [str(NOT_INTEGER)]
    if row.option_lines() and row.type not in CHOICE_TYPES:
        row.errors["options"] = [str(OPTIONS_FOR_CHOICES)]
    item = row.item()
    try:
        spec = field_spec(item)
    except ValidationError as error:
        for part, messages in error.message_dict.items():
            row.errors.setdefault(part, []).extend(messages)
        return item
    # Bounds kept as the field's values are stored: a whole number's as a number, a decimal's as its plain text.
    for part, bound in (("min", spec.minimum), ("max", spec.maximum)):
        if bound is not None:
            item[part] = int(bound) if spec.type == AttributeType.INTEGER else plain_number(bound)
    return item


def _make_keys(rows: Iterable[FieldRow]) -> None:
    """A key for each row left without one, from its label (French first), unlike any other row's."""
    rows = list(rows)
    taken = {row.key for row in rows if row.key}
    for row in rows:
        if row.key or row.delete or not (row.label_fr or row.label_en):
            continue
        base = slugify(row.label_fr or row.label_en).replace("-", "_")[:KEY_MAX] or "field"
        base = base if base[0].isalpha() else f"f_{base}"[:KEY_MAX]
        key, number = base, 2
        while key in taken:
            key = f"{base[: KEY_MAX - 1 - len(str(number))]}_{number}"
            number += 1
        row.key = key
        taken.add(key)


def row_problems(rows: list[FieldRow]) -> list[ValidationError]:
    """Each problem of the rows, naming its row (its place in the list and its label) and the part at fault."""
    problems = []
    for number, row in enumerate(rows, start=1):
        label = localized(row.label_en, row.label_fr)
        for part, messages in row.errors.items():
            for message in messages:
                params = {"number": number, "label": label, "part": PART_NAMES[part], "problem": message}
                problems.append(
                    ValidationError(ROW_PROBLEM if label else UNNAMED_ROW_PROBLEM, code=part, params=params)
                )
    return problems


class FieldRowsWidget(forms.Widget):
    """The rows of fields, each part an input named `<name>-<row>-<part>`; a template row for the script to add."""

    template_name = "admin/workflows/activity/fields_builder.html"

    class Media:
        css = {"all": ["css/admin/fields_builder.css"]}
        js = [Script("js/admin/fields_builder.js", type="module")]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[FieldRow]:
        pattern = re.compile(rf"^{re.escape(name)}-(\d+)-")
        indexes = sorted({int(match.group(1)) for key in data if (match := pattern.match(key))})
        return [FieldRow.of_data(data, f"{name}-{index}-") for index in indexes]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return f"{name}-present" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = shown_rows(value)
        judge_rows(rows)
        context["rows"] = [self._row_context(name, str(index), row) for index, row in enumerate(rows)]
        context["blank_row"] = self._row_context(name, "__row__", FieldRow())
        context["parts"] = PART_NAMES
        return context

    def _row_context(self, name: str, index: str, row: FieldRow) -> dict[str, Any]:
        prefix = f"{name}-{index}-"
        return {
            "row": row,
            "index": index,
            "prefix": prefix,
            "types": [(value, label, value == row.type) for value, label in AttributeType.choices],
            "known_type": row.type in AttributeType.values,
            "option_rows": min(max(len(row.option_lines()), 2), 6),
        }

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> SafeString:
        # The project's templates (templates/admin/...), which Django's form renderer does not read.
        return render_to_string(template_name, context)  # a SafeString: the template escaped what it shows


class FieldRowsField(forms.Field):
    """An activity's fields edited as rows; cleans to the JSON list `Activity.fields` keeps."""

    widget = FieldRowsWidget

    def __init__(self, **kwargs: Any) -> None:
        # What the model's JSONField gives its form field: rows are read, not decoded.
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs["required"] = False
        kwargs["help_text"] = HELP
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        rows = shown_rows(value)
        items = judge_rows(rows)
        problems = row_problems(rows)
        if problems:
            raise ValidationError(problems)
        return items

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            before = judge_rows(shown_rows(initial or []))
            return self.to_python(data) != before
        except ValidationError:
            return True


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["order", "name_en", "name_fr", "kind", "requires_visit", "requires_geo_checkin", "radius_m", "fields"]
        field_classes = {"fields": FieldRowsField}


class PlanForm(forms.Form):
    """What planning a selection of clients asks: who visits them, with which workflow, from when, how often."""

    required_css_class = "required"
    rep = forms.ModelChoiceField(label=capfirst(_("rep")), queryset=reps_queryset())
    workflow = forms.ModelChoiceField(label=capfirst(_("workflow")), queryset=Workflow.objects.none())
    starts_on = forms.DateField(label=capfirst(_("first visit")), widget=AdminDateWidget)
    repeat = forms.ChoiceField(label=capfirst(_("repeats")), choices=Repeat.choices, initial=Repeat.WEEKLY)
    ends_on = forms.DateField(
        label=capfirst(_("until")),
        widget=AdminDateWidget,
        required=False,
        help_text=_("Leave it empty to keep visiting until the plans are changed."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workflow"].queryset = Workflow.objects.filter(active=True)  # type: ignore[attr-defined]
        # A supervisor picks among their team only; the service refuses anyone else.
        self.fields["rep"].queryset = reps_to_pick(user=user)  # type: ignore[attr-defined]
