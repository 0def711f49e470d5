/* Visits on the phone: the rules of a check-in and of an order's money, read from the rules the server publishes
   (the pull's `rules`: the geofence's accuracy credit, the money's places and rounding), so that Check in is enabled
   only where the server will accept it and an order shows what the server will store; the server checks again and
   its answer wins. And visits as the rep sees them: the server's records with the rep's queued visit ops on top.
   Pure functions over the state. */
import { OP_ENTITIES, OP_TYPES } from "./contract.js";
import { add, multiply, parseDecimal, plainText, quantize } from "./decimal.js";
import { distanceM } from "./geo.js";
import { localized } from "./i18n.js";
import { isoDay } from "./plan.js";
import { state } from "./state.js";
// The op types that make or change a visit, from the sync contract.
export const VISIT_OPS = OP_TYPES.filter((type) => OP_ENTITIES[type] === "visit");

export function activitiesOf(workflow) {
  return workflow?.data.activities || [];
}

/* Workflows the rep may start at this client: active ones (the server sends only those) for its list. */
export function workflowsFor(state, row) {
  return [...state.workflows.values()]
    .filter((workflow) => !(workflow.data.lists || []).length || workflow.data.lists.map(String).includes(String(row.fields.list)))
    .sort((a, b) => (a.data.order ?? 0) - (b.data.order ?? 0) || String(a.data.name).localeCompare(String(b.data.name)));
}

/* Required attributes of the client's list that are empty, when the workflow has an activity that needs a visit. */
export function missingBeforeVisit(workflow, row) {
  if (!activitiesOf(workflow).some((activity) => activity.requires_visit)) return [];
  const attributes = row.list?.data.attributes || [];
  const values = row.fields.attributes || {};
  return attributes.filter((a) => a.required && (values[a.key] == null || values[a.key] === "" || (Array.isArray(values[a.key]) && !values[a.key].length)));
}

/* Whether Check in is allowed from `position`: within the strictest radius of the workflow's geo activities,
   less the position's accuracy, credited up to the server's `accuracy_credit_m` (fieldsales.geo.within_geofence;
   none before the phone has the server's rules). */
export function checkinRule(workflow, client, position, rules = state.rules) {
  const radii = activitiesOf(workflow).filter((a) => a.requires_geo_checkin).map((a) => Number(a.radius_m));
  const hasPoint = client.lat != null && client.lng != null;
  const distance = position && hasPoint ? distanceM(position, client) : null;
  if (!radii.length) return { geo: false, allowed: true, distance, radius: null, reason: null };
  const radius = Math.min(...radii);
  if (!hasPoint) return { geo: true, allowed: false, distance, radius, reason: "no_client_point" };
  if (!position) return { geo: true, allowed: false, distance, radius, reason: "no_position" };
  const credit = Math.min(Math.max(position.accuracy_m || 0, 0), rules?.accuracy_credit_m ?? 0);
  const allowed = distance - credit <= radius;
  return { geo: true, allowed, distance, radius, reason: allowed ? null : "too_far" };
}

/* A line's value as the server stores it (workflows.services.activity_submit): the unit price rounded to the
   money's places, times the quantity, rounded again, with the server's rounding (0.5 × 0.25 is 0.12, half to even),
   worked out in decimal; exact and unrounded before the phone has the server's `money` rules. As text: "0.12". */
export function lineValueText(quantity, unitPrice, money = state.rules?.money) {
  const number = (value) => parseDecimal(String(value)) || parseDecimal("0");
  const round = (value) => (money ? quantize(value, money.places, money.rounding) : value);
  return plainText(round(multiply(number(quantity), round(number(unitPrice)))));
}

export function lineValue(quantity, unitPrice, money = state.rules?.money) {
  return Number(lineValueText(quantity, unitPrice, money));
}

/* An order's total: the sum of its lines' values, as the server's. */
export function orderTotal(lines, money = state.rules?.money) {
  const values = lines.map((line) => parseDecimal(lineValueText(line.quantity, line.unit_price, money)));
  return Number(plainText(values.reduce(add, parseDecimal("0"))));
}

/* The id of the visit an op acts on. */
export function visitIdOf(op) {
  return op.type === "activity.submit" ? op.data.visit : op.entity_id;
}

/* A visit record's data with one of the rep's ops applied, as the server will have it once the op arrives. */
export function applyVisitOp(data, op, me, activityName = "") {
  if (op.type === "visit.checkin") {
    return {
      client: op.data.client,
      workflow: op.data.workflow,
      rep: me?.name || me?.username || "",
      rep_id: me?.id ?? null,
      checked_in_at: op.made_at,
      ended_at: null,
      distance_m: op.distance_m ?? null,
      submissions: [],
    };
  }
  if (!data) return data;
  if (op.type === "activity.submit") {
    if ((data.submissions || []).some((submission) => submission.id === op.entity_id)) return data;
    const lines = (op.data.lines || []).map((line) => ({ ...line, value: lineValueText(line.quantity, line.unit_price) }));
    const submission = {
      id: op.entity_id,
      activity: op.data.activity,
      activity_name: activityName,
      values: op.data.values || {},
      order_total: String(orderTotal(op.data.lines || [])),
      submitted_at: op.made_at,
      lines,
    };
    return { ...data, submissions: [...(data.submissions || []), submission] };
  }
  if (op.type === "visit.end") return { ...data, ended_at: data.ended_at || op.made_at };
  return data;
}

/* An activity's name in the rep's language, from its workflow (the pull's visits name their activities by id). */
export function activityName(state, workflowId, activityId) {
  const activity = activitiesOf(state.workflows.get(String(workflowId))).find((a) => String(a.id) === String(activityId));
  return activity ? localized(activity, "name") : "";
}

// visitMap's last answer and what it was made from: the banner, the badge and the list ask for it at every change,
// and a phone with months of history holds thousands of visits.
let made = { from: [], visits: null, current: undefined };

function inputsOf(state) {
  return [state.visits, state.outbox, state.outbox.length, state.me?.id, state.workflows];
}

/* Every visit the phone knows, by id: pulled ones with the queued ops on top (those are `pending`). */
export function visitMap(state) {
  const from = inputsOf(state);
  if (made.visits && from.every((input, index) => input === made.from[index])) return made.visits;
  const visits = new Map();
  for (const record of state.visits) {
    const id = String(record.id);
    visits.set(id, { id, ...record.data, mine: record.data.rep_id != null && record.data.rep_id === state.me?.id, pending: false });
  }
  for (const op of [...state.outbox].sort((a, b) => a.seq - b.seq)) {
    if (!VISIT_OPS.includes(op.type)) continue;
    const id = String(visitIdOf(op));
    const current = visits.get(id);
    const name = activityName(state, current?.workflow ?? op.data.workflow, op.data.activity);
    const data = applyVisitOp(current, op, state.me, name);
    if (data) visits.set(id, { ...data, id, mine: op.type === "visit.checkin" ? true : current.mine, pending: true });
  }
  made = { from, visits, current: undefined };
  return visits;
}

/* The rep's visit in progress: the latest of theirs that has not ended. */
export function currentVisit(state, visits = visitMap(state)) {
  if (visits === made.visits && made.current !== undefined) return made.current;
  const current = [...visits.values()].filter((visit) => visit.mine && !visit.ended_at).sort((a, b) => (a.checked_in_at < b.checked_in_at ? 1 : -1))[0] || null;
  if (visits === made.visits) made.current = current;
  return current;
}

/* The rep's visits of today, latest first. */
export function visitsToday(state, visits = visitMap(state)) {
  const today = isoDay();
  return [...visits.values()].filter((visit) => visit.mine && isoDay(new Date(visit.checked_in_at)) === today).sort((a, b) => (a.checked_in_at < b.checked_in_at ? 1 : -1));
}

/* A client's notes: pulled ones and the rep's queued ones, latest first. */
export function notesOf(state, clientId) {
  const pulled = state.notes.filter((note) => note.data.client === clientId).map((note) => ({ id: String(note.id), ...note.data, pending: false }));
  const known = new Set(pulled.map((note) => note.id));
  const queued = state.outbox
    .filter((op) => op.type === "note.create" && op.data.client === clientId && !known.has(op.entity_id))
    .map((op) => ({ id: op.entity_id, client: clientId, visit: op.data.visit || null, text: op.data.text, author: state.me?.name || state.me?.username || "", created_at: op.made_at, pending: true }));
  return [...pulled, ...queued].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}
