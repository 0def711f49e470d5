/* A client's "last edited" moment on the phone: day, month and time, the year only when it is not this year's. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatShortMoment } from "../../static/js/lib/format.js";

// Intl's French separators are narrow no-break spaces: compare with plain spaces.
const plain = (text) => text.replace(/[\u202f\u00a0]/g, " ");
// Moments of the phone's own time zone, whatever the machine's.
const at = (...parts) => new Date(...parts).toISOString();
const now = new Date(2026, 11, 10, 9, 0);

test("a moment of this year reads as day, month and 24-hour time", () => {
  assert.equal(plain(formatShortMoment(at(2026, 11, 3, 14, 5), "fr", now)), "3 déc., 14:05");
  assert.equal(plain(formatShortMoment(at(2026, 11, 3, 14, 5), "en", now)), "Dec 3, 14:05");
});

test("a moment of another year says its year", () => {
  assert.equal(plain(formatShortMoment(at(2025, 2, 1, 8, 30), "fr", now)), "1 mars 2025, 08:30");
});

test("what is not a moment reads as itself, and nothing as nothing", () => {
  assert.equal(formatShortMoment("soon", "en", now), "soon");
  assert.equal(formatShortMoment(null, "en", now), "");
  assert.equal(formatShortMoment("", "en", now), "");
});
