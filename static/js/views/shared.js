/* What the screens share: the title bar, the redraw on the store's changes, the sync marks, the sync alert banner and
   the visit's badge and Finish button. Screens (the modules app.js routes to) use this and the other parts
   (dom.js, fields.js, menu.js, statement.js), never one another. */
import { gettext, interpolate, ngettext } from "../lib/i18n.js";
import { initials } from "../lib/format.js";
import { endVisit } from "../lib/outbox.js";
import { events, state } from "../lib/state.js";
import { syncNow, withdraw } from "../lib/sync.js";
import { activitiesOf } from "../lib/visits.js";
import { el, icon, sheet, toast } from "./dom.js";

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

// How long Undo is offered after Finish visit; the visit's end leaves the phone only after it (or with another sync).
export const UNDO_MS = 8000;

/* How many of the visit's activities are done, of how many. */
export function visitProgress(visit) {
  const activities = activitiesOf(state.workflows.get(String(visit.workflow)));
  const done = new Set((visit.submissions || []).map((submission) => String(submission.activity)));
  return { done: activities.filter((activity) => done.has(String(activity.id))).length, total: activities.length };
}

/* What the confirmation says: how many activities are done, of how many. */
export function unfinishedText({ done, total }) {
  if (total === 1) return gettext("The visit's activity is not done. Finish anyway?");
  return interpolate(ngettext("%(done)s of %(total)s activities done. Finish anyway?", "%(done)s of %(total)s activities done. Finish anyway?", done), { done, total });
}

/* Asks the rep, in a dialog (not the browser's confirm, which a screen reader and the app's language do not reach),
   whether to finish a visit with activities left; resolves true to finish. */
function confirmFinish(progress) {
  return new Promise((resolve) => {
    let finish = false;
    const close = (answer) => () => {
      finish = answer;
      dialog.close();
    };
    const content = el("div", {}, [
      el("p", { id: "finish-question" }, unfinishedText(progress)),
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "secondary", onclick: close(false) }, gettext("Continue the visit")),
        el("button", { type: "button", class: "primary", onclick: close(true) }, gettext("Finish anyway")),
      ]),
    ]);
    const dialog = sheet(gettext("Finish the visit?"), content, { onClose: () => resolve(finish) });
    dialog.setAttribute("aria-describedby", "finish-question");
    dialog.querySelector("button.secondary").focus();
  });
}

/* "Visit finished" with Undo for UNDO_MS: Undo takes the end back while it is still on the phone. The end is sent when
   the time is over. */
function offerUndo(visit, onUndo) {
  const op = state.outbox.find((queued) => queued.type === "visit.end" && queued.entity_id === visit.id);
  const undo = el("button", { type: "button" }, gettext("Undo"));
  const node = el("div", { class: "toast with-action", role: "status" }, [el("span", {}, gettext("Visit finished.")), undo]);
  document.body.append(node);
  const timer = setTimeout(() => {
    node.remove();
    syncNow();
  }, UNDO_MS);
  undo.addEventListener("click", async () => {
    clearTimeout(timer);
    undo.disabled = true;
    const undone = op ? await withdraw(op) : false;
    node.remove();
    toast(undone ? gettext("The visit is open again.") : gettext("The end of the visit was already sent: it cannot be undone."));
    if (undone && onUndo) onUndo();
  });
}

/* Finish visit: with activities left undone, the rep confirms first; then the visit's end goes to the outbox,
   `onDone` runs, and Undo is offered for a few seconds (`onUndo` once the visit is open again). */
export function finishButton(visit, { className = "secondary", onDone = null, onUndo = null } = {}) {
  const button = el("button", { class: className }, gettext("Finish visit"));
  button.addEventListener("click", async () => {
    const progress = visitProgress(visit);
    if (progress.done < progress.total && !(await confirmFinish(progress))) return;
    button.disabled = true;
    await endVisit(visit);
    if (onDone) onDone();
    offerUndo(visit, onUndo);
  });
  return button;
}
