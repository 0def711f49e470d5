/* Distances on the phone: the check-in's geofence and the list's nearest-first order depend on them. */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { LAST_POSITION_KEY, directionsUrl, distanceM, formatDistance, lastPosition, rememberPosition } from "../../static/js/lib/geo.js";

describe("distanceM", () => {
  test("a degree of latitude is about 111.2 km", () => {
    assert.ok(Math.abs(distanceM({ lat: 5, lng: -4 }, { lat: 6, lng: -4 }) - 111195) < 1);
  });

  test("a degree of longitude shrinks with the latitude", () => {
    const atEquator = distanceM({ lat: 0, lng: 0 }, { lat: 0, lng: 1 });
    const atSixty = distanceM({ lat: 60, lng: 0 }, { lat: 60, lng: 1 });
    assert.ok(Math.abs(atSixty / atEquator - 0.5) < 0.001);
  });

  test("the same point is 0 m away; the order of the points does not matter", () => {
    const [a, b] = [{ lat: 5.345, lng: -4.024 }, { lat: 5.35, lng: -4.02 }];
    assert.equal(distanceM(a, a), 0);
    assert.equal(distanceM(a, b), distanceM(b, a));
  });

  test("no distance without both points", () => {
    assert.equal(distanceM(null, { lat: 1, lng: 1 }), null);
    assert.equal(distanceM({ lat: 1, lng: null }, { lat: 1, lng: 1 }), null);
  });
});

test("distances read in metres under a kilometre, in kilometres above", () => {
  assert.equal(formatDistance(null), "");
  assert.equal(formatDistance(12.4), "12 m");
  assert.equal(formatDistance(999.4), "999 m");
  assert.equal(formatDistance(1500), "1.5 km");
  assert.equal(formatDistance(28_460, "fr"), "28,5 km");
  assert.equal(formatDistance(1_234_000, "fr"), "1\u202f234,0 km");
});

test("directions go to the point", () => {
  assert.equal(directionsUrl(5.3, -4.02), "https://www.google.com/maps/dir/?api=1&destination=5.3,-4.02");
});

describe("rememberPosition", () => {
  const stored = new Map();
  globalThis.localStorage = { getItem: (key) => stored.get(key) ?? null, setItem: (key, value) => stored.set(key, String(value)) };
  afterEach(() => stored.clear());

  test("a position is kept once the phone moved 25 m or more from the one kept", () => {
    const kept = { lat: 5.345, lng: -4.024 };
    const near = { lat: 5.345 + 20 / 111195, lng: -4.024, accuracy_m: 5 };
    assert.equal(rememberPosition(near, kept), kept);
    assert.equal(stored.size, 0);
    const far = { lat: 5.345 + 30 / 111195, lng: -4.024, accuracy_m: 5 };
    assert.deepEqual(rememberPosition(far, kept), { lat: far.lat, lng: far.lng });
    assert.deepEqual(lastPosition(), { lat: far.lat, lng: far.lng });
  });

  test("no position keeps the one kept; none kept and none stored reads as null", () => {
    assert.equal(rememberPosition(null, null), null);
    assert.equal(lastPosition(), null);
    stored.set(LAST_POSITION_KEY, "not json");
    assert.equal(lastPosition(), null);
  });
});
