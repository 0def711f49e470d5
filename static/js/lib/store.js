/* The app's state in memory, read from IndexedDB, and every write a rep makes.

A write stores the rep's change and its op in one IndexedDB transaction: either both are kept or neither.
What the rep sees of a client is the server's copy with the rep's unanswered and unacknowledged ops on top.
*/
import { VERSION as DB_VERSION, LIST_STORES, del, get, getAll, put, readAll, readMeta, transact } from "./db.js";
import { lastPosition } from "./geo.js";
import { fold, uuid } from "./text.js";
import { VISIT_OPS, activityName, applyVisitOp, visitIdOf } from "./visits.js";

export const events = new EventTarget();
export const state = {
  me: null,
  lists: new Map(),
  workflows: new Map(),
  products: new Map(),
  clients: new Map(),
  kpiFolders: new Map(),
  notes: [],
  visits: [],
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

/* Applies a client op's data over a client's fields: attributes merge key by key. */
function applyClientOp(fields, op) {
  if (op.type === "client.create") return { ...op.data, attributes: { ...(op.data.attributes || {}) } };
  if (op.type === "client.update") {
    return { ...fields, ...op.data, attributes: { ...(fields.attributes || {}), ...(op.data.attributes || {}) } };
  }
  return fields;
}

function opsByClient() {
  const ops = new Map();
  const add = (op) => {
    if (!op.client) return;
    if (!ops.has(op.client)) ops.set(op.client, []);
    ops.get(op.client).push(op);
  };
  state.outbox.forEach(add);
  [...state.alerts.values()].sort((a, b) => a.seq - b.seq).forEach((alert) => add({ ...alert.op, client: alert.client, alert: true }));
  return ops;
}

function importantText(list, fields) {
  const important = (list?.data.attributes || []).filter((a) => a.important).map((a) => fields.attributes?.[a.key]);
  return fold([fields.name, ...important].flat().filter((v) => v != null).join(" "));
}

/* A pulled client as IndexedDB keeps it: what the list needs to sort, draw and search its rows as plain values (the
   search text folded for the list's schema as it was then, `searchFor` its version), the rest as JSON text, which the
   browser reads back far faster than 10,000 nested objects. */
export function packClient(id, version, data) {
  const list = data ? state.lists.get(String(data.list)) : null;
  return {
    id,
    version,
    name: data?.name ?? null,
    lat: data?.lat ?? null,
    lng: data?.lng ?? null,
    list: data?.list ?? null,
    search: list ? importantText(list, data) : null,
    searchFor: list?.version ?? null,
    json: data ? JSON.stringify(data) : null,
  };
}

/* A client record's fields, read from its JSON text on first use. */
function dataOf(record) {
  if (!record) return null;
  if (record.data === undefined) record.data = record.json ? JSON.parse(record.json) : null;
  return record.data;
}

/* The client as the rep sees it, with its sync status. A client with nothing queued keeps its fields in their JSON
   text until a screen reads them, and takes its search text from the phone's record (folded at pull time), or folds
   it on first use: a cold start draws the first rows without decoding and folding 10,000 clients first. A class, not
   an object per client with its own accessors: 10,000 of those cost a slow phone a tenth of a second to make. */
class ClientRow {
  constructor(id, record, list, own = null) {
    this.id = id;
    this.record = record;
    this.version = record?.version ?? null;
    this.list = list;
    this.own = own;
    this.archived = false;
    this.pending = false;
    this.alert = false;
    this.distance = null;
    this.searchText = null;
    this.sortKey = null;
    const source = own || record;
    this.name = source?.name ?? dataOf(record)?.name;
    this.lat = source?.lat ?? dataOf(record)?.lat;
    this.lng = source?.lng ?? dataOf(record)?.lng;
  }

  get fields() {
    return this.own || dataOf(this.record) || {};
  }

  get server() {
    return dataOf(this.record);
  }

  get search() {
    if (this.searchText === null) {
      const kept = !this.own && this.record?.search != null && this.record.searchFor === this.list?.version;
      this.searchText = kept ? this.record.search : importantText(this.list, this.fields);
    }
    return this.searchText;
  }
}

function clientRow(id, record, ops) {
  if (!ops.length) {
    if (!record) return null;
    return new ClientRow(id, record, state.lists.get(String(record.list ?? dataOf(record)?.list)));
  }
  let fields = dataOf(record) || {};
  let archived = false;
  for (const op of ops) {
    if (op.type === "client.archive") archived = true;
    else if (!op.alert || op.status !== "conflict") fields = applyClientOp(fields, op);
  }
  if (!record && !ops.some((op) => op.type === "client.create")) return null;
  const row = new ClientRow(id, record, state.lists.get(String(fields.list)), fields);
  row.archived = archived;
  row.pending = true;
  row.alert = ops.some((op) => op.alert);
  return row;
}

/* Folds every client's search text while the phone is idle, so that the first keystroke finds it ready. */
export function warmSearch() {
  const rows = [...state.clients.values()];
  let index = 0;
  const step = (deadline) => {
    while (index < rows.length && deadline.timeRemaining() > 2) void rows[index++].search;
    if (index < rows.length) requestIdleCallback(step);
  };
  if ("requestIdleCallback" in window) requestIdleCallback(step);
}

export function rebuildClients(ids = null) {
  // A pull that brought no client changes none: the list keeps its order (10,000 clients to sort again otherwise).
  if (ids && !ids.length) return;
  // Views keep what they derive from the clients (the sorted list) until this number changes.
  state.clientsVersion = (state.clientsVersion || 0) + 1;
  const ops = opsByClient();
  const targets = ids || [...new Set([...state.serverClients.keys(), ...ops.keys()])];
  for (const id of targets) {
    const row = clientRow(id, state.serverClients.get(id), ops.get(id) || []);
    if (row && !row.archived) state.clients.set(id, row);
    else state.clients.delete(id);
  }
}

/* What the list and its menus need, read in one go: from early.js's read when the page started with one (a cold
   start), from IndexedDB otherwise. Visits and notes follow with `loadHistory`; a KPI card is read when shown. */
export async function load({ early = null } = {}) {
  const stores = early && early.version === DB_VERSION && LIST_STORES.every((name) => name in early.stores) ? early.stores : null;
  const [lists, folders, workflows, products, clients, outbox, alerts] = stores
    ? LIST_STORES.map((name) => stores[name])
    : await Promise.all(LIST_STORES.map((name) => readAll(name)));
  const [lastSync, firstSync] = await Promise.all([readMeta("lastSync"), readMeta("firstSync")]);
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
  rebuildClients();
}

/* The visits and notes the phone holds, read once the first screen is drawn (before the first pull). */
export async function loadHistory() {
  const [visits, notes] = await Promise.all([readAll("visit"), readAll("note")]);
  state.visits = visits;
  state.notes = notes;
  changed("history");
}

/* Pulled changes of one page, already stored (`packed`: the clients as stored): mirror them in memory. KPI cards are
   not kept in memory: the card on screen reads its own when a page changes it. */
export function applyPulled(changes, packed = new Map()) {
  const touched = new Set();
  const maps = { client_list: state.lists, kpi_folder: state.kpiFolders, workflow: state.workflows, product: state.products, client: state.serverClients };
  const history = { note: [], visit: [] };
  for (const change of changes) {
    const id = String(change.id);
    if (change.type in maps) {
      if (change.deleted) maps[change.type].delete(id);
      else maps[change.type].set(id, packed.get(id) || { ...change, id });
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
  rebuildClients(touched.has("*") ? null : [...touched]);
}

function accessOf(listId) {
  return state.lists.get(String(listId))?.data.access || { create: false, edit: false, archive: false };
}

export function canCreate() {
  return [...state.lists.values()].some((list) => list.data.access?.create);
}

export function canEdit(row) {
  return accessOf(row.fields.list).edit;
}

export function canArchive(row) {
  return accessOf(row.fields.list).archive;
}

/* The seed's rule: no activity on a client whose sync failed. */
export function activityBlocked(clientId) {
  return [...state.alerts.values()].some((alert) => alert.client === clientId);
}

function newOp(type, entityId, data, extra = {}) {
  return { op_id: uuid(), type, entity_id: entityId, made_at: new Date().toISOString(), data, ...extra };
}

async function enqueue(ops, photos = null) {
  const ids = [photos].flat().filter(Boolean).map((photo) => photo.id);
  if (ids.length) for (const op of ops) op.photos = ids;
  await transact(["outbox", "blobs"], "readwrite", async (s) => {
    for (const photo of [photos].flat()) if (photo) await put(s.blobs, { id: photo.id, blob: photo.blob, uploaded: false });
    for (const op of ops) op.seq = await put(s.outbox, op);
  });
  state.outbox.push(...ops);
  rebuildClients([...new Set(ops.map((op) => op.client))]);
  changed("outbox");
}

export async function createClient(fields, photo = null) {
  const id = uuid();
  const data = { ...fields, photo: photo ? photo.id : null };
  await enqueue([{ ...newOp("client.create", id, data), client: id }], photo);
  return id;
}

/* Only the fields that differ from what the rep saw; an unsent update of the same client takes them in. */
export async function updateClient(row, fields, photo = null) {
  const data = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === "attributes") continue;
    if (JSON.stringify(value ?? null) !== JSON.stringify(row.fields[key] ?? null)) data[key] = value;
  }
  const attributes = {};
  for (const [key, value] of Object.entries(fields.attributes || {})) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(row.fields.attributes?.[key] ?? null)) attributes[key] = value;
  }
  if (Object.keys(attributes).length) data.attributes = attributes;
  if (photo) data.photo = photo.id;
  if (!Object.keys(data).length) return false;
  const unsent = state.outbox.find((op) => op.client === row.id && op.type === "client.update" && !op.sent);
  if (unsent) {
    const merged = { ...unsent.data, ...data, attributes: { ...(unsent.data.attributes || {}), ...(data.attributes || {}) } };
    if (!Object.keys(merged.attributes).length) delete merged.attributes;
    unsent.data = merged;
    unsent.made_at = new Date().toISOString();
    await transact(["outbox", "blobs"], "readwrite", async (s) => {
      if (photo) await put(s.blobs, { id: photo.id, blob: photo.blob, uploaded: false });
      await put(s.outbox, unsent);
    });
    rebuildClients([row.id]);
    changed("outbox");
    return true;
  }
  await enqueue([{ ...newOp("client.update", row.id, data, { base_version: row.version ?? 1 }), client: row.id }], photo);
  return true;
}

/* The required fields a visit needs, filled on the phone: sent before the check-in, and accepted by the server
   even on a read-only list. */
export async function fillRequired(row, attributes, photos = []) {
  if (!Object.keys(attributes).length) return false;
  await enqueue([{ ...newOp("client.update", row.id, { attributes }, { base_version: row.version ?? 1 }), client: row.id }], photos);
  return true;
}

export async function startVisit({ client, workflow, position, distance }) {
  const id = uuid();
  const data = { client, workflow: Number(workflow) };
  if (position) Object.assign(data, { lat: position.lat, lng: position.lng, accuracy_m: position.accuracy_m ?? null });
  await enqueue([{ ...newOp("visit.checkin", id, data), client, visit: id, distance_m: distance ?? null }]);
  return id;
}

export async function submitActivity(visit, activity, { values = {}, lines = [] } = {}, photos = []) {
  const data = { visit: visit.id, activity: activity.id, values };
  if (lines.length) data.lines = lines;
  await enqueue([{ ...newOp("activity.submit", uuid(), data), client: visit.client, visit: visit.id }], photos);
}

export async function endVisit(visit) {
  await enqueue([{ ...newOp("visit.end", visit.id, {}), client: visit.client, visit: visit.id }]);
}

export async function addNote({ client, visit = null, text }) {
  await enqueue([{ ...newOp("note.create", uuid(), { client, visit, text }), client, visit }]);
}

export async function sendStatement({ client, channel, recipient }) {
  await enqueue([{ ...newOp("statement.send", uuid(), { client, channel, recipient }), client }]);
}

export async function archiveClient(row) {
  await enqueue([{ ...newOp("client.archive", row.id, {}, { base_version: row.version }), client: row.id }]);
}

/* The outbox as IndexedDB holds it: another tab of the app may have queued, sent or settled ops since this one read
   it. The sync reads it again before pushing, under the tabs' shared lock (sync.js). */
export async function reloadOutbox() {
  const outbox = await readAll("outbox");
  const shape = (ops) => ops.map((op) => `${op.seq}:${op.sent ? 1 : 0}:${op.base_version ?? ""}`).join(",");
  if (shape(outbox) === shape(state.outbox)) return;
  state.outbox = outbox;
  rebuildClients();
  changed("outbox");
}

/* The outcome of one pushed op, stored with the op's removal from the outbox in one transaction. */
export async function settle(op, result) {
  const alert =
    result.status === "conflict" || result.status === "rejected"
      ? { op_id: op.op_id, seq: op.seq, op, client: op.client, at: new Date().toISOString(), ...result }
      : null;
  let server = null;
  let visitRecord = null;
  let noteRecord = null;
  const accepted = result.status === "applied" || result.status === "duplicate";
  await transact(["outbox", "alerts", "client", "visit", "note"], "readwrite", async (s) => {
    await del(s.outbox, op.seq);
    if (alert) await put(s.alerts, alert);
    // Until the next pull brings the server's copy, the phone keeps the visit or note as it will be there.
    if (accepted && VISIT_OPS.includes(op.type)) {
      const id = String(visitIdOf(op));
      const record = await get(s.visit, id);
      const name = activityName(state, record?.data.workflow ?? op.data.workflow, op.data.activity);
      const data = applyVisitOp(record?.data, op, state.me, name);
      if (data) {
        visitRecord = { id, version: result.version ?? record?.version ?? 1, data };
        await put(s.visit, visitRecord);
      }
    } else if (accepted && op.type === "note.create" && !(await get(s.note, op.entity_id))) {
      noteRecord = {
        id: op.entity_id,
        version: result.version ?? 1,
        data: { client: op.data.client, visit: op.data.visit || null, text: op.data.text, author: state.me?.name || state.me?.username || "", created_at: op.made_at },
      };
      await put(s.note, noteRecord);
    }
    if (op.type.startsWith("client.") && result.version != null) {
      const record = (await get(s.client, op.entity_id)) || { id: op.entity_id, version: 0, json: null };
      const data = dataOf(record);
      if (result.current) {
        server = packClient(op.entity_id, result.version, result.current);
      } else if (op.type === "client.archive") {
        server = packClient(op.entity_id, result.version, data);
      } else if (record.version <= result.version) {
        // The op went through as sent: the server holds these values now. The next pull brings anything else.
        server = packClient(op.entity_id, result.version, applyClientOp(data || {}, op));
      }
      if (server) await put(s.client, server);
    }
  });
  state.outbox = state.outbox.filter((queued) => queued.seq !== op.seq);
  if (alert) state.alerts.set(alert.op_id, alert);
  if (visitRecord) state.visits = [...state.visits.filter((r) => String(r.id) !== visitRecord.id), visitRecord];
  if (noteRecord) state.notes = [...state.notes, noteRecord];
  if (server) state.serverClients.set(server.id, server);
  if (result.status !== "rejected" && op.type === "client.update" && result.version != null) {
    await rebaseFollowing(op, result.version);
  }
  rebuildClients([op.client]);
}

/* A later edit made on the same version as this one was made on is based on this one's outcome too:
   without this, the server would see the rep's own earlier change as a conflict. */
async function rebaseFollowing(op, version) {
  const following = state.outbox.filter(
    (queued) => queued.client === op.client && queued.type === "client.update" && !queued.sent && queued.base_version === op.base_version,
  );
  if (!following.length) return;
  for (const queued of following) queued.base_version = version;
  await transact(["outbox"], "readwrite", (s) => Promise.all(following.map((queued) => put(s.outbox, queued))));
}

export async function markSent(ops) {
  const fresh = ops.filter((op) => !op.sent);
  if (!fresh.length) return;
  for (const op of fresh) op.sent = true;
  await transact(["outbox"], "readwrite", (s) => Promise.all(fresh.map((op) => put(s.outbox, op))));
}

/* The rep has seen the alert and drops the change. */
export async function discardAlert(opId) {
  const alert = state.alerts.get(opId);
  if (!alert) return;
  await transact(["alerts"], "readwrite", (s) => del(s.alerts, opId));
  state.alerts.delete(opId);
  rebuildClients([alert.client]);
  changed("alerts");
}

/* The rep sends the change again: a rejected op as it was (the server tries a rejected op again), a
   conflict's lost values as a new edit on the server's current version. */
export async function retryAlert(opId) {
  const alert = state.alerts.get(opId);
  if (!alert) return;
  let op;
  if (alert.status === "conflict") {
    const lost = lostValues(alert);
    const data = {};
    for (const [key, value] of Object.entries(lost)) {
      if (key.startsWith("attributes.")) (data.attributes ||= {})[key.slice(11)] = value;
      else data[key] = value;
    }
    op = { ...newOp("client.update", alert.op.entity_id, data, { base_version: alert.version }), client: alert.client };
  } else {
    op = { ...alert.op, sent: alert.op.sent };
    delete op.seq;
  }
  await transact(["alerts", "outbox"], "readwrite", async (s) => {
    await del(s.alerts, opId);
    op.seq = await put(s.outbox, op);
  });
  state.alerts.delete(opId);
  state.outbox.push(op);
  rebuildClients([alert.client]);
  changed("alerts");
}

/* The rep's values that a conflict did not apply, by field ("attributes.quartier" for an attribute). */
export function lostValues(alert) {
  const lost = {};
  for (const key of alert.conflicts || []) {
    if (key in (alert.op.data || {}) && key !== "attributes") lost[key] = alert.op.data[key];
    else if (key in (alert.op.data.attributes || {})) lost[`attributes.${key}`] = alert.op.data.attributes[key];
  }
  return lost;
}

export async function blobFor(id) {
  return transact(["blobs"], "readonly", (s) => get(s.blobs, id));
}

export async function setUploaded(id, uploaded) {
  await transact(["blobs"], "readwrite", async (s) => {
    const blob = await get(s.blobs, id);
    if (blob) await put(s.blobs, { ...blob, uploaded });
  });
}

export async function pendingBlobs() {
  return transact(["blobs"], "readonly", (s) => getAll(s.blobs));
}

export function pendingCount() {
  return state.outbox.length;
}
