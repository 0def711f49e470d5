/* Boot: the service worker, the language, the local data, the screens, then the sync loop. */
import { openDb, readAll, readMeta, wipe, writeMeta } from "./lib/db.js";
import { chosenLanguage, gettext, interpolate, language, loadLanguage, storedLanguage } from "./lib/i18n.js";
import { warmSearch } from "./lib/projection.js";
import { changed, events, load, loadHistory, state } from "./lib/state.js";
import { SignInRequired, api, startSync } from "./lib/sync.js";
import { startLive } from "./lib/live.js";
import { watchPosition } from "./lib/geo.js";
import { el } from "./views/dom.js";
import * as clientPage from "./views/client.js";
import * as clientForm from "./views/form.js";
import * as list from "./views/list.js";
import * as map from "./views/map.js";
import * as settings from "./views/settings.js";
import * as today from "./views/today.js";
import { checkedInBadge } from "./views/shared.js";
import { renderStart, renderVisit } from "./views/visit.js";
import { currentVisit } from "./lib/visits.js";

const ROUTES = [
  [/^#\/today$/, today],
  [/^#\/visit\/start\/([^/]+)$/, { render: renderStart }],
  [/^#\/visit\/([^/]+)(?:\/(activity)\/([^/]+))?$/, { render: renderVisit }],
  [/^#\/map$/, map],
  [/^#\/settings$/, settings],
  [/^#\/new$/, clientForm],
  [/^#\/client\/([^/]+)\/edit$/, clientForm],
  [/^#\/client\/([^/]+)(?:\/(\w+))?$/, clientPage],
  [/^/, list],
];

let cleanup = null;

function route() {
  const hash = location.hash || "#/clients";
  const [pattern, view] = ROUTES.find(([re]) => re.test(hash));
  const params = hash.match(pattern).slice(1);
  if (cleanup) cleanup();
  const main = document.getElementById("view");
  main.replaceChildren();
  window.scrollTo(0, 0);
  cleanup = view.render(main, ...params) || null;
  for (const link of document.querySelectorAll(".nav a")) {
    link.toggleAttribute("aria-current", hash.startsWith(link.getAttribute("href")));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
}

function banner() {
  const node = document.getElementById("banner");
  node.replaceChildren();
  if (state.sync.otherUser) {
    node.append(
      el("p", { class: "banner warn", role: "alert" }, [
        interpolate(gettext("Changes of %(user)s are waiting on this phone: sign in as %(user)s to send them."), {
          user: state.sync.otherUser,
        }),
        " ",
        el("a", { href: "/accounts/login/?next=/" }, gettext("Sign in")),
      ]),
    );
  } else if (state.sync.authRequired) {
    node.append(
      el("p", { class: "banner warn", role: "alert" }, [
        gettext("Your session has ended: sign in again to send your changes. Nothing is lost."),
        " ",
        el("a", { href: "/accounts/login/?next=/" }, gettext("Sign in")),
      ]),
    );
  } else if (!state.sync.online) {
    node.append(el("p", { class: "banner", role: "status" }, gettext("Offline: your changes are kept on this phone.")));
  }
}

function shell() {
  const app = document.getElementById("app");
  app.replaceChildren(
    el("div", { id: "banner" }),
    el("main", { id: "view" }),
    el("div", { id: "visit-badge", class: "visit-badge", hidden: true }),
    el("nav", { class: "nav", "aria-label": gettext("Sections") }, [
      el("a", { href: "#/today" }, gettext("Today")),
      el("a", { href: "#/clients" }, gettext("Clients")),
      el("a", { href: "#/map" }, gettext("Map")),
      el("a", { href: "#/settings" }, [gettext("Settings"), el("span", { class: "badge", id: "alert-count" })]),
    ]),
  );
  app.removeAttribute("aria-busy");
}

/* While checked in, the client's icon shows bottom right with a GPS mark; a tap opens the visit. */
function visitBadge() {
  const node = document.getElementById("visit-badge");
  if (!node) return;
  const visit = currentVisit(state);
  const onVisit = location.hash.startsWith("#/visit/");
  node.replaceChildren();
  node.hidden = !visit || onVisit;
  if (!visit || onVisit) return;
  const row = state.clients.get(visit.client);
  // Named by hidden text, not aria-label: a label that leaves out the initials shown would differ from what is seen.
  const name = interpolate(gettext("Checked in at %(client)s"), { client: row?.fields.name || "" });
  node.append(el("a", { href: `#/visit/${visit.id}` }, [checkedInBadge(row), el("span", { class: "visually-hidden" }, name)]));
}

function alertBadge() {
  const badge = document.getElementById("alert-count");
  if (!badge) return;
  const count = state.alerts.size;
  badge.textContent = count ? String(count) : "";
  badge.hidden = !count;
}

/* Who is signed in. A different user than the one whose data this phone holds gets a clean phone, unless
   the other user's changes are still queued: those are never dropped, nor sent as someone else's. */
async function identify() {
  try {
    const me = await (await api("/api/me")).json();
    const previous = await readMeta("user");
    if (previous && previous.id !== me.id) {
      if ((await readAll("outbox")).length || (await readAll("alerts")).length) {
        state.sync.otherUser = previous.username;
        return false;
      }
      await wipe();
      await load();
    }
    await writeMeta("user", me);
    state.me = me;
    // No language chosen on this phone: the app speaks the rep's (the one they signed in with, or chose on another).
    if (!storedLanguage() && me.language && me.language !== language()) await speak(me.language);
  } catch (error) {
    // Offline: the phone goes on with what it holds.
    state.me = (await readMeta("user")) || null;
    if (error instanceof SignInRequired) {
      if (!state.me) location.assign("/accounts/login/?next=/");
      state.sync.authRequired = true;
    }
  }
  return true;
}

/* Draws the app again in another language. */
async function speak(code) {
  await loadLanguage(code);
  shell();
  route();
  banner();
  alertBadge();
  visitBadge();
}

async function persistStorage() {
  if (!navigator.storage?.persist) return;
  state.sync.persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  changed("storage");
}

async function boot() {
  performance.mark("fieldsales-boot");
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(console.error);
  const [early] = await Promise.all([window.fieldsalesEarly, loadLanguage(chosenLanguage()), openDb()]);
  performance.mark("fieldsales-opened");
  await load({ early });
  performance.mark("fieldsales-loaded");
  shell();
  window.addEventListener("hashchange", route);
  events.addEventListener("change", (event) => {
    banner();
    alertBadge();
    if (event.detail !== "position") visitBadge();
  });
  window.addEventListener("hashchange", visitBadge);
  route();
  banner();
  alertBadge();
  watchPosition((position) => {
    state.position = position;
    changed("position");
  });
  // Who is signed in is asked while the visits and notes are read: both before the first sync.
  const [known] = await Promise.all([identify(), loadHistory()]);
  warmSearch(state);
  persistStorage();
  if (known) {
    startSync();
    startLive();
  }
  changed("me");
}

window.fieldsales = { state, ready: boot() };
