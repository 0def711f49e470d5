/* The ⋮ menu of a client: Show details (the client's page, opened on Info), Go there, Distance, Call, History, Notes,
   KPIs, Start visit, and Send account statement where the back office enabled it. */
import { activityBlocked } from "../lib/access.js";
import { directionsUrl, distanceM } from "../lib/geo.js";
import { gettext, interpolate } from "../lib/i18n.js";
import { state } from "../lib/state.js";
import { el, sheet } from "./dom.js";
import { dialable, phoneRule, phoneText } from "./phone.js";
import { openStatement } from "./statement.js";

export function openMenu(clientId) {
  const row = state.clients.get(clientId);
  if (!row) return;
  const { lat, lng, phone, name } = row.fields;
  const hasPoint = lat != null && lng != null;
  const distance = state.position && hasPoint ? distanceM(state.position, row.fields) : null;
  let dialog = null;
  const go = (section) => () => {
    dialog.close();
    location.hash = section === "start" ? `#/visit/start/${clientId}` : `#/client/${clientId}/${section}`;
  };
  const item = (label, attrs, extra = null) => el("li", {}, [el(attrs.href ? "a" : "button", { class: "menu-item", ...attrs }, label), extra]);
  const menu = el("ul", { class: "menu", role: "list" }, [
    item(gettext("Show details"), { onclick: go("info") }),
    hasPoint
      ? item(gettext("Go there"), { href: directionsUrl(lat, lng), target: "_blank", rel: "noopener" })
      : item(gettext("Go there"), { disabled: true }),
    el("li", { class: "menu-item static" }, [
      el("span", {}, gettext("Distance")),
      el(
        "output",
        { class: "distance" },
        distance != null
          ? interpolate(gettext("%(metres)s m"), { metres: Math.round(distance) })
          : hasPoint
            ? gettext("Position unknown")
            : gettext("No GPS point"),
      ),
    ]),
    phone ? item(gettext("Call"), { href: `tel:${dialable(phone)}` }, el("span", { class: "hint" }, phoneText(phone, phoneRule(row)))) : item(gettext("Call"), { disabled: true }),
    item(gettext("History"), { onclick: go("history") }),
    item(gettext("Notes"), { onclick: go("notes") }),
    item(gettext("KPIs"), { onclick: go("kpis") }),
    activityBlocked(clientId) ? null : item(gettext("Start visit"), { onclick: go("start") }),
    row.fields.statement_enabled
      ? item(gettext("Send account statement"), {
          onclick: () => {
            dialog.close();
            openStatement(clientId);
          },
        })
      : null,
  ]);
  dialog = sheet(name || gettext("Client"), menu);
  return dialog;
}
