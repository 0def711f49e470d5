/* Today: the visit in progress (Continue, Finish visit) and the clients visited today, latest first. */
import { formatMoment, formatMoney } from "../lib/format.js";
import { gettext, interpolate, localized } from "../lib/i18n.js";
import { state } from "../lib/state.js";
import { currentVisit, orderTotal, visitMap, visitsToday } from "../lib/visits.js";
import { el } from "./dom.js";
import { QUIET_CHANGES, bar, checkedInBadge, finishButton, redrawOnChange, syncMark } from "./shared.js";

function visitTotal(visit) {
  return (visit.submissions || []).reduce((sum, submission) => sum + Number(submission.order_total || orderTotal(submission.lines || [])), 0);
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
    const total = today.reduce((sum, visit) => sum + visitTotal(visit), 0);
    main.append(
      el("p", { class: "hint totals" }, interpolate(gettext("%(count)s visits today · orders %(total)s"), { count: today.length, total: formatMoney(total) })),
      today.length
        ? el(
            "ul",
            { class: "history", "aria-label": gettext("Visits today") },
            today.map((visit) => {
              const workflow = state.workflows.get(String(visit.workflow));
              return el("li", {}, [
                el("a", { href: `#/visit/${visit.id}` }, state.clients.get(visit.client)?.fields.name || gettext("Client")),
                el("p", { class: "hint" }, [
                  formatMoment(visit.checked_in_at),
                  workflow ? ` · ${localized(workflow.data, "name")}` : "",
                  ` · ${visit.ended_at ? gettext("Finished") : gettext("In progress")}`,
                  visitTotal(visit) ? ` · ${formatMoney(visitTotal(visit))}` : "",
                ]),
                syncMark(visit),
              ]);
            }),
          )
        : el("p", { class: "empty" }, gettext("No visits yet today.")),
    );
  };
  draw();
  return redrawOnChange(draw, { except: QUIET_CHANGES });
}
