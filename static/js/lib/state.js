/* The app's state in memory: what the phone holds, read from IndexedDB at start and mirrored from each pulled page,
   the rep's queued ops (outbox.js) and sync alerts (alerts.js), and the clients as the rep sees them (projection.js).
   Screens redraw on `events`' "change", whose detail names what changed. */
import { VERSION as DB_VERSION, ENTITY_STORES, LIST_STORES, readAll, readMeta } from "./db.js";
import { lastPosition } from "./geo.js";
import { rebuildClients } from "./projection.js";

export const events = new EventTarget();
export const state = {
  me: null,
  // The server's rules the app validates and formats with (money, geofence, names, duplicates; their `version`), from
  // the pull (sync.js), kept in IndexedDB's meta. The rules of each list's fields come with the list.
  rules: null,
  lists: new Map(),
  workflows: new Map(),
  products: new Map(),
  clients: new Map(),
  kpiFolders: new Map(),
  notes: [],
  visits: [],
  // The rep's visit plans (with their days of the phone's window) and the overdue debt of clients, by id: Today's.
  plans: new Map(),
  debts: new Map(),
  outbox: [],
  alerts: new Map(),
  position: null,
  lastPosition: lastPosition(),
  // firstSync: while a first sync's snapshot comes in, {totals, received} by type (sync.js), for its progress bar.
  sync: { lastSync: null, running: false, online: navigator.onLine, authRequired: false, error: null, persisted: null, firstSync: null },
};

export function changed(what) {
  events.dispatchEvent(new CustomEvent("change", { detail: what }));
}

/* What the list and its menus need, read in one go: from early.js's read when the page started with one (a cold
   start), from IndexedDB otherwise. Visits and notes follow with `loadHistory`; a KPI card is read when shown. */
export async function load({ early = null } = {}) {
  const stores = early && early.version === DB_VERSION && LIST_STORES.every((name) => name in early.stores) ? early.stores : null;
  const [lists, folders, workflows, products, clients, outbox, alerts] = stores
    ? LIST_STORES.map((name) => stores[name])
    : await Promise.all(LIST_STORES.map((name) => readAll(name)));
  const [lastSync, firstSync, rules] = await Promise.all([readMeta("lastSync"), readMeta("firstSync"), readMeta("rules")]);
  state.rules = rules || null;
  state.lists = new Map(lists.map((r) => [String(r.id), r]));
  state.kpiFolders = new Map(folders.map((r) => [String(r.id), r]));
  state.workflows = new Map(workflows.map((r) => [String(r.id), r]));
  state.products = new Map(products.map((r) => [String(r.id), r]));
  state.serverClients = new Map(clients.map((r) => [r.id, r]));
  state.outbox = outbox;
  state.alerts = new Map(alerts.map((a) => [a.op_id, a]));
  state.sync.lastSync = lastSync || null;
  state.sync.firstSync = firstSync || null;
  state.clients = new Map();
  rebuildClients(state);
}

/* The visits, notes, plans and debts the phone holds, read once the first screen is drawn (before the first pull). */
export async function loadHistory() {
  const held = (name) => (ENTITY_STORES.includes(name) ? readAll(name) : []);
  const [visits, notes, plans, debts] = await Promise.all([readAll("visit"), readAll("note"), held("visit_plan"), held("debt")]);
  state.visits = visits;
  state.notes = notes;
  state.plans = new Map(plans.map((r) => [String(r.id), r]));
  state.debts = new Map(debts.map((r) => [String(r.id), r]));
  changed("history");
}

/* Pulled changes of one page, already stored (`packed`: the clients as stored): mirror them in memory. KPI cards are
   not kept in memory: the card on screen reads its own when a page changes it. */
export function applyPulled(changes, packed = new Map()) {
  const touched = new Set();
  const maps = {
    client_list: state.lists,
    kpi_folder: state.kpiFolders,
    workflow: state.workflows,
    product: state.products,
    client: state.serverClients,
    visit_plan: state.plans,
    debt: state.debts,
  };
  const history = { note: [], visit: [] };
  for (const change of changes) {
    const id = String(change.id);
    if (change.type in maps) {
      if (change.deleted) maps[change.type].delete(id);
      else maps[change.type].set(id, (change.type === "client" && packed.get(id)) || { ...change, id });
      if (change.type === "client") touched.add(id);
      if (change.type === "client_list") touched.add("*");
    } else if (change.type in history) {
      history[change.type].push(change);
    }
  }
  for (const [type, key] of [["note", "notes"], ["visit", "visits"]]) {
    if (!history[type].length) continue;
    const ids = new Set(history[type].map((change) => String(change.id)));
    state[key] = [...state[key].filter((r) => !ids.has(String(r.id))), ...history[type].filter((change) => !change.deleted)];
  }
  rebuildClients(state, touched.has("*") ? null : [...touched]);
}
