/* Clients as the rep sees them: the server's copy with the rep's unanswered ops and unacknowledged alerts on top.
   Pure functions over the state (lib/state.js holds it), as in visits.js: the list, the client page and the menus
   read the rows `rebuildClients` makes. */
import { OP_ENTITIES, OP_TYPES } from "./contract.js";
import { fold } from "./text.js";

// The op types that change a client's own record (create, update, archive): while one waits, the client is Pending.
export const RECORD_OPS = OP_TYPES.filter((type) => OP_ENTITIES[type] === "client");
// What else may wait for a client, in the order its card names them: its own sync status is not theirs to change.
export const WAITING_KINDS = ["visit", "note", "statement"];

/* Applies a client op's data over a client's fields: attributes merge key by key. */
export function applyClientOp(fields, op) {
  if (op.type === "client.create") return { ...op.data, attributes: { ...(op.data.attributes || {}) } };
  if (op.type === "client.update") {
    return { ...fields, ...op.data, attributes: { ...(fields.attributes || {}), ...(op.data.attributes || {}) } };
  }
  return fields;
}

/* Each client's ops in the order they apply: the queued ones in outbox order, then the alerts' ops in the order
   they were queued (marked `alert`). */
export function opsByClient(outbox, alerts) {
  const ops = new Map();
  const add = (op) => {
    if (!op.client) return;
    if (!ops.has(op.client)) ops.set(op.client, []);
    ops.get(op.client).push(op);
  };
  outbox.forEach(add);
  [...alerts.values()].sort((a, b) => a.seq - b.seq).forEach((alert) => add({ ...alert.op, client: alert.client, alert: true }));
  return ops;
}

/* What a search finds a client by: its name and its list's important attributes, folded. */
export function importantText(list, fields) {
  const important = (list?.data.attributes || []).filter((a) => a.important).map((a) => fields.attributes?.[a.key]);
  return fold([fields.name, ...important].flat().filter((v) => v != null).join(" "));
}

/* A pulled client as IndexedDB keeps it: what the list needs to sort, draw and search its rows as plain values (the
   search text folded for the list's schema as it was then, `searchFor` its version), the rest as JSON text, which the
   browser reads back far faster than 10,000 nested objects. `lists`: the client lists by id (state.lists). */
export function packClient(id, version, data, lists) {
  const list = data ? lists.get(String(data.list)) : null;
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
export function dataOf(record) {
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
    this.waiting = [];
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

/* What waits to be sent for a client besides its own record: the kinds of its queued ops ("visit" for a check-in, an
   activity or an end, "note", "statement"), in WAITING_KINDS' order. An op held by a sync alert is not waiting: the
   alert shows instead. */
export function waitingKinds(ops) {
  const kinds = new Set(ops.filter((op) => !op.alert && !RECORD_OPS.includes(op.type)).map((op) => OP_ENTITIES[op.type] || op.type.split(".")[0]));
  return WAITING_KINDS.filter((kind) => kinds.has(kind));
}

/* One client's row from its server record (or none) and its ops; null when there is no client to show. The client is
   Pending only while a create, update or archive of its own waits, queued or held by a sync alert; a visit, note or
   statement waiting leaves it where it is, named in `waiting`. An alert's conflicting op is not applied: the server's
   values won. */
export function clientRow(id, record, ops, lists) {
  const own = ops.filter((op) => RECORD_OPS.includes(op.type));
  if (!record && !own.some((op) => op.type === "client.create")) return null;
  let row;
  if (own.length) {
    let fields = dataOf(record) || {};
    for (const op of own) if (op.type !== "client.archive" && (!op.alert || op.status !== "conflict")) fields = applyClientOp(fields, op);
    row = new ClientRow(id, record, lists.get(String(fields.list)), fields);
    row.archived = own.some((op) => op.type === "client.archive");
    row.pending = true;
  } else {
    // Nothing of its own waits: the record stays as pulled, its fields unread until a screen needs them.
    row = new ClientRow(id, record, lists.get(String(record.list ?? dataOf(record)?.list)));
  }
  row.alert = ops.some((op) => op.alert);
  row.waiting = waitingKinds(ops);
  return row;
}

/* Remakes the rows of `ids` (every client when null) in state.clients; an archived client leaves the list. */
export function rebuildClients(state, ids = null) {
  // A pull that brought no client changes none: the list keeps its order (10,000 clients to sort again otherwise).
  if (ids && !ids.length) return;
  // Views keep what they derive from the clients (the sorted list) until this number changes.
  state.clientsVersion = (state.clientsVersion || 0) + 1;
  const ops = opsByClient(state.outbox, state.alerts);
  const targets = ids || [...new Set([...state.serverClients.keys(), ...ops.keys()])];
  for (const id of targets) {
    const row = clientRow(id, state.serverClients.get(id), ops.get(id) || [], state.lists);
    if (row && !row.archived) state.clients.set(id, row);
    else state.clients.delete(id);
  }
}

/* Folds every client's search text while the phone is idle, so that the first keystroke finds it ready. */
export function warmSearch(state) {
  const rows = [...state.clients.values()];
  let index = 0;
  const step = (deadline) => {
    while (index < rows.length && deadline.timeRemaining() > 2) void rows[index++].search;
    if (index < rows.length) requestIdleCallback(step);
  };
  if ("requestIdleCallback" in window) requestIdleCallback(step);
}
