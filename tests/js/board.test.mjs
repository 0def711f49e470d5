/* The live board's filters: the JSON's query for the day and rep chosen, and which live messages the board keeps. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { checkinFlagTexts, merge, shown, visitsQuery } from "../../static/js/board.js";

const FROM = Date.parse("2026-03-10T00:00:00Z");
const UNTIL = Date.parse("2026-03-11T00:00:00Z");
const visit = (id, repId, at, version = 1) => ({ id, rep_id: repId, checked_in_at: at, version });

describe("visitsQuery", () => {
  test("names only what was chosen", () => {
    assert.equal(visitsQuery({}), "");
    assert.equal(visitsQuery({ day: "", rep: "" }), "");
    assert.equal(visitsQuery({ day: "2026-03-10" }), "?day=2026-03-10");
    assert.equal(visitsQuery({ day: "2026-03-10", rep: "7" }), "?day=2026-03-10&rep=7");
    assert.equal(visitsQuery({ rep: "7" }), "?rep=7");
  });
});

describe("shown", () => {
  test("keeps every rep's visits of the day when no rep is chosen", () => {
    const day = { from: FROM, until: UNTIL };
    assert.equal(shown(day, visit("a", 7, "2026-03-10T09:00:00Z")), true);
    assert.equal(shown(day, visit("b", 8, "2026-03-10T23:59:59Z")), true);
  });

  test("leaves out the other reps' visits when one is chosen (the page's rep is text, the visit's a number)", () => {
    const day = { rep: "7", from: FROM, until: UNTIL };
    assert.equal(shown(day, visit("a", 7, "2026-03-10T09:00:00Z")), true);
    assert.equal(shown(day, visit("b", 8, "2026-03-10T09:00:00Z")), false);
  });

  test("leaves out a visit of another day: a message heard after midnight belongs to the next board", () => {
    const day = { from: FROM, until: UNTIL };
    assert.equal(shown(day, visit("a", 7, "2026-03-11T00:00:00Z")), false);
    assert.equal(shown(day, visit("b", 7, "2026-03-09T23:59:59Z")), false);
  });

  test("a message filtered this way leaves the visits held as they were", () => {
    const held = new Map([["a", visit("a", 7, "2026-03-10T09:00:00Z")]]);
    const incoming = [visit("a", 7, "2026-03-10T09:00:00Z", 2), visit("b", 8, "2026-03-10T10:00:00Z")];
    merge(held, incoming.filter((v) => shown({ rep: "7", from: FROM, until: UNTIL }, v)));
    assert.deepEqual([...held.keys()], ["a"]);
    assert.equal(held.get("a").version, 2);
  });
});

describe("checkinFlagTexts", () => {
  test("says each flag the server gave, with its figures in the reader's format, and nothing for a sound check-in", () => {
    const flags = [
      { code: "too_fast", km: 30.5, minutes: 10, kmh: 183 },
      { code: "inaccurate", accuracy_m: 150, radius_m: 100 },
      { code: "a code of a later server" },
    ];
    assert.deepEqual(checkinFlagTexts(flags, "fr"), [
      "30,5 km from the check-in before in 10 min (183 km/h)",
      "GPS accuracy 150 m, wider than the 100 m radius",
    ]);
    assert.deepEqual(checkinFlagTexts([]), []);
    assert.deepEqual(checkinFlagTexts(undefined), []);
  });
});

test("the planned route's kilometres start from the first check-in and follow the phone's route", async () => {
  const { plannedRouteKm } = await import("../../static/js/lib/plan.js");
  const plannedKm = ({ start, planned }) => plannedRouteKm(start, planned);
  const stops = [0.02, 0.01, 0.03].map((north) => ({ lat: 5.3 + north, lng: -4, done: false }));
  // From 5.30 north through 5.31, 5.32, 5.33: 0.03° of latitude, about 3.34 km.
  const km = plannedKm({ start: [5.3, -4], planned: stops });
  assert.ok(Math.abs(km - 3.336) < 0.01, String(km));
  // A stop without a position is left out of the distance.
  assert.equal(plannedKm({ start: [5.3, -4], planned: [...stops, { lat: null, lng: null }] }), km);
});
