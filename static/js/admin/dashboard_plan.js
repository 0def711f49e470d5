/* The dashboard's plan against done: the kilometres of each rep's planned routes over the period, worked out as the
   phone's route goes (lib/plan.js), from the days each cell lists (the server counts everything else). Without this
   script the column shows a dash. */
import { plannedRouteKm } from "../lib/plan.js";

const lang = document.documentElement.lang || undefined;
for (const cell of document.querySelectorAll("[data-routes]")) {
  const days = JSON.parse(cell.dataset.routes);
  if (!days.length) continue;
  const km = days.reduce((sum, day) => sum + plannedRouteKm(day.start, day.planned), 0);
  cell.textContent = km.toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}
