/* The rep's writes as ops: an edit sends only what changed, and an unsent edit of the same client takes in the next. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { OP_TYPES } from "../../static/js/lib/contract.js";
import { changedFields, mergeUpdate, newOp, outboxShape } from "../../static/js/lib/outbox.js";

describe("changedFields", () => {
  const seen = { name: "Awa", phone: "0102", lat: 5.3, attributes: { quartier: "Cocody", tags: ["a", "b"] } };

  test("only the fields and attributes that differ from what the rep saw", () => {
    const fields = { name: "Awa", phone: "0708", lat: 5.3, attributes: { quartier: "Cocody", tags: ["a", "c"] } };
    assert.deepEqual(changedFields(seen, fields), { phone: "0708", attributes: { tags: ["a", "c"] } });
  });

  test("nothing when nothing changed, a list's values compared by value", () => {
    assert.deepEqual(changedFields(seen, structuredClone(seen)), {});
  });

  test("attributes are compared one by one, not as a whole", () => {
    assert.deepEqual(changedFields(seen, { attributes: { tags: ["a", "b"], quartier: "Cocody", unset: null } }), {});
  });

  test("an emptied field or attribute is sent as emptied; missing and null are the same", () => {
    assert.deepEqual(changedFields(seen, { phone: null, attributes: { quartier: null, missing: null } }), { phone: null, attributes: { quartier: null } });
  });
});

describe("mergeUpdate", () => {
  test("the later edit's values win, attributes merged key by key", () => {
    const merged = mergeUpdate({ name: "A", attributes: { quartier: "Cocody", note: "x" } }, { phone: "1", attributes: { note: "y" } });
    assert.deepEqual(merged, { name: "A", phone: "1", attributes: { quartier: "Cocody", note: "y" } });
  });

  test("no attributes key when neither edit has one", () => {
    assert.deepEqual(mergeUpdate({ name: "A" }, { name: "B" }), { name: "B" });
  });
});

describe("newOp", () => {
  test("a fresh op id and the moment it was made, with the extra fields given", () => {
    const a = newOp("client.update", "c1", { name: "x" }, { base_version: 3 });
    const b = newOp("client.update", "c1", { name: "x" });
    assert.notEqual(a.op_id, b.op_id);
    assert.match(a.op_id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(a.made_at)));
    assert.deepEqual({ ...a, op_id: null, made_at: null }, { op_id: null, type: "client.update", entity_id: "c1", made_at: null, data: { name: "x" }, base_version: 3 });
  });

  test("every op type the app queues is one the server takes (the sync contract)", async () => {
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL("../../static/js/lib/outbox.js", import.meta.url), "utf8");
    const queued = [...source.matchAll(/newOp\("([a-z_.]+)"/g)].map((match) => match[1]);
    assert.ok(queued.length >= 8, `found ${queued.length} op types`);
    for (const type of queued) assert.ok(OP_TYPES.includes(type), `${type} is not in contract.js`);
  });
});

describe("outboxShape", () => {
  test("tells apart an outbox another tab sent from, rebased or added to", () => {
    const ops = [{ seq: 1, base_version: 2 }, { seq: 2 }];
    const shape = outboxShape(ops);
    assert.equal(outboxShape(structuredClone(ops)), shape);
    assert.notEqual(outboxShape([{ ...ops[0], sent: true }, ops[1]]), shape);
    assert.notEqual(outboxShape([{ ...ops[0], base_version: 3 }, ops[1]]), shape);
    assert.notEqual(outboxShape([...ops, { seq: 3 }]), shape);
  });
});
