/* The rep's plan on the phone (static/js/lib/plan.js): the day's stops, done or due, the missed days, the unplanned
   visits, and the route from where the rep stands. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { dayPlan, inRouteOrder, isoDay } from "../../static/js/lib/plan.js";

const plan = (id, client, days) => ({ id, data: { client, workflow: 1, days } });
const visit = (id, client, at, mine = true) => ({ id, client, checked_in_at: at, mine });

test("a day is written as the server writes plan days, in the phone's calendar", () => {
  assert.equal(isoDay(new Date(2028, 1, 29, 23, 30)), "2028-02-29");
  assert.equal(isoDay(new Date(2027, 0, 5, 0, 5)), "2027-01-05");
});

test("today's stops are done once checked in that day, missed days are those not visited, and the rest unplanned", () => {
  const at = (day, hour) => new Date(`${day}T${hour}:00:00`).toISOString();
  const plans = [plan("p1", "a", ["2026-12-01", "2026-12-05"]), plan("p2", "b", ["2026-12-05"]), plan("p3", "c", ["2026-12-03", "2026-12-04"])];
  const visits = [
    visit("v1", "a", at("2026-12-05", "09")),
    visit("v2", "d", at("2026-12-05", "10")),
    visit("v3", "c", at("2026-12-04", "11")),
    visit("v4", "b", at("2026-12-05", "12"), false), // a colleague's visit does not make it done
  ];

  const day = dayPlan(plans, visits, "2026-12-05");

  assert.deepEqual(day.stops.map((stop) => [stop.client, stop.done]), [["a", true], ["b", false]]);
  assert.deepEqual(day.missed.map((item) => [item.client, item.day]), [["c", "2026-12-03"], ["a", "2026-12-01"]]);
  assert.deepEqual([...day.unplanned], ["v2"]);
});

test("a client planned twice on one day is one stop", () => {
  const day = dayPlan([plan("p1", "a", ["2026-12-05"]), plan("p2", "a", ["2026-12-05"])], [], "2026-12-05");
  assert.equal(day.stops.length, 1);
});

test("the due stops go in route order from where the rep stands, those done after in the order visited", () => {
  const places = { n1: { lat: 5.31, lng: -4 }, n2: { lat: 5.32, lng: -4 }, n3: { lat: 5.33, lng: -4 }, far: { lat: 5.5, lng: -4 } };
  const stops = [
    { client: "n3", done: false },
    { client: "far", done: true, doneAt: "2026-12-05T10:00:00Z" },
    { client: "n1", done: false },
    { client: "x", done: true, doneAt: "2026-12-05T09:00:00Z" },
    { client: "n2", done: false },
  ];
  const fromSouth = inRouteOrder(stops, { lat: 5.3, lng: -4 }, (client) => places[client]);
  assert.deepEqual(fromSouth.map((stop) => stop.client), ["n1", "n2", "n3", "x", "far"]);
  const fromNorth = inRouteOrder(stops, { lat: 5.34, lng: -4 }, (client) => places[client]);
  assert.deepEqual(fromNorth.map((stop) => stop.client), ["n3", "n2", "n1", "x", "far"]);
});
