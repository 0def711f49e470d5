/* Visits on the phone: the check-in's rules (the same as workflows/services.py) and visits as the rep sees them. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  applyVisitOp,
  checkinRule,
  currentVisit,
  lineValue,
  lineValueText,
  missingBeforeVisit,
  notesOf,
  orderTotal,
  visitMap,
  visitsToday,
  workflowsFor,
} from "../../static/js/lib/visits.js";

const CLIENT = { lat: 5.345, lng: -4.024 };
// This many metres north of the client.
const north = (metres, accuracy_m = 0) => ({ lat: CLIENT.lat + metres / 111195, lng: CLIENT.lng, accuracy_m });
const geoWorkflow = (...radii) => ({ data: { activities: radii.map((radius_m, id) => ({ id, requires_geo_checkin: true, radius_m })) } });

describe("checkinRule", () => {
  test("a workflow without a geo activity checks in anywhere, the distance shown when known", () => {
    const rule = checkinRule({ data: { activities: [{ id: 1 }] } }, CLIENT, north(500));
    assert.equal(rule.allowed, true);
    assert.equal(rule.geo, false);
    assert.ok(Math.abs(rule.distance - 500) < 0.5);
  });

  test("within the strictest radius of the workflow's geo activities", () => {
    assert.equal(checkinRule(geoWorkflow(200, 100), CLIENT, north(90)).allowed, true);
    const rule = checkinRule(geoWorkflow(200, 100), CLIENT, north(150));
    assert.deepEqual([rule.allowed, rule.radius, rule.reason], [false, 100, "too_far"]);
  });

  test("the position's accuracy is credited, at most the server's accuracy_credit_m", () => {
    const rules = { accuracy_credit_m: 50 };
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(130, 40), rules).allowed, true);
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(160, 80), rules).allowed, false);
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(149, 80), rules).allowed, true);
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(159, 80), { accuracy_credit_m: 60 }).allowed, true);
  });

  test("before the phone has the server's rules, no accuracy is credited", () => {
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(130, 40), null).allowed, false);
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, north(99, 40), null).allowed, true);
  });

  test("no check-in without the client's point or the phone's position", () => {
    assert.equal(checkinRule(geoWorkflow(100), { lat: null, lng: null }, north(0)).reason, "no_client_point");
    assert.equal(checkinRule(geoWorkflow(100), CLIENT, null).reason, "no_position");
  });
});

describe("before a visit", () => {
  const list = { data: { attributes: [{ key: "a", required: true }, { key: "b", required: true }, { key: "c", required: true }, { key: "d" }] } };
  const row = { fields: { list: 7, attributes: { a: "x", b: [], c: "" } }, list };

  test("the client's empty required fields, when an activity needs a visit", () => {
    const workflow = { data: { activities: [{ requires_visit: true }] } };
    assert.deepEqual(missingBeforeVisit(workflow, row).map((a) => a.key), ["b", "c"]);
    assert.deepEqual(missingBeforeVisit({ data: { activities: [{ requires_visit: false }] } }, row), []);
  });

  test("the workflows of the client's list, or of every list, in their order then by name", () => {
    const workflows = [
      { id: 1, data: { name: "B", order: 1, lists: [] } },
      { id: 2, data: { name: "A", order: 1, lists: [7] } },
      { id: 3, data: { name: "C", order: 0, lists: ["7"] } },
      { id: 4, data: { name: "D", order: 0, lists: [8] } },
    ];
    const state = { workflows: new Map(workflows.map((w) => [String(w.id), w])) };
    assert.deepEqual(workflowsFor(state, row).map((w) => w.id), [3, 2, 1]);
  });
});

test("money as the server computes it: each line rounded to the published places with its rounding, then the total", () => {
  const money = { places: 2, rounding: "half_even", currency: "FCFA" };
  assert.equal(lineValue("0.333", "3.00", money), 1);
  assert.equal(lineValue(2, "1999.99", money), 3999.98);
  assert.equal(lineValue("0.5", "0.25", money), 0.12); // 0.125, half to even
  assert.equal(lineValue("1", "0.135", money), 0.14); // the unit price is rounded first
  assert.equal(lineValue("0.5", "0.25", { ...money, rounding: "half_up" }), 0.13);
  assert.equal(lineValueText("3", "0.1", money), "0.30");
  assert.equal(orderTotal([{ quantity: "3", unit_price: "0.1" }, { quantity: 1, unit_price: "0.2" }], money), 0.5);
  assert.equal(orderTotal([], money), 0);
});

test("before the phone has the server's money rules, a line's value is exact", () => {
  assert.equal(lineValueText("0.5", "0.25", null), "0.125");
});

const ME = { id: 11, name: "Awa", username: "rep1" };
const checkin = { op_id: "o1", seq: 1, type: "visit.checkin", entity_id: "v1", client: "c1", made_at: "2025-03-01T08:00:00Z", distance_m: 12, data: { client: "c1", workflow: 5 } };
const submit = { op_id: "o2", seq: 2, type: "activity.submit", entity_id: "s1", client: "c1", made_at: "2025-03-01T08:10:00Z", data: { visit: "v1", activity: 9, values: { ok: true }, lines: [{ product: 1, quantity: "2", unit_price: "1.25" }] } };
const end = { op_id: "o3", seq: 3, type: "visit.end", entity_id: "v1", client: "c1", made_at: "2025-03-01T09:00:00Z", data: {} };

describe("applyVisitOp", () => {
  test("a check-in, an activity and the end make the visit as the server will hold it", () => {
    let data = applyVisitOp(undefined, checkin, ME);
    data = applyVisitOp(data, submit, ME, "Order");
    data = applyVisitOp(data, end, ME);
    assert.equal(data.rep, "Awa");
    assert.equal(data.rep_id, 11);
    assert.equal(data.checked_in_at, checkin.made_at);
    assert.equal(data.ended_at, end.made_at);
    assert.equal(data.distance_m, 12);
    assert.deepEqual(data.submissions, [
      { id: "s1", activity: 9, activity_name: "Order", values: { ok: true }, order_total: "2.5", submitted_at: submit.made_at, lines: [{ ...submit.data.lines[0], value: "2.50" }] },
    ]);
  });

  test("an activity already on the visit is not added twice; a visit ends once", () => {
    const data = applyVisitOp(applyVisitOp(applyVisitOp(undefined, checkin, ME), submit, ME), end, ME);
    assert.equal(applyVisitOp(data, submit, ME), data);
    assert.equal(applyVisitOp(data, { ...end, made_at: "2025-03-01T10:00:00Z" }, ME).ended_at, end.made_at);
  });

  test("an op on a visit the phone does not hold makes none", () => {
    assert.equal(applyVisitOp(undefined, submit, ME), undefined);
  });
});

describe("visitMap", () => {
  const pulled = { id: "v0", data: { client: "c2", workflow: 5, rep_id: 11, checked_in_at: "2025-03-01T07:00:00Z", ended_at: "2025-03-01T07:30:00Z", submissions: [] } };
  const other = { id: "v9", data: { client: "c3", workflow: 5, rep_id: 12, checked_in_at: "2025-03-01T07:10:00Z", ended_at: null, submissions: [] } };
  const state = (outbox) => ({ me: ME, visits: [pulled, other], outbox, workflows: new Map() });

  test("the pulled visits, with the rep's queued ops on top, pending", () => {
    const visits = visitMap(state([submit, checkin]));
    assert.deepEqual([...visits.keys()].sort(), ["v0", "v1", "v9"]);
    assert.equal(visits.get("v0").pending, false);
    assert.equal(visits.get("v0").mine, true);
    assert.equal(visits.get("v9").mine, false);
    assert.equal(visits.get("v1").pending, true);
    assert.equal(visits.get("v1").submissions.length, 1, "ops apply in the order they were made, not the outbox's array order");
  });

  test("the visit in progress is the rep's own latest not ended", () => {
    assert.equal(currentVisit(state([checkin])).id, "v1");
    assert.equal(currentVisit(state([checkin, end])), null);
    assert.equal(currentVisit(state([])), null, "another rep's open visit is not the rep's");
  });

  test("asked again for the same state, the same answer (the banner, the badge and the list ask at every change)", () => {
    const same = state([checkin]);
    assert.equal(visitMap(same), visitMap(same));
    const queued = visitMap(same);
    same.outbox = [checkin, end];
    assert.notEqual(visitMap(same), queued);
  });

  test("today's visits are the rep's own, latest first", () => {
    const now = new Date().toISOString();
    const earlier = new Date(Date.now() - 1000).toISOString();
    const today = visitsToday(state([{ ...checkin, made_at: earlier }, { ...checkin, op_id: "x", entity_id: "v2", made_at: now }]));
    assert.deepEqual(today.map((visit) => visit.id), ["v2", "v1"]);
  });
});

test("a client's notes: pulled and queued, latest first, a queued one once pulled shown once", () => {
  const state = {
    me: ME,
    notes: [{ id: "n1", data: { client: "c1", text: "old", created_at: "2025-03-01T08:00:00Z" } }, { id: "n2", data: { client: "c2", text: "other", created_at: "2025-03-01T08:00:00Z" } }],
    outbox: [
      { type: "note.create", entity_id: "n3", made_at: "2025-03-02T08:00:00Z", data: { client: "c1", text: "new" } },
      { type: "note.create", entity_id: "n1", made_at: "2025-03-01T08:00:00Z", data: { client: "c1", text: "old" } },
    ],
  };
  const notes = notesOf(state, "c1");
  assert.deepEqual(notes.map((note) => [note.id, note.pending, note.author ?? null]), [["n3", true, "Awa"], ["n1", false, null]]);
});
