"""KPI definitions edited safely: the metric comes from the registry, its parameters are the inputs it declares,
typed and bounded; anything else is refused by the form, the model and a system check, and the stored rows that
named an unknown metric were mended by kpis 0008."""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import StateApps
from django.utils import translation

from fieldsales.demo.data import KPIS
from fieldsales.models import SyncEntry
from kpis import metrics
from kpis.forms import KpiDefinitionForm
from kpis.metrics import (
    DECIMAL,
    METRICS,
    UNKNOWN_METRIC,
    Metric,
    Param,
    metric_params_clean,
)
from kpis.models import KpiDefinition, KpiFolder
from kpis.records import KPI_FOLDER_RANK
from kpis.services import kpi_folders_after_migrate

pytestmark = pytest.mark.django_db
MENDING = "0008_kpi_definitions_known_metrics"
URL = "/admin/kpis/kpifolder/{}/change/"


@pytest.fixture
def folder() -> KpiFolder:
    return KpiFolder.objects.create(name_en="Debt", name_fr="Dette")


def make(folder: KpiFolder, key: str, metric: str, params: dict[str, Any] | None = None) -> KpiDefinition:
    """A row as code or an old release may have left it: past the model's validation."""
    return KpiDefinition.objects.create(
        key=key, metric=metric, params=params or {}, folder=folder, label_en=key, label_fr=key, display="money"
    )


def row(index: int, definition: KpiDefinition | None = None, **fields: Any) -> dict[str, Any]:
    """One inline row of the folder's form, as the browser posts it."""
    values: dict[str, Any] = {"order": 1, "key": "", "label_en": "L", "label_fr": "L", "display": "money"}
    if definition is not None:
        values.update(
            id=definition.pk,
            folder=definition.folder_id,
            key=definition.key,
            label_en=definition.label_en,
            label_fr=definition.label_fr,
            metric=definition.metric,
            active="on",
        )
    values.update(fields)
    return {f"definitions-{index}-{name}": value for name, value in values.items()}


def folder_form(folder: KpiFolder, *rows: dict[str, Any], initial: int) -> dict[str, Any]:
    form = {
        "name_en": folder.name_en,
        "name_fr": folder.name_fr,
        "definitions-TOTAL_FORMS": str(len(rows)),
        "definitions-INITIAL_FORMS": str(initial),
    }
    for values in rows:
        form.update(values)
    return form


def param(index: int, metric: str, name: str, value: Any) -> dict[str, Any]:
    return {f"definitions-{index}-params__{metric}__{name}": value}


def errors_of(response: Any) -> list[str]:
    formset = response.context["inline_admin_formsets"][0].formset
    return [str(message) for form in formset.forms for messages in form.errors.values() for message in messages]


# The registry's rule, one place -------------------------------------------------------------------------------------


def test_every_metric_declares_typed_parameters_with_a_default_within_bounds():
    for key, metric in METRICS.items():
        for declared in metric.params:
            assert declared.clean(declared.default) == declared.default, (key, declared.name)
    assert metric_params_clean(metric="visits_count", params={}) == {"days": 30}  # a missing one at its default


def test_unknown_parameters_are_refused_with_their_names_and_the_metrics_own():
    with pytest.raises(ValidationError) as refused:
        metric_params_clean(metric="average_order_value", params={"jours": 30})
    assert refused.value.message_dict == {
        "params": ["Average order value has no parameter jours; its parameters are: days."]
    }
    with pytest.raises(ValidationError) as refused:
        metric_params_clean(metric="debt_balance", params={"jours": 30, "days": 2})
    assert refused.value.message_dict == {"params": ["Balance takes no parameters: remove days, jours."]}


def test_an_unknown_metric_is_refused_in_french_too():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        metric_params_clean(metric="overdue_amount", params={})
    assert refused.value.message_dict["metric"] == [str(UNKNOWN_METRIC % {"metric": "overdue_amount"})]
    assert "overdue_amount" in refused.value.message_dict["metric"][0]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("abc", "Period (days): Enter a whole number."),
        (True, "Period (days): Enter a whole number."),
        (30.5, "Period (days): Enter a whole number."),
        (0, "Period (days): Ensure this value is greater than or equal to 1."),
        (99999, "Period (days): Ensure this value is less than or equal to 3650."),
        (None, "Period (days): This field is required."),
    ],
)
def test_a_parameter_is_typed_and_bounded(value, error):
    with pytest.raises(ValidationError) as refused:
        metric_params_clean(metric="visits_count", params={"days": value})
    assert refused.value.message_dict == {"params": [error]}


def test_a_parameter_typed_as_text_is_stored_as_a_number():
    assert metric_params_clean(metric="visits_count", params={"days": " 45 "}) == {"days": 45}


def test_a_decimal_parameter_is_kept_exact_as_text(monkeypatch):
    rate = Param("rate", "Rate", Decimal("1.5"), min_value=Decimal(0), max_value=Decimal(10), kind=DECIMAL)
    monkeypatch.setitem(metrics.METRICS, "test_rate", Metric(lambda facts, params: None, "Rate", "number", (rate,)))
    assert metric_params_clean(metric="test_rate", params={"rate": "2.25"}) == {"rate": "2.25"}
    with pytest.raises(ValidationError):
        metric_params_clean(metric="test_rate", params={"rate": "11"})


def test_the_model_refuses_what_the_registry_does_not_know(folder):
    with pytest.raises(ValidationError) as refused:
        KpiDefinition(key="x", metric="overdue_amount", folder=folder, label_en="x", label_fr="x").full_clean()
    assert list(refused.value.message_dict) == ["metric"]
    definition = KpiDefinition(
        key="y", metric="debt_overdue", params={"jours": 30}, folder=folder, label_en="y", label_fr="y"
    )
    with pytest.raises(ValidationError) as refused:
        definition.full_clean()
    assert list(refused.value.message_dict) == ["params"]
    definition.params = {"days": "30"}
    definition.full_clean()
    assert definition.params == {"days": 30}


def test_the_demo_defines_only_valid_kpis():
    for _folder, definitions in KPIS:
        for key, metric, params, *_labels in definitions:
            assert metric_params_clean(metric=metric, params=params) == METRICS[metric].with_defaults(params), key


def test_the_system_check_names_each_stored_definition_the_registry_cannot_compute(folder):
    make(folder, "overdue", "overdue_amount")
    make(folder, "target", "target_achievement", {"period": "month"})
    make(folder, "balance", "debt_balance")
    warnings = [m for m in run_checks(databases=["default"]) if m.id == "kpis.W001"]
    assert sorted(warning.msg for warning in warnings) == [
        "KPI definition “overdue”: “overdue_amount” is not a metric FieldSales knows: choose one from the list.",
        "KPI definition “target”: Target achievement takes no parameters: remove period.",
    ]


# The admin's form ---------------------------------------------------------------------------------------------------


def test_the_form_shows_an_unknown_metric_as_it_is_not_as_the_first_of_the_list(manager_client, folder):
    make(folder, "overdue", "overdue_amount")
    page = manager_client.get(URL.format(folder.pk)).content.decode()
    assert '<option value="overdue_amount" selected>Unknown metric: overdue_amount</option>' in page
    assert '<option value="previous_order_value" selected' not in page


def test_saving_a_folder_unchanged_refuses_its_unknown_metric_instead_of_replacing_it(manager_client, folder):
    overdue = make(folder, "overdue", "overdue_amount")
    response = manager_client.post(URL.format(folder.pk), folder_form(folder, row(0, overdue), initial=1))
    assert response.status_code == 200
    assert errors_of(response) == ["“overdue_amount” is not a metric FieldSales knows: choose one from the list."]
    overdue.refresh_from_db()
    assert overdue.metric == "overdue_amount"


def test_a_metric_posted_that_the_registry_does_not_know_is_refused(manager_client, folder):
    form = folder_form(folder, row(0, key="new", metric="overdue_amount"), initial=0)
    response = manager_client.post(URL.format(folder.pk), form)
    assert response.status_code == 200
    assert errors_of(response) == ["Select a valid choice. overdue_amount is not one of the available choices."]
    assert not KpiDefinition.objects.exists()


def test_jours_is_refused_as_a_parameter_the_metric_does_not_declare(manager_client, folder):
    form = folder_form(
        folder,
        row(0, key="avg", metric="average_order_value") | param(0, "average_order_value", "jours", "30"),
        initial=0,
    )
    response = manager_client.post(URL.format(folder.pk), form)
    assert response.status_code == 200
    assert errors_of(response) == ["Average order value has no parameter jours; its parameters are: days."]
    assert not KpiDefinition.objects.exists()


def test_a_parameter_out_of_bounds_is_refused_in_french(manager_client, folder):
    manager_client.cookies["django_language"] = "fr"
    form = folder_form(
        folder,
        row(0, key="avg", metric="average_order_value") | param(0, "average_order_value", "days", "0"),
        initial=0,
    )
    response = manager_client.post(URL.format(folder.pk), form)
    assert errors_of(response) == ["Période (jours) : Assurez-vous que cette valeur est supérieure ou égale à 1."]


def test_a_valid_edit_saves_the_chosen_metric_with_its_typed_parameters(manager_client, folder):
    overdue = make(folder, "overdue", "overdue_amount")
    form = folder_form(
        folder,
        row(0, overdue, metric="debt_overdue")
        | param(0, "debt_overdue", "days", "30")
        # Another metric's inputs, posted alongside (every set is in the page): not saved.
        | param(0, "visits_count", "days", "7"),
        initial=1,
    )
    response = manager_client.post(URL.format(folder.pk), form)
    assert response.status_code == 302, errors_of(response)
    overdue.refresh_from_db()
    assert (overdue.metric, overdue.params) == ("debt_overdue", {"days": 30})
    folder.refresh_from_db()
    assert folder.version == 2  # the reps' phones get the folder again


def test_switching_to_a_metric_without_parameters_clears_the_old_ones(manager_client, folder):
    average = make(folder, "avg", "average_order_value", {"days": 90})
    form = folder_form(folder, row(0, average, metric="debt_balance"), initial=1)
    assert manager_client.post(URL.format(folder.pk), form).status_code == 302
    average.refresh_from_db()
    assert (average.metric, average.params) == ("debt_balance", {})


def test_each_metric_shows_its_own_typed_inputs_with_the_stored_values(manager_client, folder):
    make(folder, "avg", "average_order_value", {"days": 45})
    page = manager_client.get(URL.format(folder.pk)).content.decode()
    assert 'data-metric="average_order_value"' in page and 'data-metric="activity_status"' in page
    stored = 'name="definitions-0-params__average_order_value__days" value="45"'
    default = 'name="definitions-0-params__visits_count__days" value="30"'
    assert stored in page and default in page
    assert 'type="number"' in page and 'min="1"' in page and 'max="3650"' in page
    assert "js/admin/kpi_params.js" in page
    assert '<textarea name="definitions-0-params"' not in page  # no JSON box


def test_an_added_row_left_blank_is_not_an_error(manager_client, folder):
    """The blank row posts every metric's inputs at their defaults: nothing typed, nothing saved, no error."""
    blank = row(0, key="", label_en="", label_fr="", display="number", order="0", metric="", active="on")
    defaults = [(key, declared.name, declared.default) for key, metric in METRICS.items() for declared in metric.params]
    for key, name, default in defaults:
        blank |= param(0, key, name, str(default))
    assert manager_client.post(URL.format(folder.pk), folder_form(folder, blank, initial=0)).status_code == 302
    assert not KpiDefinition.objects.exists()


def test_the_form_alone_refuses_unknown_parameters(folder):
    data = {
        "order": 1,
        "key": "visits",
        "label_en": "Visits",
        "label_fr": "Visites",
        "metric": "visits_count",
        "display": "number",
        "params__visits_count__days": "30",
        "params__visits_count__jours": "30",
    }
    form = KpiDefinitionForm(data, instance=KpiDefinition(folder=folder))
    assert not form.is_valid()
    assert form.errors == {"params": ["Visits has no parameter jours; its parameters are: days."]}
    del data["params__visits_count__jours"]
    form = KpiDefinitionForm(data, instance=KpiDefinition(folder=folder))
    assert form.is_valid(), form.errors
    assert form.save().params == {"days": 30}


# The migration that mended the stored rows -------------------------------------------------------------------------


def test_the_migration_moves_the_demos_overdue_kpis_to_the_overdue_debt_and_deactivates_the_unknown(folder, capsys):
    mending = importlib.import_module(f"kpis.migrations.{MENDING}")
    apps: StateApps = MigrationLoader(connection).project_state(("kpis", "0007_import_export_permissions")).apps
    rows = {
        "overdue_amount": make(folder, "overdue_amount", "overdue_amount"),
        "overdue_amount_30d": make(folder, "overdue_amount_30d", "overdue_amount", {"days": 30}),
        "target_achievement": make(folder, "target_achievement", "target_achievement", {"period": "month"}),
        "activity_status": make(folder, "activity_status", "activity_status", {"days": 60, "new_days": "20"}),
        "visits": make(folder, "visits", "visits_count", {"days": 99999}),
        "mystery": make(folder, "mystery", "churn_risk", {"x": 1}),
        "balance": make(folder, "balance", "debt_balance"),
    }
    mending.mend(apps, None)
    after = {
        key: (row.metric, row.params, row.active)
        for key, row in ((key, KpiDefinition.objects.get(pk=row.pk)) for key, row in rows.items())
    }
    assert after == {
        "overdue_amount": ("debt_overdue", {}, True),
        "overdue_amount_30d": ("debt_overdue", {"days": 30}, True),
        "target_achievement": ("target_achievement", {}, True),
        "activity_status": ("activity_status", {"new_days": 20}, True),
        "visits": ("visits_count", {}, True),  # out of bounds: the default applies, as it did when computed
        "mystery": ("churn_risk", {"x": 1}, False),
        "balance": ("debt_balance", {}, True),
    }
    assert "“mystery” names the unknown metric “churn_risk”: deactivated" in capsys.readouterr().out
    assert [m for m in run_checks(databases=["default"]) if m.id == "kpis.W001"] != []  # the inactive one stays named
    KpiDefinition.objects.filter(key="mystery").delete()
    assert [m for m in run_checks(databases=["default"]) if m.id == "kpis.W001"] == []


def test_after_the_mending_migration_every_folder_reaches_the_phones_again(folder, awa):
    migration = MigrationLoader(connection).get_migration("kpis", MENDING)
    kpi_folders_after_migrate(plan=[(migration, False)])
    folder.refresh_from_db()
    assert folder.version == 2
    assert SyncEntry.objects.filter(rep=awa, kind=KPI_FOLDER_RANK, entity_id=str(folder.pk)).exists()
    kpi_folders_after_migrate(plan=[(migration, True)])  # unapplied: nothing to send
    kpi_folders_after_migrate(plan=None)  # a flush of the test database
    folder.refresh_from_db()
    assert folder.version == 2
