/* Pulled pages mirrored in memory: what the list, the menus and the visit screens read. */
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { ENTITY_TYPES } from "../../static/js/lib/contract.js";
import { packClient } from "../../static/js/lib/projection.js";
import { applyPulled, changed, events, state } from "../../static/js/lib/state.js";

const LIST = { id: 7, version: 1, data: { name: "Kiosques", attributes: [{ key: "quartier", important: true }] } };

beforeEach(() => {
  Object.assign(state, {
    lists: new Map([["7", LIST]]),
    kpiFolders: new Map(),
    workflows: new Map(),
    products: new Map(),
    serverClients: new Map(),
    clients: new Map(),
    notes: [],
    visits: [],
    outbox: [],
    alerts: new Map(),
    plans: new Map(),
    debts: new Map(),
  });
});

function pulledClient(id, name, version = 1) {
  return { type: "client", id, version, data: { name, list: 7, attributes: { quartier: "Cocody" } } };
}

describe("applyPulled", () => {
  test("pulled clients join the list as stored; a deleted one leaves it", () => {
    const change = pulledClient("a", "Awa");
    applyPulled([change, pulledClient("b", "Bintou")], new Map([["a", packClient("a", 1, change.data, state.lists)]]));
    assert.deepEqual([...state.clients.keys()].sort(), ["a", "b"]);
    assert.equal(state.clients.get("a").search, "awa cocody");
    applyPulled([{ type: "client", id: "a", deleted: true }]);
    assert.deepEqual([...state.clients.keys()], ["b"]);
  });

  test("a client's debt, which carries the client's id, is kept as the debt, not as the client packed with it", () => {
    const change = pulledClient("a", "Awa");
    const debt = { type: "debt", id: "a", version: 3, data: { overdue: "9000.00", days: 7 } };
    applyPulled([change, debt], new Map([["a", packClient("a", 1, change.data, state.lists)]]));
    assert.deepEqual(state.debts.get("a").data, { overdue: "9000.00", days: 7 });
    assert.equal(state.clients.get("a").name, "Awa");
  });

  test("a pulled visit or note replaces the phone's copy; a deleted one goes", () => {
    state.visits = [{ id: "v1", version: 1, data: { ended_at: null } }, { id: "v2", version: 1, data: {} }];
    applyPulled([
      { type: "visit", id: "v1", version: 2, data: { ended_at: "2025-03-01T09:00:00Z" } },
      { type: "visit", id: "v2", deleted: true },
      { type: "note", id: 5, version: 1, data: { client: "a", text: "hi" } },
    ]);
    assert.deepEqual(state.visits.map((visit) => [visit.id, visit.version]), [["v1", 2]]);
    assert.deepEqual(state.notes.map((note) => note.id), [5]);
  });

  test("a list's new schema makes every client's row again", () => {
    applyPulled([pulledClient("a", "Awa")]);
    const row = state.clients.get("a");
    applyPulled([{ type: "client_list", id: 7, version: 2, data: { ...LIST.data, attributes: [] } }]);
    assert.notEqual(state.clients.get("a"), row);
    assert.equal(state.clients.get("a").search, "awa");
  });

  test("every entity type of the sync contract is kept in memory, but KPI cards (read when shown)", () => {
    const before = JSON.stringify([...Object.entries(state)].map(([key, value]) => [key, value instanceof Map ? value.size : value?.length]));
    for (const type of ENTITY_TYPES) applyPulled([{ type, id: `${type}-1`, version: 1, data: type === "client" ? { name: "x", list: 7 } : {} }]);
    const held = {
      client_list: state.lists,
      kpi_folder: state.kpiFolders,
      workflow: state.workflows,
      product: state.products,
      client: state.serverClients,
      visit_plan: state.plans,
      debt: state.debts,
    };
    for (const type of ENTITY_TYPES) {
      if (type === "kpi_card") continue;
      const found = held[type]?.has(`${type}-1`) || state[`${type}s`]?.some((record) => record.id === `${type}-1`);
      assert.ok(found, `${type} is not mirrored in memory`);
    }
    assert.notEqual(JSON.stringify([...Object.entries(state)].map(([key, value]) => [key, value instanceof Map ? value.size : value?.length])), before);
  });
});

test("a change is announced with what changed", () => {
  const heard = [];
  const listener = (event) => heard.push(event.detail);
  events.addEventListener("change", listener);
  changed("outbox");
  events.removeEventListener("change", listener);
  assert.deepEqual(heard, ["outbox"]);
});
