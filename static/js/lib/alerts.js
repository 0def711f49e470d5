/* The server's answer to each pushed op, settled on the phone, and the sync alerts the rep resolves.

An answer leaves the outbox in the same IndexedDB transaction that keeps its outcome: the record as the server now
holds it, or an alert (a conflict or a refusal) that the rep retries or discards in Settings.
*/
import { del, get, put, transact } from "./db.js";
import { newOp } from "./outbox.js";
import { applyClientOp, dataOf, packClient, rebuildClients } from "./projection.js";
import { changed, state } from "./state.js";
import { VISIT_OPS, activityName, applyVisitOp, visitIdOf } from "./visits.js";

/* The alert an answer raises (a conflict or a refusal), or null. */
export function alertFor(op, result, at = new Date().toISOString()) {
  if (result.status !== "conflict" && result.status !== "rejected") return null;
  return { op_id: op.op_id, seq: op.seq, op, client: op.client, at, ...result };
}

/* The client record as the server holds it after a client op's answer, or null when the phone cannot tell (the next
   pull brings it). `record`: the phone's record of the client, if any. */
export function settledClient(record, op, result, lists) {
  if (!op.type.startsWith("client.") || result.version == null) return null;
  const held = record || { id: op.entity_id, version: 0, json: null };
  const data = dataOf(held);
  if (result.current) return packClient(op.entity_id, result.version, result.current, lists);
  if (op.type === "client.archive") return packClient(op.entity_id, result.version, data, lists);
  // The op went through as sent: the server holds these values now. The next pull brings anything else.
  if (held.version <= result.version) return packClient(op.entity_id, result.version, applyClientOp(data || {}, op), lists);
  return null;
}

/* A note the server accepted, as the next pull will bring it. */
export function settledNote(op, result, me) {
  return {
    id: op.entity_id,
    version: result.version ?? 1,
    data: { client: op.data.client, visit: op.data.visit || null, text: op.data.text, author: me?.name || me?.username || "", created_at: op.made_at },
  };
}

/* Until the next pull brings the server's copy, the phone keeps the visit as it will be there. */
async function storeVisit(s, op, result) {
  const id = String(visitIdOf(op));
  const record = await get(s.visit, id);
  const name = activityName(state, record?.data.workflow ?? op.data.workflow, op.data.activity);
  const data = applyVisitOp(record?.data, op, state.me, name);
  if (!data) return null;
  const visit = { id, version: result.version ?? record?.version ?? 1, data };
  await put(s.visit, visit);
  return visit;
}

/* The outcome of one pushed op in IndexedDB: the op out of the outbox, and its alert or the records it changed. */
async function storeOutcome(s, op, result, alert) {
  const outcome = { visit: null, note: null, client: null };
  const accepted = result.status === "applied" || result.status === "duplicate";
  await del(s.outbox, op.seq);
  if (alert) await put(s.alerts, alert);
  if (accepted && VISIT_OPS.includes(op.type)) {
    outcome.visit = await storeVisit(s, op, result);
  } else if (accepted && op.type === "note.create" && !(await get(s.note, op.entity_id))) {
    outcome.note = settledNote(op, result, state.me);
    await put(s.note, outcome.note);
  }
  if (op.type.startsWith("client.") && result.version != null) {
    outcome.client = settledClient(await get(s.client, op.entity_id), op, result, state.lists);
    if (outcome.client) await put(s.client, outcome.client);
  }
  return outcome;
}

/* The outcome of one pushed op, stored with the op's removal from the outbox in one transaction. */
export async function settle(op, result) {
  const alert = alertFor(op, result);
  const outcome = await transact(["outbox", "alerts", "client", "visit", "note"], "readwrite", (s) => storeOutcome(s, op, result, alert));
  state.outbox = state.outbox.filter((queued) => queued.seq !== op.seq);
  if (alert) state.alerts.set(alert.op_id, alert);
  if (outcome.visit) state.visits = [...state.visits.filter((r) => String(r.id) !== outcome.visit.id), outcome.visit];
  if (outcome.note) state.notes = [...state.notes, outcome.note];
  if (outcome.client) state.serverClients.set(outcome.client.id, outcome.client);
  if (result.status !== "rejected" && op.type === "client.update" && result.version != null) {
    await rebaseFollowing(op, result.version);
  }
  rebuildClients(state, [op.client]);
}

/* The queued, unsent edits of the op's client made on the same version as the op. */
export function followingEdits(outbox, op) {
  return outbox.filter(
    (queued) => queued.client === op.client && queued.type === "client.update" && !queued.sent && queued.base_version === op.base_version,
  );
}

/* A later edit made on the same version as this one was made on is based on this one's outcome too:
   without this, the server would see the rep's own earlier change as a conflict. */
async function rebaseFollowing(op, version) {
  const following = followingEdits(state.outbox, op);
  if (!following.length) return;
  for (const queued of following) queued.base_version = version;
  await transact(["outbox"], "readwrite", (s) => Promise.all(following.map((queued) => put(s.outbox, queued))));
}

/* The rep has seen the alert and drops the change. */
export async function discardAlert(opId) {
  const alert = state.alerts.get(opId);
  if (!alert) return;
  await transact(["alerts"], "readwrite", (s) => del(s.alerts, opId));
  state.alerts.delete(opId);
  rebuildClients(state, [alert.client]);
  changed("alerts");
}

/* The op that sends an alert's change again: a rejected op as it was (the server tries a rejected op again), a
   conflict's lost values as a new edit on the server's current version. */
export function retryOp(alert) {
  if (alert.status === "conflict") {
    const data = {};
    for (const [key, value] of Object.entries(lostValues(alert))) {
      if (key.startsWith("attributes.")) (data.attributes ||= {})[key.slice(11)] = value;
      else data[key] = value;
    }
    return { ...newOp("client.update", alert.op.entity_id, data, { base_version: alert.version }), client: alert.client };
  }
  const op = { ...alert.op, sent: alert.op.sent };
  delete op.seq;
  return op;
}

/* The rep sends the change again (retryOp), queued in place of its alert. */
export async function retryAlert(opId) {
  const alert = state.alerts.get(opId);
  if (!alert) return;
  const op = retryOp(alert);
  await transact(["alerts", "outbox"], "readwrite", async (s) => {
    await del(s.alerts, opId);
    op.seq = await put(s.outbox, op);
  });
  state.alerts.delete(opId);
  state.outbox.push(op);
  rebuildClients(state, [alert.client]);
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
