"""The KPI definition form: the metric chosen from the registry, its parameters typed in the inputs the metric
declares (never JSON), all checked by `KpiDefinition.clean` through `metric_params_clean`. And the form of the client
list's action that plans collection visits (kpis/planning.py)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.metrics import MAX_DAYS, METRICS, Metric, metric_choices
from kpis.models import KpiDefinition
from kpis.planning import DEFAULT_DAYS
from workflows.forms import PlanForm
from workflows.models import Repeat

# An input is named `<field>__<metric>__<param>`: each metric's set of inputs stays apart from the others'.
SEPARATOR = "__"

UNKNOWN_CHOICE = _("Unknown metric: %(metric)s")
NO_PARAMS = _("This metric has no parameters.")
ONLY_THE_CHOSEN = _("Only the parameters of the chosen metric are saved.")

ParamValues = Mapping[str, Mapping[str, Any]]


def _by_metric(value: Any) -> ParamValues:
    return value if isinstance(value, Mapping) else {}


def _effective(value: Any) -> dict[tuple[str, str], str]:
    """What each metric's inputs hold, a missing one at its default, plus any unknown one: to tell a change."""
    values = _by_metric(value)
    effective = {
        (key, param.name): str(_by_metric(values.get(key)).get(param.name, param.default))
        for key, metric in METRICS.items()
        for param in metric.params
    }
    for key, params in values.items():
        for name, raw in _by_metric(params).items():
            effective.setdefault((key, name), str(raw))
    return effective


class MetricParamsWidget(forms.Widget):
    """One set of typed inputs per metric that has parameters, each set under its metric's name. The admin's script
    shows the chosen metric's set alone; without it every set shows, and the form reads the chosen metric's.

    Its value, bound or not, maps a metric to its parameters' values: `{"visits_count": {"days": 30}}`."""

    class Media:
        css = {"all": ["css/admin/kpis.css"]}
        js = ["js/admin/kpi_params.js"]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {}
        prefix = name + SEPARATOR
        for key in data:
            if key.startswith(prefix):
                metric, _sep, param = key.removeprefix(prefix).partition(SEPARATOR)
                values.setdefault(metric, {})[param] = data.get(key)
        return values

    def id_for_label(self, id_: str) -> str:
        return ""  # each input has its own label; the field's names the group

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        # Never "omitted": a metric without parameters posts no input, and its {} must replace the old parameters.
        return False

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        base_id = (attrs or {}).get("id") or f"id_{name}"
        values = _by_metric(value)
        sets = format_html_join(
            "",
            "{}",
            (
                (self._set(name, base_id, key, metric, _by_metric(values.get(key))),)
                for key, metric in METRICS.items()
                if metric.params
            ),
        )
        without = " ".join(key for key, metric in METRICS.items() if not metric.params)
        return format_html(
            '<div class="kpi-params" id="{}" role="group" data-kpi-params>'
            '<p class="help kpi-params-note" data-kpi-params-note>{}</p>'
            '<p class="kpi-params-none" data-kpi-params-none="{}" hidden>{}</p>{}</div>',
            base_id,
            ONLY_THE_CHOSEN,
            without,
            NO_PARAMS,
            sets,
        )

    def _set(self, name: str, base_id: str, key: str, metric: Metric, values: Mapping[str, Any]) -> SafeString:
        rows = []
        for param in metric.params:
            field = param.form_field()  # its widget carries the type and the bounds (type, min, max, step)
            input_id = f"{base_id}{SEPARATOR}{key}{SEPARATOR}{param.name}"
            help_id = f"{input_id}_help"
            input_attrs = {"id": input_id, **({"aria-describedby": help_id} if param.help_text else {})}
            field_input = field.widget.render(
                f"{name}{SEPARATOR}{key}{SEPARATOR}{param.name}", values.get(param.name, param.default), input_attrs
            )
            help_text = format_html('<span class="help" id="{}">{}</span>', help_id, param.help_text)
            rows.append((input_id, param.label, field_input, help_text if param.help_text else ""))
        return format_html(
            '<fieldset class="kpi-params-set" data-metric="{}"><legend>{}</legend>{}</fieldset>',
            key,
            metric.label,
            format_html_join("", '<div class="kpi-param"><label for="{}">{}</label> {} {}</div>', rows),
        )


class MetricParamsField(forms.Field):
    """The inputs of every metric, by metric; the form keeps the chosen one's and the model's clean checks them."""

    widget = MetricParamsWidget

    def has_changed(self, initial: Any, data: Any) -> bool:
        return _effective(initial) != _effective(data)


class KpiDefinitionForm(forms.ModelForm):
    metric = forms.ChoiceField(label=capfirst(_("metric")))  # its choices: the registry's, set per form
    params = MetricParamsField(label=capfirst(_("parameters")), required=False)

    class Meta:
        model = KpiDefinition
        fields = ["order", "key", "label_en", "label_fr", "metric", "params", "display", "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.metric
        choices: list[tuple[str, Any]] = [("", "---------"), *metric_choices()]
        if current and current not in METRICS:
            # Shown for what it is, not as the list's first metric: saved unchanged it is refused, never replaced.
            choices.append((current, UNKNOWN_CHOICE % {"metric": current}))
        self.fields["metric"].choices = choices  # type: ignore[attr-defined]
        self.initial["params"] = {current: self.instance.params} if current else {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        metric = cleaned.get("metric")
        if metric:
            cleaned["params"] = dict(_by_metric(cleaned.get("params")).get(metric, {}))
        else:
            cleaned.pop("params", None)  # no metric chosen: its own error says so; the parameters wait for it
        return cleaned


class CollectionPlanForm(PlanForm):
    """What planning collection visits asks: how late a debt must be (and how large), then as for any plan: the
    workflow, from when, how often, and who (no one: each client's own reps)."""

    days = forms.IntegerField(
        label=_("Overdue by more than (days)"), min_value=0, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )
    minimum = forms.DecimalField(
        label=_("Minimum amount overdue"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Counted over what is overdue for more than those days. Leave it empty for any amount."),
    )
    field_order = ["days", "minimum", "workflow", "starts_on", "repeat", "ends_on", "rep"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["repeat"].initial = Repeat.ONCE
        self.fields["rep"].required = False
        self.fields["rep"].help_text = _("Leave it empty for each client's own reps to visit them.")
