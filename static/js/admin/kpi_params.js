"use strict";
// The KPI folder's definitions: each row shows the parameters of the metric chosen and hides the other metrics'.
// Without this script every metric's parameters show, each under its name, and the server reads the chosen one's.
(function () {
  const METRIC = 'select[name$="-metric"]';

  function rowOf(element) {
    return element.closest("tr") || element.closest(".inline-related");
  }

  function showChosen(row) {
    const select = row && row.querySelector(METRIC);
    const box = row && row.querySelector("[data-kpi-params]");
    if (!select || !box) return;
    for (const set of box.querySelectorAll("[data-metric]")) {
      set.hidden = set.dataset.metric !== select.value;
      // Out of sight, out of the form: only the chosen metric's values are posted.
      set.disabled = set.hidden;
    }
    const none = box.querySelector("[data-kpi-params-none]");
    none.hidden = !none.dataset.kpiParamsNone.split(" ").includes(select.value);
    box.querySelector("[data-kpi-params-note]").hidden = true;
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches(METRIC)) showChosen(rowOf(event.target));
  });
  document.addEventListener("formset:added", (event) => showChosen(event.target));
  document.addEventListener("DOMContentLoaded", () => {
    for (const box of document.querySelectorAll("[data-kpi-params]")) showChosen(rowOf(box));
  });
})();
