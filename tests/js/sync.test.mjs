/* Which queued ops go out in the next push, and in what order. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { nextBatch, retryAfterSeconds } from "../../static/js/lib/sync.js";

let seq = 0;
function op(type, client, extra = {}) {
  seq += 1;
  return { op_id: `op-${seq}`, seq, type, entity_id: client, client, made_at: "2025-03-01T10:00:00Z", data: {}, ...extra };
}

describe("nextBatch", () => {
  test("ops go in the order they were made", () => {
    const outbox = [op("client.create", "a"), op("note.create", "b"), op("visit.checkin", "a")];
    assert.deepEqual(nextBatch(outbox), outbox);
  });

  test("a second edit of a client waits for the first one's answer, and so does everything after it", () => {
    const [first, other, second, later] = [op("client.update", "a"), op("client.update", "b"), op("client.update", "a"), op("note.create", "c")];
    assert.deepEqual(nextBatch([first, other, second, later]), [first, other]);
  });

  test("an op whose photo waits for Wi-Fi holds back its client's later ops; other clients' ops go", () => {
    const withPhoto = op("client.create", "a", { data: { photo: "p1" } });
    const activity = op("activity.submit", "b", { photos: ["p2"] });
    const [sameClient, otherClient] = [op("note.create", "a"), op("note.create", "c")];
    assert.deepEqual(nextBatch([withPhoto, sameClient, otherClient, activity], new Set(["p1", "p2"])), [otherClient]);
    assert.deepEqual(nextBatch([withPhoto, sameClient, otherClient, activity], new Set()), [withPhoto, sameClient, otherClient, activity]);
  });

  test("at most 200 ops a push", () => {
    const outbox = Array.from({ length: 450 }, (_, index) => op("note.create", `c${index}`));
    assert.deepEqual(nextBatch(outbox), outbox.slice(0, 200));
  });

  test("at most 900 KiB a push, but never an empty push for one big op", () => {
    const big = (client) => op("client.create", client, { data: { notes: "x".repeat(500 * 1024) } });
    const outbox = [big("a"), big("b"), big("c")];
    assert.deepEqual(nextBatch(outbox), [outbox[0]]);
    const huge = op("client.create", "d", { data: { notes: "x".repeat(1024 * 1024) } });
    assert.deepEqual(nextBatch([huge]), [huge]);
  });

  test("an empty outbox sends nothing", () => {
    assert.deepEqual(nextBatch([]), []);
  });
});

describe("retryAfterSeconds", () => {
  test("a busy server's Retry-After is read in seconds or as a date; anything else says nothing", () => {
    const now = Date.parse("2026-12-05T10:00:00Z");
    assert.equal(retryAfterSeconds("5", now), 5);
    assert.equal(retryAfterSeconds(" 120 ", now), 120);
    assert.equal(retryAfterSeconds("Sat, 05 Dec 2026 10:00:30 GMT", now), 30);
    assert.equal(retryAfterSeconds("Sat, 05 Dec 2026 09:59:00 GMT", now), 0);
    assert.equal(retryAfterSeconds(null, now), null);
    assert.equal(retryAfterSeconds("soon", now), null);
  });
});
