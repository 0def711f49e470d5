/* Settings: sync alerts (retry / discard / open), last sync, pending count, storage persistence, language,
   sign out (refused while writes are pending). */
import { CODE_LABELS, OP_LABELS } from "../lib/contract.js";
import { wipe } from "../lib/db.js";
import { LANGUAGES, gettext, interpolate, language, loadLanguage, ngettext, rememberLanguage } from "../lib/i18n.js";
import { discardAlert, lostValues, retryAlert } from "../lib/alerts.js";
import { pendingCount } from "../lib/outbox.js";
import { state } from "../lib/state.js";
import { api, syncNow } from "../lib/sync.js";
import { choosePhotosWait, dataUsed, photosWaitChosen } from "../lib/usage.js";
import { visitMap } from "../lib/visits.js";
import { el } from "./dom.js";
import { formatMoment } from "../lib/format.js";
import { bar, redrawOnChange } from "./shared.js";

function recordName(alert) {
  const row = state.clients.get(alert.client);
  const name = row?.fields.name || alert.op.data?.name || alert.client || "";
  // A visit's op names the visit: its client and when it started.
  if (alert.op.visit) {
    const visit = visitMap(state).get(String(alert.op.visit));
    const at = visit?.checked_in_at || (alert.op.type === "visit.checkin" ? alert.op.made_at : null);
    return interpolate(gettext("visit at %(client)s, %(when)s"), { client: name, when: formatMoment(at) });
  }
  return name;
}

/* What went wrong, in the rep's language: the server's messages (sent in the rep's language) field by field. */
function reason(alert) {
  if (alert.status === "conflict") {
    const lost = lostValues(alert);
    return [
      el("p", {}, gettext("Someone changed these fields on the server at the same time; their values were kept:")),
      el(
        "ul",
        {},
        Object.entries(lost).map(([key, value]) =>
          el("li", {}, interpolate(gettext("%(field)s: your value “%(value)s” was not applied"), { field: key.replace(/^attributes\./, ""), value: String(value ?? "") })),
        ),
      ),
    ];
  }
  const messages = Object.entries(alert.errors || {}).flatMap(([field, list]) => list.map((message) => (field === "non_field_errors" ? message : `${field}: ${message}`)));
  return [el("p", {}, (CODE_LABELS[alert.code] || (() => alert.code))()), messages.length ? el("ul", {}, messages.map((message) => el("li", {}, message))) : null];
}

function alertItem(alert) {
  return el("li", { class: "alert-item" }, [
    el("h3", {}, `${(OP_LABELS[alert.op.type] || (() => alert.op.type))()} · ${recordName(alert)}`),
    ...reason(alert),
    el("div", { class: "actions" }, [
      el("button", { class: "secondary", onclick: async () => { await retryAlert(alert.op_id); syncNow(); } }, gettext("Retry")),
      el("button", { class: "secondary", onclick: () => discardAlert(alert.op_id) }, gettext("Discard")),
      state.clients.has(alert.client) ? el("a", { class: "button secondary", href: `#/client/${alert.client}/info` }, gettext("Open")) : null,
    ]),
  ]);
}

async function signOut() {
  if (pendingCount() || state.alerts.size) {
    alert(gettext("Some of your changes are not on the server yet. Connect to a network and let them sync before signing out."));
    return;
  }
  await api("/accounts/logout/", { method: "POST" }).catch(() => null);
  await wipe();
  localStorage.removeItem("fieldsales.device");
  navigator.serviceWorker?.controller?.postMessage("forget-user");
  location.assign("/accounts/login/?next=/");
}

function formatBytes(bytes) {
  const [value, unit] = bytes >= 1e6 ? [bytes / 1e6, "megabyte"] : [bytes / 1e3, "kilobyte"];
  return new Intl.NumberFormat(language(), { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

/* What sync costs the rep, and photos that may wait for Wi-Fi or a charger. */
function dataSection() {
  const used = dataUsed();
  const waiting = state.sync.photosWaiting || 0;
  return el("section", { class: "settings", "aria-labelledby": "data-title" }, [
    el("h2", { id: "data-title" }, gettext("Mobile data")),
    el("dl", {}, [
      el("dt", {}, gettext("Used by sync today")),
      el("dd", { id: "data-day" }, formatBytes(used.day)),
      el("dt", {}, gettext("Used by sync this month")),
      el("dd", { id: "data-month" }, formatBytes(used.month)),
    ]),
    el("label", { class: "check" }, [
      el("input", {
        type: "checkbox",
        checked: photosWaitChosen(),
        onchange: (event) => {
          choosePhotosWait(event.target.checked);
          syncNow();
        },
      }),
      gettext("Send photos only on Wi-Fi or while charging"),
    ]),
    el("p", { class: "hint" }, gettext("Where the phone can tell it is on mobile data. Everything else is sent at once; a photo's visit or client waits with it.")),
    waiting ? el("p", { role: "status" }, interpolate(ngettext("%(count)s photo waits for Wi-Fi or a charger.", "%(count)s photos wait for Wi-Fi or a charger.", waiting), { count: waiting })) : null,
  ]);
}

function alertsSection() {
  const alerts = [...state.alerts.values()].sort((a, b) => a.seq - b.seq);
  return el("section", { class: "settings", "aria-labelledby": "alerts-title" }, [
    el("h2", { id: "alerts-title" }, gettext("Sync alerts")),
    alerts.length ? el("ul", { class: "alerts" }, alerts.map(alertItem)) : el("p", { class: "empty" }, gettext("No sync alerts.")),
  ]);
}

function storageState() {
  if (state.sync.persisted == null) return gettext("Unknown");
  return state.sync.persisted ? gettext("Persistent: the browser will not clear it") : gettext("Not persistent: the browser may clear it when space runs low");
}

function syncSection(pending) {
  return el("section", { class: "settings" }, [
    el("h2", {}, gettext("Sync")),
    el("dl", {}, [
      el("dt", {}, gettext("Last successful sync")),
      el("dd", { id: "last-sync" }, state.sync.lastSync ? formatMoment(state.sync.lastSync) : gettext("Never")),
      el("dt", {}, gettext("Changes waiting to be sent")),
      el("dd", { id: "pending-count" }, String(pending)),
      el("dt", {}, gettext("Storage on this phone")),
      el("dd", {}, storageState()),
    ]),
    state.sync.error ? el("p", { class: "hint" }, interpolate(gettext("Last attempt failed (%(error)s); it is tried again by itself."), { error: state.sync.error })) : null,
    el("button", { class: "secondary", disabled: state.sync.running, onclick: () => syncNow() }, state.sync.running ? gettext("Syncing…") : gettext("Sync now")),
  ]);
}

function languageSection() {
  const choose = async (event) => {
    rememberLanguage(event.target.value);
    await loadLanguage(event.target.value);
    location.reload();
  };
  return el("section", { class: "settings" }, [
    el("h2", {}, gettext("Language")),
    el(
      "select",
      { "aria-label": gettext("Language"), onchange: choose },
      Object.entries(LANGUAGES).map(([code, name]) => el("option", { value: code, selected: code === language() }, name)),
    ),
  ]);
}

function accountSection(pending) {
  return el("section", { class: "settings" }, [
    el("h2", {}, gettext("Account")),
    state.me ? el("p", {}, interpolate(gettext("Signed in as %(user)s"), { user: state.me.name || state.me.username })) : null,
    pending || state.alerts.size ? el("p", { class: "hint" }, gettext("Signing out is possible once every change is on the server.")) : null,
    el("button", { class: "danger", onclick: signOut }, gettext("Sign out")),
  ]);
}

export function render(main) {
  const draw = () => {
    const pending = pendingCount();
    main.replaceChildren(bar(gettext("Settings")), alertsSection(), syncSection(pending), dataSection(), languageSection(), accountSection(pending));
  };
  draw();
  return redrawOnChange(draw, { except: ["position"] });
}
