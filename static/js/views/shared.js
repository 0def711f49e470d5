/* What the screens share: the title bar, the redraw on the store's changes, the sync marks, the sync alert banner and
   the visit's badge and Finish button. Screens (the modules app.js routes to) use this and the other parts
   (dom.js, fields.js, menu.js, statement.js), never one another. */
import { gettext } from "../lib/i18n.js";
import { initials } from "../lib/format.js";
import { endVisit } from "../lib/outbox.js";
import { events } from "../lib/state.js";
import { syncNow } from "../lib/sync.js";
import { el, icon } from "./dom.js";

/* The screen's title bar: a Back link when `back` is given, the title, then any `actions` (buttons). */
export function bar(title, back = null, ...actions) {
  return el("header", { class: "bar" }, [
    back ? el("a", { class: "icon-button", href: back, "aria-label": gettext("Back") }, icon("back")) : null,
    el("h1", {}, title),
    ...actions,
  ]);
}

// Changes that leave a record's screen as it is: the position, a sync's start and end, the storage's persistence.
export const QUIET_CHANGES = ["position", "sync", "storage"];

/* Calls `draw` on each change of the store named in `only`, or not named in `except`; returns what stops it, for the
   router to call when the screen goes. */
export function redrawOnChange(draw, { only = null, except = [] } = {}) {
  const onChange = (event) => {
    if (only ? only.includes(event.detail) : !except.includes(event.detail)) draw();
  };
  events.addEventListener("change", onChange);
  return () => events.removeEventListener("change", onChange);
}

/* A record's sync status: ! for a sync alert, ✓ while on the phone only, ✓✓ once on the server. */
export function syncMark({ pending, alert = false }) {
  if (alert) return el("span", { class: "status alert", role: "img", "aria-label": gettext("Sync alert") }, "!");
  return pending
    ? el("span", { class: "status pending", role: "img", "aria-label": gettext("Pending"), title: gettext("Pending") }, "✓")
    : el("span", { class: "status synced", role: "img", "aria-label": gettext("Synced"), title: gettext("Synced") }, "✓✓");
}

/* Why no visit can start at a client with a sync alert, and where to resolve it. */
export function blockedBanner() {
  return el("p", { class: "banner warn", role: "alert" }, [
    gettext("This client has a sync alert: no activity can start until it is resolved."),
    " ",
    el("a", { href: "#/settings" }, gettext("Sync alerts")),
  ]);
}

/* The client's icon with a GPS mark bottom right: shown while checked in. */
export function checkedInBadge(row) {
  return el("span", { class: "client-icon", "aria-hidden": "true" }, [initials(row?.fields.name), el("span", { class: "gps-mark" }, icon("pin"))]);
}

/* Finish visit: the visit's end goes to the outbox, then `onDone`. */
export function finishButton(visit, { className = "secondary", confirmText = null, onDone = null } = {}) {
  const button = el("button", { class: className }, gettext("Finish visit"));
  button.addEventListener("click", async () => {
    if (confirmText && !confirm(confirmText)) return;
    button.disabled = true;
    await endVisit(visit);
    syncNow();
    if (onDone) onDone();
  });
  return button;
}
