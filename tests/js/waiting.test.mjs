/* What Settings says is still only on this phone: records by kind, as a rep counts them. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { waitingWork } from "../../static/js/lib/waiting.js";

const op = (type, fields = {}) => ({ op_id: `${type}-${Math.random()}`, type, entity_id: fields.entity_id ?? `e-${Math.random()}`, data: {}, ...fields });

test("nothing queued: nothing waits", () => {
  assert.deepEqual(waitingWork([], ["orphan"]), { counts: {}, clients: [] });
});

test("a visit counts once whatever number of its ops wait, and a client's edits once", () => {
  const outbox = [
    op("visit.checkin", { entity_id: "v1", visit: "v1", client: "a" }),
    op("activity.submit", { visit: "v1", client: "a" }),
    op("visit.end", { entity_id: "v1", visit: "v1", client: "a" }),
    op("visit.checkin", { entity_id: "v2", visit: "v2", client: "b" }),
    op("client.update", { entity_id: "a", client: "a" }),
    op("client.update", { entity_id: "a", client: "a" }),
    op("client.create", { entity_id: "c", client: "c" }),
    op("note.create", { client: "b" }),
    op("statement.send", { client: "a" }),
    op("client.archive", { entity_id: "d", client: "d" }),
  ];
  assert.deepEqual(waitingWork(outbox), {
    counts: { visit: 2, newClient: 1, clientEdit: 1, deletion: 1, note: 1, statement: 1 },
    clients: ["a", "b", "c", "d"],
  });
});

test("a photo counts while not uploaded and named by a queued op, not when its op is gone", () => {
  const outbox = [op("client.create", { entity_id: "c", client: "c", data: { photo: "p1" }, photos: ["p1"] }), op("activity.submit", { visit: "v", client: "c", photos: ["p2", "p3"] })];
  assert.deepEqual(waitingWork(outbox, ["p1", "p3", "orphan"]).counts, { visit: 1, newClient: 1, photo: 2 });
  assert.deepEqual(waitingWork(outbox, []).counts, { visit: 1, newClient: 1 });
});
