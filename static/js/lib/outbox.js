/* Every write a rep makes, as an op in the outbox, with the photos it names.

A write stores the rep's change and its op in one IndexedDB transaction: either both are kept or neither. Ops go out
in the order they were made (their `seq`, IndexedDB's key); sync.js sends them and alerts.js settles each answer.
*/
import { del, get, getAll, put, readAll, transact } from "./db.js";
import { rebuildClients } from "./projection.js";
import { changed, state } from "./state.js";
import { uuid } from "./text.js";

export function newOp(type, entityId, data, extra = {}) {
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
  rebuildClients(state, [...new Set(ops.map((op) => op.client))]);
  changed("outbox");
}

export async function createClient(fields, photo = null) {
  const id = uuid();
  const data = { ...fields, photo: photo ? photo.id : null };
  await enqueue([{ ...newOp("client.create", id, data), client: id }], photo);
  return id;
}

/* Only the fields of `fields` that differ from `seen` (what the rep saw), attributes key by key. */
export function changedFields(seen, fields) {
  const data = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === "attributes") continue;
    if (JSON.stringify(value ?? null) !== JSON.stringify(seen[key] ?? null)) data[key] = value;
  }
  const attributes = {};
  for (const [key, value] of Object.entries(fields.attributes || {})) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(seen.attributes?.[key] ?? null)) attributes[key] = value;
  }
  if (Object.keys(attributes).length) data.attributes = attributes;
  return data;
}

/* An unsent update's data with a later edit's taken in: the later values win, attributes key by key. */
export function mergeUpdate(queued, data) {
  const merged = { ...queued, ...data, attributes: { ...(queued.attributes || {}), ...(data.attributes || {}) } };
  if (!Object.keys(merged.attributes).length) delete merged.attributes;
  return merged;
}

/* Only the fields that differ from what the rep saw; an unsent update of the same client takes them in. */
export async function updateClient(row, fields, photo = null) {
  const data = changedFields(row.fields, fields);
  if (photo) data.photo = photo.id;
  if (!Object.keys(data).length) return false;
  const unsent = state.outbox.find((op) => op.client === row.id && op.type === "client.update" && !op.sent);
  if (unsent) {
    unsent.data = mergeUpdate(unsent.data, data);
    unsent.made_at = new Date().toISOString();
    await transact(["outbox", "blobs"], "readwrite", async (s) => {
      if (photo) await put(s.blobs, { id: photo.id, blob: photo.blob, uploaded: false });
      await put(s.outbox, unsent);
    });
    rebuildClients(state, [row.id]);
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

/* What tells two reads of the outbox apart: each op's place, whether it went out, and the version it is based on. */
export function outboxShape(ops) {
  return ops.map((op) => `${op.seq}:${op.sent ? 1 : 0}:${op.base_version ?? ""}`).join(",");
}

/* The outbox as IndexedDB holds it: another tab of the app may have queued, sent or settled ops since this one read
   it. The sync reads it again before pushing, under the tabs' shared lock (sync.js). */
export async function reloadOutbox() {
  const outbox = await readAll("outbox");
  if (outboxShape(outbox) === outboxShape(state.outbox)) return;
  state.outbox = outbox;
  rebuildClients(state);
  changed("outbox");
}

export async function markSent(ops) {
  const fresh = ops.filter((op) => !op.sent);
  if (!fresh.length) return;
  for (const op of fresh) op.sent = true;
  await transact(["outbox"], "readwrite", (s) => Promise.all(fresh.map((op) => put(s.outbox, op))));
}

/* Takes a queued op back while it has not gone out: true when it was taken back. A push marks its ops sent before
   sending them, so the caller holds the sync's lock (sync.js withdraw) for no push of any tab to be under way. */
export async function dropUnsent(op) {
  const dropped = await transact(["outbox"], "readwrite", async (s) => {
    const stored = await get(s.outbox, op.seq);
    if (!stored || stored.sent) return false;
    await del(s.outbox, op.seq);
    return true;
  });
  if (!dropped) return false;
  state.outbox = state.outbox.filter((queued) => queued.seq !== op.seq);
  rebuildClients(state, [op.client]);
  changed("outbox");
  return true;
}

export function pendingCount() {
  return state.outbox.length;
}

// Photos the ops name, kept on the phone until uploaded (sync.js uploads them before the ops that name them).

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
