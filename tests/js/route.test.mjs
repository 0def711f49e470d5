/* Today's route (static/js/lib/route.js): within 10% of the shortest on small days, found by trying every order. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { routeLength, routeOrder } from "../../static/js/lib/route.js";

/* A seeded generator (mulberry32): the same cases on every run. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* Points in a town of Abidjan's size (about 15 km across). */
function town(next, count) {
  return Array.from({ length: count }, () => ({ lat: 5.28 + next() * 0.15, lng: -4.1 + next() * 0.17 }));
}

function* permutations(items) {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i], ...tail];
  }
}

function shortest(start, stops) {
  let best = Infinity;
  for (const order of permutations(stops.map((_, index) => index))) best = Math.min(best, routeLength(start, stops, order));
  return best;
}

describe("routeOrder", () => {
  test("is within 10% of the shortest route on 30 days of 8 clients (every order tried), and visits each once", () => {
    const next = random(20);
    let worst = 1;
    for (let day = 0; day < 30; day++) {
      const [start, ...stops] = town(next, 9);
      const order = routeOrder(start, stops);
      assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
      worst = Math.max(worst, routeLength(start, stops, order) / shortest(start, stops));
    }
    assert.ok(worst <= 1.1, `worst day ${worst.toFixed(3)}x the shortest`);
  });

  test("beats the order given on a day planned in no order, and nearest neighbour alone on a crossing", () => {
    // Four stops on a line, given shuffled: the route walks the line.
    const start = { lat: 5.3, lng: -4.0 };
    const stops = [0.04, 0.01, 0.03, 0.02].map((north) => ({ lat: 5.3 + north, lng: -4.0 }));
    assert.deepEqual(routeOrder(start, stops), [1, 3, 2, 0]);
  });

  test("puts the clients without a position last, in the order given, and copes with no start and few stops", () => {
    const stops = [{ lat: 5.3, lng: -4.0 }, { lat: null, lng: null }, { lat: 5.31, lng: -4.0 }, {}];
    assert.deepEqual(routeOrder({ lat: 5.32, lng: -4.0 }, stops), [2, 0, 1, 3]);
    assert.deepEqual(routeOrder(null, stops), [0, 2, 1, 3]);
    assert.deepEqual(routeOrder(null, []), []);
    assert.deepEqual(routeOrder({ lat: 5.3, lng: -4.0 }, [{ lat: 5.31, lng: -4.0 }]), [0]);
  });
});
