"""The KPI folder's definitions with their script: a clerk picks a metric and types its own parameters, never JSON;
the other metrics' inputs are out of sight and out of the form."""

from __future__ import annotations

from playwright.sync_api import expect

from kpis.models import KpiDefinition, KpiFolder
from tests.e2e.test_fields_builder import manager_page


def test_choosing_a_metric_shows_its_parameters_and_saves_them_typed(browser, live_server):
    folder = KpiFolder.objects.create(name_en="Sales", name_fr="Ventes")
    average = KpiDefinition.objects.create(
        key="avg", metric="average_order_value", params={"days": 90}, folder=folder, label_en="Avg", label_fr="Moy"
    )
    page = manager_page(browser, live_server)
    page.goto(f"/admin/kpis/kpifolder/{folder.pk}/change/")
    row = page.locator("#definitions-0")
    average_set, visits_set = (
        row.locator("[data-metric='average_order_value']"),
        row.locator("[data-metric='visits_count']"),
    )
    expect(average_set.get_by_label("Period (days)")).to_have_value("90")
    expect(visits_set).to_be_hidden()
    expect(row.get_by_text("Only the parameters of the chosen metric are saved.")).to_be_hidden()

    average_set.get_by_label("Period (days)").fill("0")  # left invalid: another metric is chosen, it does not count
    row.get_by_label("Metric").select_option("debt_balance")
    expect(row.get_by_text("This metric has no parameters.")).to_be_visible()
    expect(average_set).to_be_hidden()
    row.get_by_label("Metric").select_option("visits_count")
    expect(row.get_by_text("This metric has no parameters.")).to_be_hidden()
    visits_set.get_by_label("Period (days)").fill("14")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    average.refresh_from_db()
    assert (average.metric, average.params) == ("visits_count", {"days": 14})
    assert page.errors == []
