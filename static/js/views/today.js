/* Today: the visit in progress (Continue, Finish visit) and the clients visited today, latest first. */
import { formatAmount, formatMoment } from "../lib/format.js";
import { gettext, interpolate, localized, ngettext } from "../lib/i18n.js";
import { state } from "../lib/state.js";
import { currentVisit, orderTotal, visitMap, visitsToday } from "../lib/visits.js";
import { el } from "./dom.js";
import { QUIET_CHANGES, bar, checkedInBadge, finishButton, redrawOnChange, syncMark } from "./shared.js";

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
function visitItem(visit) {
  const workflow = state.workflows.get(String(visit.workflow));
  return el("li", {}, [
    el("a", { href: `#/visit/${visit.id}` }, state.clients.get(visit.client)?.fields.name || gettext("Client")),
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

export function render(main) {
  const draw = () => {
    const visits = visitMap(state);
    const current = currentVisit(state, visits);
    const today = visitsToday(state, visits);
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
    main.append(
      totals(today),
      today.length ? el("ul", { class: "history", "aria-label": gettext("Visits today") }, today.map(visitItem)) : el("p", { class: "empty" }, gettext("No visits yet today.")),
    );
  };
  draw();
  return redrawOnChange(draw, { except: QUIET_CHANGES });
}
