/* Today: the visit in progress (Continue, Finish visit), the day's planned clients in route order from where the rep
   stands (worked out again once the rep has moved on), each due or done, with its overdue debt; the planned visits
   missed in the last days; and the clients visited today, latest first, those not planned marked. */
import { formatAmount, formatMoment } from "../lib/format.js";
import { distanceM, formatDistance } from "../lib/geo.js";
import { gettext, interpolate, localized, ngettext } from "../lib/i18n.js";
import { dayPlan, inRouteOrder, isoDay } from "../lib/plan.js";
import { routeLength } from "../lib/route.js";
import { events, state } from "../lib/state.js";
import { currentVisit, orderTotal, visitMap, visitsToday } from "../lib/visits.js";
import { el } from "./dom.js";
import { QUIET_CHANGES, bar, checkedInBadge, finishButton, redrawOnChange, syncMark } from "./shared.js";

// The route is worked out again once the rep is this far from where it was last worked out from.
const MOVED_ON_M = 100;

function visitTotal(visit) {
  return (visit.submissions || []).reduce((sum, submission) => sum + Number(submission.order_total || orderTotal(submission.lines || [])), 0);
}

/* An amount with the server's money rules (places, currency). */
function money(amount) {
  return formatAmount(amount, state.rules?.money);
}

/* How many visits today and what they ordered: "1 visit today · orders 8,000.00 FCFA". */
function totals(today) {
  const total = today.reduce((sum, visit) => sum + visitTotal(visit), 0);
  const text = ngettext("%(count)s visit today · orders %(total)s", "%(count)s visits today · orders %(total)s", today.length);
  return el("p", { class: "hint totals" }, interpolate(text, { count: today.length, total: money(total) }));
}

/* One visit of today: its client, when, its workflow, whether it is finished, its orders, and its sync status. A
   visit still on the phone says so in words: the client's own row stays Synced. */
function visitItem(visit, unplanned) {
  const workflow = state.workflows.get(String(visit.workflow));
  return el("li", {}, [
    el("a", { href: `#/visit/${visit.id}` }, state.clients.get(visit.client)?.fields.name || gettext("Client")),
    unplanned.has(visit.id) ? el("span", { class: "plan-state unplanned" }, gettext("Unplanned")) : null,
    el("p", { class: "hint" }, [
      formatMoment(visit.checked_in_at),
      workflow ? ` · ${localized(workflow.data, "name")}` : "",
      ` · ${visit.ended_at ? gettext("Finished") : gettext("In progress")}`,
      visitTotal(visit) ? ` · ${money(visitTotal(visit))}` : "",
    ]),
    visit.pending ? el("p", { class: "waiting" }, gettext("Waiting to be sent")) : null,
    syncMark(visit),
  ]);
}

function placeOf(clientId) {
  const row = state.clients.get(clientId);
  return row && Number.isFinite(row.lat) && Number.isFinite(row.lng) ? { lat: row.lat, lng: row.lng } : null;
}

/* A client's overdue debt (the server's figures: kpis' debt rule), in words: "120,000 FCFA overdue for 45 days". */
function debtLine(clientId) {
  const debt = state.debts.get(clientId)?.data;
  if (!debt || !(Number(debt.overdue) > 0)) return null;
  const text = ngettext("%(amount)s overdue for %(days)s day", "%(amount)s overdue for %(days)s days", debt.days);
  return el("p", { class: "debt" }, `⚠ ${interpolate(text, { amount: money(debt.overdue), days: debt.days })}`);
}

/* One planned client: its name, due or done, how far it is and the workflow planned, its overdue debt, and Check in. */
function stopItem(stop, position, number) {
  const row = state.clients.get(stop.client);
  const workflow = state.workflows.get(String(stop.workflow));
  const place = placeOf(stop.client);
  const far = position && place ? formatDistance(distanceM(position, place)) : "";
  return el("li", { class: stop.done ? "done" : "due", "data-client": stop.client }, [
    el("span", { class: "stop-number", "aria-hidden": "true" }, stop.done ? "✓" : String(number)),
    el("div", {}, [
      el("a", { href: `#/client/${stop.client}` }, row.fields.name),
      el("span", { class: `plan-state ${stop.done ? "done" : "due"}` }, stop.done ? gettext("Visited") : gettext("Due")),
      el("p", { class: "hint" }, [far, far && workflow ? " · " : "", workflow ? localized(workflow.data, "name") : ""]),
      debtLine(stop.client),
    ]),
    stop.done ? null : el("a", { class: "button", href: `#/visit/start/${stop.client}` }, gettext("Check in")),
  ]);
}

/* Today's planned clients: those still due in route order from `position`, then those done. */
function planSection(plan, position) {
  const stops = inRouteOrder(plan.stops.filter((stop) => state.clients.has(stop.client)), position, placeOf);
  const done = stops.filter((stop) => stop.done).length;
  const summary = interpolate(gettext("Planned visits made: %(done)s of %(count)s"), { done, count: stops.length });
  const due = stops.filter((stop) => !stop.done).map((stop) => placeOf(stop.client) || {});
  const metres = due.length ? routeLength(position, due, due.map((_, index) => index)) : 0;
  const left = metres ? ` · ${interpolate(gettext("%(distance)s of route left"), { distance: formatDistance(metres) })}` : "";
  let number = 0;
  return el("section", { class: "plan", "aria-labelledby": "plan-title" }, [
    el("h2", { id: "plan-title" }, gettext("Planned visits")),
    el("p", { class: "hint" }, [summary, left, position ? "" : ` · ${gettext("Route from the first client: your position is not known yet.")}`]),
    el("ol", { class: "stops", "aria-label": gettext("Planned clients, in route order") }, stops.map((stop) => stopItem(stop, position, stop.done ? 0 : ++number))),
  ]);
}

/* The planned visits of the last days that were not made, latest first. */
function missedSection(plan) {
  const missed = plan.missed.filter((item) => state.clients.has(item.client));
  if (!missed.length) return null;
  const day = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString(document.documentElement.lang || undefined, { weekday: "short", day: "numeric", month: "short" });
  return el("section", { class: "plan missed", "aria-labelledby": "missed-title" }, [
    el("h2", { id: "missed-title" }, gettext("Missed planned visits")),
    el(
      "ul",
      { class: "stops" },
      missed.map((item) =>
        el("li", { class: "missed" }, [
          el("div", {}, [
            el("a", { href: `#/client/${item.client}` }, state.clients.get(item.client).fields.name),
            el("span", { class: "plan-state missed" }, gettext("Missed")),
            el("p", { class: "hint" }, interpolate(gettext("Planned on %(day)s"), { day: day(item.day) })),
            debtLine(item.client),
          ]),
        ]),
      ),
    ),
  ]);
}

export function render(main) {
  let routedFrom = null;
  const draw = () => {
    const visits = visitMap(state);
    const current = currentVisit(state, visits);
    const today = visitsToday(state, visits);
    const plan = dayPlan(state.plans.values(), [...visits.values()], isoDay());
    routedFrom = state.position ? { lat: state.position.lat, lng: state.position.lng } : null;
    main.replaceChildren(bar(gettext("Today")));
    if (current) {
      const row = state.clients.get(current.client);
      main.append(
        el("section", { class: "in-progress", "aria-label": gettext("Visit in progress") }, [
          checkedInBadge(row),
          el("div", {}, [el("h2", {}, row?.fields.name || ""), el("p", { class: "hint" }, interpolate(gettext("In progress since %(when)s"), { when: formatMoment(current.checked_in_at) }))]),
          el("div", { class: "actions" }, [el("a", { class: "button primary", href: `#/visit/${current.id}` }, gettext("Continue")), finishButton(current)]),
        ]),
      );
    }
    if (plan.stops.length) main.append(planSection(plan, routedFrom));
    const missed = missedSection(plan);
    if (missed) main.append(missed);
    main.append(
      totals(today),
      today.length ? el("ul", { class: "history", "aria-label": gettext("Visits today") }, today.map((visit) => visitItem(visit, plan.unplanned))) : el("p", { class: "empty" }, gettext("No visits yet today.")),
    );
  };
  draw();
  const stop = redrawOnChange(draw, { except: QUIET_CHANGES });
  // The route from where the rep stands: worked out again once they have moved on, not at each GPS fix.
  const onPosition = (event) => {
    if (event.detail !== "position" || !state.position) return;
    if (!routedFrom || distanceM(routedFrom, state.position) > MOVED_ON_M) draw();
  };
  events.addEventListener("change", onPosition);
  return () => {
    stop();
    events.removeEventListener("change", onPosition);
  };
}
