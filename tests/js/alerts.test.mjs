/* The server's answers settled on the phone, and the sync alerts a rep retries or discards. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { alertFor, followingEdits, lostValues, retryOp, settledClient, settledNote } from "../../static/js/lib/alerts.js";
import { packClient } from "../../static/js/lib/projection.js";

const LISTS = new Map([["7", { id: 7, version: 1, data: { attributes: [] } }]]);
const update = { op_id: "u1", seq: 5, type: "client.update", entity_id: "c1", client: "c1", base_version: 2, made_at: "2025-03-01T10:00:00Z", data: { name: "Mine", attributes: { quartier: "Plateau", note: "n" } } };

describe("alertFor", () => {
  test("a conflict or a refusal is an alert holding the op and the answer", () => {
    const answer = { op_id: "u1", status: "conflict", version: 4, conflicts: ["name"] };
    assert.deepEqual(alertFor(update, answer, "now"), { op_id: "u1", seq: 5, op: update, client: "c1", at: "now", ...answer });
    assert.equal(alertFor(update, { status: "rejected", code: "forbidden" }).code, "forbidden");
  });

  test("an applied or duplicate op raises none", () => {
    assert.equal(alertFor(update, { status: "applied", version: 3 }), null);
    assert.equal(alertFor(update, { status: "duplicate", version: 3 }), null);
  });
});

describe("settledClient", () => {
  const record = packClient("c1", 2, { name: "Theirs", list: 7, attributes: { quartier: "Cocody" } }, LISTS);

  test("the server's current copy, when the answer carries it", () => {
    const settled = settledClient(record, update, { status: "conflict", version: 4, current: { name: "Server", list: 7 } }, LISTS);
    assert.equal(settled.version, 4);
    assert.equal(settled.name, "Server");
  });

  test("an applied edit: the phone's record with the edit on top, at the answer's version", () => {
    const settled = settledClient(structuredClone(record), update, { status: "applied", version: 3 }, LISTS);
    assert.equal(settled.version, 3);
    assert.deepEqual(JSON.parse(settled.json).attributes, { quartier: "Plateau", note: "n" });
    assert.equal(settled.name, "Mine");
  });

  test("a client created here and applied: its record from the op alone", () => {
    const create = { ...update, type: "client.create", data: { name: "New", list: 7 } };
    assert.equal(settledClient(undefined, create, { status: "applied", version: 1 }, LISTS).name, "New");
  });

  test("a record newer than the answer is left for the next pull", () => {
    assert.equal(settledClient(packClient("c1", 9, { name: "Newer" }, LISTS), update, { status: "applied", version: 3 }, LISTS), null);
  });

  test("no version in the answer, or not a client op: nothing to settle", () => {
    assert.equal(settledClient(record, update, { status: "rejected", version: null }, LISTS), null);
    assert.equal(settledClient(record, { ...update, type: "note.create" }, { status: "applied", version: 1 }, LISTS), null);
  });
});

test("an accepted note is kept as the pull will bring it, signed by the rep", () => {
  const note = { op_id: "n", type: "note.create", entity_id: "n1", made_at: "2025-03-01T10:00:00Z", data: { client: "c1", text: "Hello" } };
  assert.deepEqual(settledNote(note, { status: "applied", version: 2 }, { name: "", username: "rep1" }), {
    id: "n1",
    version: 2,
    data: { client: "c1", visit: null, text: "Hello", author: "rep1", created_at: "2025-03-01T10:00:00Z" },
  });
});

describe("followingEdits", () => {
  test("the unsent edits of the same client made on the same version", () => {
    const outbox = [
      update,
      { ...update, op_id: "u2", seq: 6 },
      { ...update, op_id: "u3", seq: 7, sent: true },
      { ...update, op_id: "u4", seq: 8, base_version: 3 },
      { ...update, op_id: "u5", seq: 9, client: "c2" },
      { ...update, op_id: "u6", seq: 10, type: "client.archive" },
    ];
    assert.deepEqual(followingEdits(outbox, update).map((op) => op.op_id), ["u1", "u2"]);
  });
});

describe("retrying", () => {
  const conflict = { op_id: "u1", seq: 5, op: update, client: "c1", status: "conflict", version: 4, conflicts: ["name", "quartier", "unknown"] };

  test("a conflict's lost values are named by field, attributes as attributes.<key>", () => {
    assert.deepEqual(lostValues(conflict), { name: "Mine", "attributes.quartier": "Plateau" });
  });

  test("a conflict is sent again as a new edit of its lost values on the server's version", () => {
    const op = retryOp(conflict);
    assert.notEqual(op.op_id, update.op_id);
    assert.equal(op.type, "client.update");
    assert.equal(op.base_version, 4);
    assert.equal(op.client, "c1");
    assert.deepEqual(op.data, { name: "Mine", attributes: { quartier: "Plateau" } });
  });

  test("a refused op is sent again as it was, under its own op id, queued anew", () => {
    const op = retryOp({ op_id: "u1", op: { ...update, sent: true }, client: "c1", status: "rejected", code: "forbidden" });
    assert.equal(op.op_id, "u1");
    assert.equal(op.sent, true);
    assert.equal("seq" in op, false);
    assert.deepEqual(op.data, update.data);
  });
});
