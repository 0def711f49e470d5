/* Settings: sync alerts (retry / discard / open), last sync and what went wrong in words, pending count, storage
   persistence, language, and whether signing out is safe: everything on the server, or what is still only on this
   phone, named. */
import { CODE_LABELS, OP_LABELS } from "../lib/contract.js";
import { FIRST_SCREEN_KEY, wipe } from "../lib/db.js";
import { LANGUAGES, gettext, interpolate, language, loadLanguage, ngettext, rememberLanguage } from "../lib/i18n.js";
import { discardAlert, lostValues, retryAlert } from "../lib/alerts.js";
import { pendingBlobs, pendingCount } from "../lib/outbox.js";
import { state } from "../lib/state.js";
import { SignInRequired, api, syncNow } from "../lib/sync.js";
import { choosePhotosWait, dataUsed, photosWaitChosen } from "../lib/usage.js";
import { visitMap } from "../lib/visits.js";
import { waitingWork } from "../lib/waiting.js";
import { el, fill, sheet, toast } from "./dom.js";
import { formatMoment } from "../lib/format.js";
import { bar, redrawOnChange } from "./shared.js";

// Where a rep signs in again (the sign-in page sends them back to the app).
const SIGN_IN_URL = "/accounts/login/?next=/";
// The clients named in "still on this phone"; the others are counted.
const NAMES_SHOWN = 5;

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

/* Signs out of the server, then leaves the phone clean, or, with `keep`, keeps what waits on it: app.js sends it when
   the same rep signs in here again, and holds it for them when someone else does. */
async function leave(keep) {
  try {
    await api("/accounts/logout/", { method: "POST" });
  } catch (error) {
    // Refused as signed out: the session had already ended. Anything else: the server was not reached.
    if (!(error instanceof SignInRequired)) {
      toast(gettext("Signing out needs a network: try again once the phone is online."));
      return;
    }
  }
  if (keep) {
    localStorage.removeItem(FIRST_SCREEN_KEY);
  } else {
    await wipe();
    localStorage.removeItem("fieldsales.device");
  }
  navigator.serviceWorker?.controller?.postMessage("forget-user");
  location.assign(SIGN_IN_URL);
}

/* Signing out with work still on the phone: asked first, saying what becomes of it. */
function confirmSignOut(summary) {
  let dialog = null;
  const body = el("div", {}, [
    el("p", {}, interpolate(gettext("Still on this phone, not yet on the server: %(records)s."), { records: summary })),
    el(
      "p",
      {},
      gettext(
        "If you sign out, they stay on this phone and are sent when you sign in here again. Someone else signing in here cannot send them, and on another phone they will not be there.",
      ),
    ),
    el("div", { class: "actions" }, [
      el("button", { class: "secondary", onclick: () => dialog.close() }, gettext("Cancel")),
      el(
        "button",
        {
          class: "danger",
          onclick: () => {
            dialog.close();
            leave(true);
          },
        },
        gettext("Sign out anyway"),
      ),
    ]),
  ]);
  dialog = sheet(gettext("Sign out with work still on this phone?"), body);
  return dialog;
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

// Each kind of record still on the phone, counted (lib/waiting.js names the kinds).
const KIND_LABELS = {
  visit: (count) => ngettext("%(count)s visit", "%(count)s visits", count),
  newClient: (count) => ngettext("%(count)s new client", "%(count)s new clients", count),
  clientEdit: (count) => ngettext("%(count)s client edit", "%(count)s client edits", count),
  deletion: (count) => ngettext("%(count)s client deletion", "%(count)s client deletions", count),
  note: (count) => ngettext("%(count)s note", "%(count)s notes", count),
  statement: (count) => ngettext("%(count)s account statement", "%(count)s account statements", count),
  photo: (count) => ngettext("%(count)s photo", "%(count)s photos", count),
};

function listText(items) {
  return new Intl.ListFormat(language(), { type: "conjunction" }).format(items);
}

/* What is still only on this phone, in words: each kind counted, refused changes too (they are kept until the rep
   retries or discards them), and the names of the clients concerned. */
function stillOnPhone(photoIds) {
  const work = waitingWork(state.outbox, photoIds);
  const parts = Object.entries(work.counts).map(([kind, count]) => interpolate(KIND_LABELS[kind](count), { count }));
  const alerts = [...state.alerts.values()];
  if (alerts.length) {
    parts.push(interpolate(ngettext("%(count)s change refused by the server", "%(count)s changes refused by the server", alerts.length), { count: alerts.length }));
  }
  const names = new Map();
  for (const id of work.clients) names.set(id, state.clients.get(id)?.fields.name);
  for (const alert of alerts) names.set(alert.client, state.clients.get(alert.client)?.fields.name || alert.op.data?.name);
  const named = [...new Set([...names.values()].filter(Boolean))];
  const shown = named.slice(0, NAMES_SHOWN);
  const others = named.length - shown.length;
  if (others) shown.push(interpolate(ngettext("%(count)s other", "%(count)s others", others), { count: others }));
  return { summary: parts.length ? listText(parts) : "", clients: shown.length ? listText(shown) : "" };
}

/* Whether the rep may sign out or change phone now: all saved, or what still waits, named. */
function safety(work) {
  if (!work.summary) {
    return el("p", { class: "sign-out-state safe", id: "sign-out-state", role: "status" }, gettext("Everything is saved on the server — you can sign out or change phone."));
  }
  return el("div", { class: "sign-out-state unsent", id: "sign-out-state", role: "status" }, [
    el("p", {}, interpolate(gettext("Still on this phone, not yet on the server: %(records)s."), { records: work.summary })),
    work.clients ? el("p", {}, interpolate(gettext("Clients concerned: %(names)s."), { names: work.clients })) : null,
    state.alerts.size ? el("p", { class: "hint" }, gettext("Refused changes wait in Sync alerts, above: retry or discard them.")) : null,
  ]);
}

/* Why the last sync did not go through, in words the rep can act on; null when it did. */
function syncProblem() {
  if (state.sync.authRequired) {
    // Said in the words of the banner above every screen (app.js), with no second alert for a screen reader.
    return el("p", { class: "banner warn" }, [
      gettext("Your session has ended: sign in again to send your changes. Nothing is lost."),
      " ",
      el("a", { href: SIGN_IN_URL }, gettext("Sign in again")),
    ]);
  }
  if (!state.sync.online) return el("p", { class: "hint" }, gettext("No network: your changes are kept on this phone and sent when the network is back."));
  if (!state.sync.error) return null;
  // sync.js says "HTTP <status>" when the server answered with an error, and gives the browser's words otherwise.
  const serverSide = /\bHTTP \d{3}\b/.test(state.sync.error);
  return el(
    "p",
    { class: "hint" },
    serverSide
      ? gettext("The server could not take the changes just now; the phone tries again by itself.")
      : gettext("The network did not answer; the phone tries again by itself."),
  );
}

function syncSection(pending, work) {
  return el("section", { class: "settings", "aria-labelledby": "sync-title" }, [
    el("h2", { id: "sync-title" }, gettext("Sync")),
    safety(work),
    syncProblem(),
    el("dl", {}, [
      el("dt", {}, gettext("Last successful sync")),
      el("dd", { id: "last-sync" }, state.sync.lastSync ? formatMoment(state.sync.lastSync) : gettext("Never")),
      el("dt", {}, gettext("Changes waiting to be sent")),
      el("dd", { id: "pending-count" }, String(pending)),
      el("dt", {}, gettext("Storage on this phone")),
      el("dd", {}, storageState()),
    ]),
    el("button", { class: work.summary ? "primary" : "secondary", disabled: state.sync.running, onclick: () => syncNow() }, state.sync.running ? gettext("Syncing…") : gettext("Sync now")),
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

function accountSection(work) {
  const signOut = () => (work.summary ? confirmSignOut(work.summary) : leave(false));
  return el("section", { class: "settings", "aria-labelledby": "account-title" }, [
    el("h2", { id: "account-title" }, gettext("Account")),
    state.me ? el("p", {}, interpolate(gettext("Signed in as %(user)s"), { user: state.me.name || state.me.username })) : null,
    el("button", { class: "danger", onclick: signOut }, gettext("Sign out")),
  ]);
}

/* The ids of the photos not uploaded yet (read from IndexedDB, so after the screen is drawn). */
async function unsentPhotoIds() {
  return (await pendingBlobs()).filter((blob) => !blob.uploaded).map((blob) => blob.id);
}

export function render(main) {
  let photos = [];
  let shown = true;
  const draw = () => {
    const work = stillOnPhone(photos);
    fill(main, bar(gettext("Settings")), alertsSection(), syncSection(pendingCount(), work), dataSection(), languageSection(), accountSection(work));
    // Photos are counted once read; the screen is drawn again when their count changed and it is still shown.
    unsentPhotoIds().then((ids) => {
      if (!shown || ids.join() === photos.join()) return;
      photos = ids;
      draw();
    });
  };
  draw();
  const stop = redrawOnChange(draw, { except: ["position"] });
  return () => {
    shown = false;
    stop();
  };
}
