/* IndexedDB: everything pulled, the outbox of ops, the sync alerts, photos waiting for upload, and a few settings. */
import { ENTITY_TYPES } from "./contract.js";
import { LAST_POSITION_KEY } from "./geo.js";

const NAME = "fieldsales";
// 2: KPI folders (sync protocol v2: cards carry texts only, their folders and labels come once).
// 3: visit plans and clients' overdue debts (issue 20: Today's plan, offline).
export const VERSION = 3;
// One store per entity type of the sync contract.
export const ENTITY_STORES = ENTITY_TYPES;
export const STORES = [...ENTITY_STORES, "outbox", "alerts", "blobs", "meta"];
// The copy of the clients list's first screen that early.js paints on a cold start (views/list.js writes it).
export const FIRST_SCREEN_KEY = "fieldsales.firstScreen";
// What a start reads before drawing the list. Kept in the meta store under LIST_STORES_KEY at each start, for
// early.js, a classic script that runs before any module: it reads the stores that list names.
export const LIST_STORES = ["client_list", "kpi_folder", "workflow", "product", "client", "outbox", "alerts"];
const LIST_STORES_KEY = "listStores";

let opened = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function openDb() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      // Only what this version adds: a phone coming from an earlier version keeps its data and its queued ops.
      const db = req.result;
      const missing = (name) => !db.objectStoreNames.contains(name);
      for (const name of ENTITY_STORES.filter(missing)) db.createObjectStore(name, { keyPath: "id" });
      if (missing("outbox")) {
        // Ops go out in the order they were made: the key is that order.
        const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        outbox.createIndex("client", "client");
      }
      if (missing("alerts")) db.createObjectStore("alerts", { keyPath: "op_id" });
      if (missing("blobs")) db.createObjectStore("blobs", { keyPath: "id" });
      if (missing("meta")) db.createObjectStore("meta");
    };
    req.onsuccess = () => {
      // A newer version of the app opening the database in another tab: let it upgrade, this tab reloads.
      req.result.onversionchange = () => {
        req.result.close();
        location.reload();
      };
      req.result.transaction(["meta"], "readwrite").objectStore("meta").put(LIST_STORES, LIST_STORES_KEY);
      resolve(req.result);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("database blocked by another tab"));
  });
  return opened;
}

/* Runs `work(stores)` in one transaction over `names`; resolves with its result once the transaction commits. */
export async function transact(names, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: "strict" });
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    Promise.resolve(work(stores, tx)).then(
      (value) => {
        result = value;
      },
      (error) => {
        tx.abort();
        reject(error);
      },
    );
  });
}

export const get = (store, key) => request(store.get(key));
export const getAll = (store, query, count) => request(store.getAll(query, count));
const READ_CHUNK = 500;
export const put = (store, value, key) => request(key === undefined ? store.put(value) : store.put(value, key));
export const del = (store, key) => request(store.delete(key));

/* Every record of a store, read a few hundred at a time: each answer is decoded in a task of its own, so that
   thousands of visits never hold the page still for long. */
export async function readAll(name) {
  return transact([name], "readonly", (s) => {
    const store = s[name];
    const records = [];
    const next = (after) =>
      getAll(store, after === undefined ? undefined : IDBKeyRange.lowerBound(after, true), READ_CHUNK).then((found) => {
        records.push(...found);
        return found.length === READ_CHUNK ? next(found[found.length - 1][store.keyPath]) : records;
      });
    return next();
  });
}

export async function readOne(name, key) {
  return transact([name], "readonly", (s) => get(s[name], key));
}

export async function readMeta(key) {
  return transact(["meta"], "readonly", (s) => get(s.meta, key));
}

export async function writeMeta(key, value) {
  return transact(["meta"], "readwrite", (s) => put(s.meta, value, key));
}

/* Forgets everything of the signed-in user (sign out, or another user signs in). */
export async function wipe() {
  localStorage.removeItem(FIRST_SCREEN_KEY);
  localStorage.removeItem(LAST_POSITION_KEY);
  await transact(STORES, "readwrite", (s) => Promise.all(STORES.map((name) => request(s[name].clear()))));
}
