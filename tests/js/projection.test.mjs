/* Clients as the list shows them: the server's record with the rep's queued ops and sync alerts on top. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { applyClientOp, clientRow, importantText, opsByClient, packClient, rebuildClients, waitingKinds } from "../../static/js/lib/projection.js";

const LIST = { id: 7, version: 3, data: { attributes: [{ key: "quartier", important: true }, { key: "note", important: false }] } };
const LISTS = new Map([["7", LIST]]);

function server(id, data, version = 1) {
  return packClient(id, version, { list: 7, attributes: {}, ...data }, LISTS);
}

function op(type, client, data = {}, extra = {}) {
  return { op_id: `${type}-${client}-${extra.seq ?? 0}`, type, entity_id: client, client, data, ...extra };
}

function emptyState(records = [], outbox = [], alerts = []) {
  return {
    lists: LISTS,
    serverClients: new Map(records.map((record) => [record.id, record])),
    outbox,
    alerts: new Map(alerts.map((alert) => [alert.op_id, alert])),
    clients: new Map(),
  };
}

describe("applyClientOp", () => {
  test("an update merges attributes key by key over the fields", () => {
    const fields = { name: "Awa", phone: "1", attributes: { quartier: "Cocody", note: "x" } };
    const updated = applyClientOp(fields, op("client.update", "c", { phone: "2", attributes: { note: "y" } }));
    assert.deepEqual(updated, { name: "Awa", phone: "2", attributes: { quartier: "Cocody", note: "y" } });
    assert.equal(fields.attributes.note, "x", "the server's fields are left as they were");
  });

  test("a create's data is the whole client; other ops leave the fields as they are", () => {
    assert.deepEqual(applyClientOp({ name: "old" }, op("client.create", "c", { name: "New" })), { name: "New", attributes: {} });
    const fields = { name: "Awa" };
    assert.equal(applyClientOp(fields, op("client.archive", "c")), fields);
  });
});

describe("opsByClient", () => {
  test("queued ops keep the outbox's order, then the alerts' ops follow in the order they were queued", () => {
    const outbox = [op("client.update", "a", {}, { seq: 1 }), op("note.create", "b", {}, { seq: 2 }), op("client.update", "a", {}, { seq: 3 })];
    const later = { op_id: "x", seq: 9, client: "a", op: op("client.update", "a", { name: "late" }) };
    const earlier = { op_id: "y", seq: 4, client: "a", op: op("client.update", "a", { name: "early" }) };
    const ops = opsByClient(outbox, new Map([["x", later], ["y", earlier]]));
    assert.deepEqual(
      ops.get("a").map((queued) => [queued.seq ?? null, queued.data.name ?? null, queued.alert ?? false]),
      [
        [1, null, false],
        [3, null, false],
        [null, "early", true],
        [null, "late", true],
      ],
    );
    assert.equal(ops.get("b").length, 1);
  });

  test("an op that names no client is not a client's", () => {
    assert.equal(opsByClient([{ type: "statement.send", data: {} }], new Map()).size, 0);
  });
});

describe("clientRow", () => {
  test("a client with nothing queued is the server's copy, synced", () => {
    const row = clientRow("a", server("a", { name: "Boutique Awa", attributes: { quartier: "Cocody" } }), [], LISTS);
    assert.equal(row.name, "Boutique Awa");
    assert.equal(row.fields.attributes.quartier, "Cocody");
    assert.equal(row.list, LIST);
    assert.equal(row.pending, false);
    assert.equal(row.alert, false);
  });

  test("a queued edit shows over the server's copy, pending", () => {
    const row = clientRow("a", server("a", { name: "Awa", attributes: { quartier: "Cocody" } }, 4), [op("client.update", "a", { name: "Awa & Fils" })], LISTS);
    assert.equal(row.name, "Awa & Fils");
    assert.equal(row.fields.attributes.quartier, "Cocody");
    assert.equal(row.server.name, "Awa", "the server's copy stays readable beside it");
    assert.equal(row.version, 4);
    assert.equal(row.pending, true);
  });

  test("a client created on the phone shows before the server knows it", () => {
    const row = clientRow("new", undefined, [op("client.create", "new", { name: "Kiosque", list: 7 })], LISTS);
    assert.equal(row.name, "Kiosque");
    assert.equal(row.version, null);
    assert.equal(row.pending, true);
  });

  test("no row for ops on a client that is neither on the server nor created here", () => {
    assert.equal(clientRow("gone", undefined, [op("client.update", "gone", { name: "x" })], LISTS), null);
    assert.equal(clientRow("gone", undefined, [], LISTS), null);
  });

  test("a conflict's values are not shown, the server's won; a refused op's still are, until discarded", () => {
    const record = server("a", { name: "Server name" });
    const conflict = { ...op("client.update", "a", { name: "Mine" }), alert: true, status: "conflict" };
    const rejected = { ...op("client.update", "a", { phone: "bad" }), alert: true, status: "rejected" };
    const row = clientRow("a", record, [conflict, rejected], LISTS);
    assert.equal(row.name, "Server name");
    assert.equal(row.fields.phone, "bad");
    assert.equal(row.alert, true);
  });

  test("a visit, a note or a statement waiting leaves the client synced, each named on its row", () => {
    const record = server("a", { name: "Awa" });
    const ops = [
      op("note.create", "a", { client: "a", text: "x" }, { seq: 3 }),
      op("visit.checkin", "v", { client: "a", workflow: 1 }, { seq: 1, client: "a" }),
      op("activity.submit", "s", { visit: "v" }, { seq: 2, client: "a" }),
      op("statement.send", "t", { client: "a" }, { seq: 4, client: "a" }),
    ];
    const row = clientRow("a", record, ops, LISTS);
    assert.equal(row.pending, false);
    assert.deepEqual(row.waiting, ["visit", "note", "statement"]);
    assert.equal(row.own, null, "its fields stay the server's record, unread until shown");
    assert.equal(row.name, "Awa");
  });

  test("only the client's own create, update or archive makes it pending; what else waits is named beside", () => {
    const row = clientRow("a", server("a", { name: "Awa" }), [op("client.update", "a", { name: "B" }), op("note.create", "a")], LISTS);
    assert.equal(row.pending, true);
    assert.deepEqual(row.waiting, ["note"]);
  });

  test("a refused check-in marks the client with its alert and does not move it out of synced", () => {
    const refused = { ...op("visit.checkin", "v", { client: "a" }, { client: "a" }), alert: true, status: "rejected" };
    const row = clientRow("a", server("a", { name: "Awa" }), [refused], LISTS);
    assert.equal(row.alert, true);
    assert.equal(row.pending, false);
    assert.deepEqual(row.waiting, [], "the alert shows it, not a waiting mark");
  });

  test("a refused edit held by its alert keeps the client pending", () => {
    const refused = { ...op("client.update", "a", { phone: "bad" }), alert: true, status: "rejected" };
    assert.equal(clientRow("a", server("a", { name: "Awa" }), [refused], LISTS).pending, true);
  });

  test("a note on a client that is neither on the server nor created here makes no row", () => {
    assert.equal(clientRow("gone", undefined, [op("note.create", "gone")], LISTS), null);
  });

  test("an archive queued on the phone marks the row archived", () => {
    assert.equal(clientRow("a", server("a", { name: "Awa" }), [op("client.archive", "a")], LISTS).archived, true);
  });
});

describe("waitingKinds", () => {
  test("names each kind once, in a fixed order, and never the client's own ops", () => {
    const ops = [op("statement.send", "a"), op("visit.end", "v"), op("client.update", "a"), op("visit.checkin", "v"), op("statement.send", "a")];
    assert.deepEqual(waitingKinds(ops), ["visit", "statement"]);
    assert.deepEqual(waitingKinds([op("client.create", "a")]), []);
  });
});

describe("search text", () => {
  test("is the name and the important attributes, case and accents folded", () => {
    assert.equal(importantText(LIST, { name: "Épicerie Awa", attributes: { quartier: "Treichville", note: "secret" } }), "epicerie awa treichville");
  });

  test("a pulled client keeps the text folded for its list's version; a newer schema folds it again", () => {
    const record = server("a", { name: "Épicerie", attributes: { quartier: "Plateau" } });
    assert.equal(record.search, "epicerie plateau");
    assert.equal(record.searchFor, 3);
    record.search = "kept";
    assert.equal(clientRow("a", record, [], LISTS).search, "kept");
    const newer = new Map([["7", { ...LIST, version: 4 }]]);
    assert.equal(clientRow("a", record, [], newer).search, "epicerie plateau");
  });

  test("a packed client holds its fields as JSON text, read back on first use", () => {
    const record = server("a", { name: "Awa", lat: 5.3, lng: -4 });
    assert.equal(record.data, undefined);
    assert.deepEqual([record.name, record.lat, record.lng, record.list], ["Awa", 5.3, -4, 7]);
    assert.equal(JSON.parse(record.json).name, "Awa");
    assert.equal(packClient("b", 2, null, LISTS).json, null);
  });
});

describe("rebuildClients", () => {
  test("the list holds every server client and every client created here, and no archived one", () => {
    const state = emptyState(
      [server("a", { name: "A" }), server("b", { name: "B" })],
      [op("client.create", "c", { name: "C", list: 7 }, { seq: 1 }), op("client.archive", "b", {}, { seq: 2 })],
    );
    rebuildClients(state);
    assert.deepEqual([...state.clients.keys()].sort(), ["a", "c"]);
    assert.equal(state.clients.get("c").pending, true);
  });

  test("an offline day's visits and notes keep every visited client synced", () => {
    const state = emptyState(
      [server("a", { name: "A" }), server("b", { name: "B" })],
      [op("visit.checkin", "v", { client: "a" }, { seq: 1, client: "a" }), op("note.create", "b", {}, { seq: 2 })],
    );
    rebuildClients(state);
    assert.deepEqual([...state.clients.values()].filter((row) => row.pending), []);
    assert.deepEqual(state.clients.get("a").waiting, ["visit"]);
    assert.deepEqual(state.clients.get("b").waiting, ["note"]);
  });

  test("only the clients named are made again, and no change at all for none", () => {
    const state = emptyState([server("a", { name: "A" }), server("b", { name: "B" })]);
    rebuildClients(state);
    const [before, version] = [state.clients.get("b"), state.clientsVersion];
    state.outbox.push(op("client.update", "a", { name: "A2" }, { seq: 1 }));
    rebuildClients(state, ["a"]);
    assert.equal(state.clients.get("a").name, "A2");
    assert.equal(state.clients.get("b"), before);
    assert.equal(state.clientsVersion, version + 1);
    rebuildClients(state, []);
    assert.equal(state.clientsVersion, version + 1, "the list keeps its sorted order when nothing changed");
  });
});
