/* The sync loop: push the outbox in order (photos first), then pull until nothing more, by itself.

It runs on start, when the browser comes online, every 5 minutes, after each write and on demand. Network
errors and 5xx answers are retried with a growing delay; an expired session stops it until the rep signs in
again, with every queued op kept.
*/
import { ENTITY_STORES, put, readMeta, transact, writeMeta } from "./db.js";
import { language, storedLanguage } from "./i18n.js";
import { countBytes, meterData, photosMustWait, watchPhotoConditions } from "./usage.js";
import { settle } from "./alerts.js";
import { blobFor, dropUnsent, markSent, pendingBlobs, reloadOutbox, setUploaded } from "./outbox.js";
import { packClient } from "./projection.js";
import { applyPulled, changed, events, state } from "./state.js";

const POLL_MS = 5 * 60 * 1000;
// The lean form of the pull (docs/sync-protocol-v2.md).
const PROTOCOL = 2;
const PULL_LIMIT = 2000;
const MAX_BATCH_OPS = 200;
const MAX_BATCH_BYTES = 900 * 1024;
const BACKOFF_MS = [1000, 2000, 5000, 10000, 30000, 60000];
const WIRE_FIELDS = ["op_id", "type", "entity_id", "base_version", "made_at", "data"];

class RetryLater extends Error {
  /* `after`: the seconds the server asked to wait (its Retry-After, on a 503 when busy or a 429), if it said. */
  constructor(message, after = null) {
    super(message);
    this.after = after;
  }
}

/* A Retry-After header's seconds (a number of them, or an HTTP date), or null. */
export function retryAfterSeconds(value, now = Date.now()) {
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - now) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}
export class SignInRequired extends Error {}

let failures = 0;
let timer = null;
let running = null;
let again = false;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(path, { method = "GET", body = undefined, headers = {} } = {}) {
  // What the answer costs is counted as it arrives (usage.js); what the request sends, here.
  countBytes(typeof body === "string" ? body.length : body?.size || 0);
  let response;
  try {
    response = await fetch(path, {
      method,
      body,
      credentials: "same-origin",
      headers: { "Accept-Language": language(), "X-CSRFToken": csrfToken(), ...headers },
    });
  } catch (error) {
    throw new RetryLater(String(error));
  }
  if (response.status === 401 || response.status === 403) throw new SignInRequired();
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    throw new RetryLater(`HTTP ${response.status}`, retryAfterSeconds(response.headers.get("Retry-After")));
  }
  return response;
}

function wire(op) {
  return Object.fromEntries(WIRE_FIELDS.filter((key) => op[key] !== undefined).map((key) => [key, op[key]]));
}

/* The photos an op names: a client's photo, or those of photo fields (attributes, an activity's values). */
function photosOf(op) {
  return [op.data?.photo, ...(op.photos || [])].filter(Boolean);
}

/* Photos on the phone not uploaded yet. */
async function unsentPhotos() {
  return (await pendingBlobs()).filter((blob) => !blob.uploaded);
}

/* Uploads the photos queued ops name; returns the server's answer for each photo it refused. */
async function uploadPhotos() {
  const named = new Set(state.outbox.flatMap(photosOf));
  const refused = new Map();
  for (const blob of await unsentPhotos()) {
    if (!named.has(blob.id)) continue;
    const response = await api(`/api/sync/blobs/${blob.id}`, {
      method: "PUT",
      body: blob.blob,
      headers: { "Content-Type": blob.blob.type || "image/jpeg" },
    });
    if (response.ok) await setUploaded(blob.id, true);
    else refused.set(blob.id, await response.json().catch(() => ({})));
  }
  return refused;
}

/* The next ops to send: in order, at most one client update per client (the next one is based on its answer). An op
   whose photo waits for Wi-Fi waits with it, and so does every later op of its client, which may depend on it; the
   other clients' ops go. */
export function nextBatch(outbox, waiting = new Set()) {
  const batch = [];
  const updated = new Set();
  const held = new Set();
  let bytes = 0;
  for (const op of outbox) {
    if (held.has(op.client) || photosOf(op).some((id) => waiting.has(id))) {
      held.add(op.client);
      continue;
    }
    if (op.type === "client.update" && updated.has(op.entity_id)) break;
    const size = JSON.stringify(wire(op)).length;
    if (batch.length >= MAX_BATCH_OPS || (batch.length && bytes + size > MAX_BATCH_BYTES)) break;
    if (op.type === "client.update") updated.add(op.entity_id);
    batch.push(op);
    bytes += size;
  }
  return batch;
}

async function push() {
  const wait = await photosMustWait();
  const waiting = new Set(wait ? (await unsentPhotos()).map((blob) => blob.id) : []);
  state.sync.photosWaiting = waiting.size;
  if (!wait) await uploadPhotos();
  for (let batch = nextBatch(state.outbox, waiting); batch.length; batch = nextBatch(state.outbox, waiting)) {
    // The op's payload is fixed once it may have reached the server: the same op id must carry the same op.
    await markSent(batch);
    const response = await api("/api/sync/push", {
      method: "POST",
      body: JSON.stringify({ device: await deviceId(), ops: batch.map(wire) }),
      headers: { "Content-Type": "application/json" },
    });
    if (!response.ok) throw new RetryLater(`push: HTTP ${response.status}`);
    const { results } = await response.json();
    const missing = [];
    for (const [index, result] of results.entries()) {
      const op = batch[index];
      const held = [];
      for (const id of result.code === "missing_blob" ? photosOf(op) : []) if (await blobFor(id)) held.push(id);
      if (held.length) {
        // The photo is on the phone: it stays queued, its photo is uploaded again, and it goes out next round.
        missing.push(op);
        for (const id of held) await setUploaded(id, false);
      } else {
        await settle(op, result);
      }
    }
    changed("outbox");
    if (missing.length) {
      const refused = await uploadPhotos();
      for (const op of missing.filter((queued) => photosOf(queued).some((id) => refused.has(id)))) {
        const answer = refused.get(photosOf(op).find((id) => refused.has(id)));
        await settle(op, {
          op_id: op.op_id,
          status: "rejected",
          entity_id: op.entity_id,
          version: null,
          code: "invalid",
          errors: { photo: [answer.detail || ""] },
        });
      }
    }
  }
}

async function deviceId() {
  let id = localStorage.getItem("fieldsales.device");
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem("fieldsales.device", id);
  }
  return id;
}

/* The first page of a first sync is small, so that the nearest clients show after one short answer. */
const FIRST_PAGE = 100;
// How long a first sync waits for the phone's position before asking without it.
const POSITION_WAIT_MS = 1500;

function pullRequest(cursor, limit) {
  // The rules the phone holds: the server sends its own only when they differ (and the lists that carry rules again).
  const query = new URLSearchParams({ v: String(PROTOCOL), limit: String(limit), rules: state.rules?.version || "" });
  if (cursor) query.set("cursor", cursor);
  else if (state.position) query.set("near", `${state.position.lat.toFixed(5)},${state.position.lng.toFixed(5)}`);
  const request = api(`/api/sync/pull?${query}`);
  // Asked ahead of time: a failure is seen when the page is awaited, not as an unhandled rejection before.
  request.catch(() => null);
  return request;
}

/* How far a first sync is: what its snapshot holds and what has come of it, by type; null once it is over. */
function progress(firstSync, page) {
  if (!page.snapshot || !page.more) return null;
  const received = { ...(firstSync?.received || {}) };
  for (const change of page.changes) received[change.type] = (received[change.type] || 0) + 1;
  return { totals: page.snapshot, received };
}

async function storePage(page) {
  const firstSync = progress(state.sync.firstSync, page);
  // A page's lists come before its clients: their schema says what a client's search text is made of.
  for (const change of page.changes) if (change.type === "client_list" && !change.deleted) state.lists.set(String(change.id), change);
  const packed = new Map();
  await transact([...ENTITY_STORES, "meta"], "readwrite", (s) => {
    for (const change of page.changes) {
      const store = s[change.type];
      if (!store) continue;
      const id = String(change.id);
      // Queued together and settled by the transaction's end: one await per record costs more than the write.
      if (change.deleted) store.delete(id);
      else if (change.type === "client") store.put(packed.set(id, packClient(id, change.version, change.data, state.lists)).get(id));
      else store.put({ id, version: change.version, data: change.data });
    }
    // The cursor moves with the changes it covers: a page is kept whole or not at all, and a first sync cut
    // short starts again from its last page.
    s.meta.put(page.cursor, "cursor");
    s.meta.put(firstSync, "firstSync");
    if (page.rules) s.meta.put(page.rules, "rules");
  });
  state.sync.firstSync = firstSync;
  applyPulled(page.changes, packed);
}

/* The phone's position, waiting for it a little when a first sync starts: its first page then holds the nearest
   clients, those the list shows first. */
function positionSoon(ms) {
  if (state.position) return Promise.resolve(state.position);
  return new Promise((resolve) => {
    const done = () => {
      events.removeEventListener("change", onChange);
      clearTimeout(timeout);
      resolve(state.position);
    };
    const onChange = (event) => event.detail === "position" && done();
    const timeout = setTimeout(done, ms);
    events.addEventListener("change", onChange);
  });
}

async function pull() {
  let cursor = (await readMeta("cursor")) || "";
  if (!cursor) await positionSoon(POSITION_WAIT_MS);
  let next = pullRequest(cursor, cursor ? PULL_LIMIT : FIRST_PAGE);
  for (;;) {
    const response = await next;
    if (response.status === 400 && (await response.clone().json().catch(() => ({}))).code === "invalid_cursor") {
      // A cursor the server no longer knows: start again from nothing, which is always safe.
      cursor = "";
      next = pullRequest(cursor, FIRST_PAGE);
      continue;
    }
    if (!response.ok) throw new RetryLater(`pull: HTTP ${response.status}`);
    const page = await response.json();
    // Held from now on (stored with the page): the next page, asked for below, need not bring them again.
    if (page.rules) state.rules = page.rules;
    // The next page travels while this one is stored.
    next = page.more ? pullRequest(page.cursor, PULL_LIMIT) : null;
    await storePage(page);
    cursor = page.cursor;
    if (page.rules) changed("rules");
    changed("pull");
    if (!page.more) break;
  }
}

/* The rep's language, for the server's texts (KPI cards): set on the server when the rep chose another one in
   Settings, at the first sync after the choice. Without a choice made on this phone, the app speaks the rep's
   language (app.js): a browser set to another language does not send every KPI card again. */
async function sendLanguage() {
  if (!state.me || !storedLanguage() || state.me.language === language()) return;
  const response = await api("/api/me", {
    method: "PATCH",
    body: JSON.stringify({ language: language() }),
    headers: { "Content-Type": "application/json" },
  });
  if (!response.ok) throw new RetryLater(`language: HTTP ${response.status}`);
  state.me = await response.json();
  await writeMeta("user", state.me);
}

/* One tab of the app syncs at a time (Web Locks, shared by the tabs of this site): a second tab would otherwise push
   ops the first already sent, or its own stale copy of an op the first rebased. */
function oneTabAtATime(work) {
  return navigator.locks ? navigator.locks.request("fieldsales-sync", work) : work();
}

/* Takes a queued op back (an Undo) if it has not gone out: under the sync's lock, so that no push of this tab or
   another is sending it meanwhile. True when it was taken back. */
export function withdraw(op) {
  return oneTabAtATime(() => dropUnsent(op));
}

async function once() {
  state.sync.running = true;
  changed("sync");
  try {
    await oneTabAtATime(async () => {
      await reloadOutbox();
      await push();
      await sendLanguage();
      await pull();
    });
    failures = 0;
    state.sync.error = null;
    state.sync.authRequired = false;
    state.sync.lastSync = new Date().toISOString();
    await transact(["meta"], "readwrite", (s) => put(s.meta, state.sync.lastSync, "lastSync"));
    // The network is free again: the service worker may fetch the map's files now (it skips what it has).
    navigator.serviceWorker?.controller?.postMessage("cache-later");
    schedule(POLL_MS);
  } catch (error) {
    if (error instanceof SignInRequired) {
      state.sync.authRequired = true;
    } else {
      state.sync.error = String(error.message || error);
      // The growing delay, or longer if the server asked for it (busy: 503 with Retry-After).
      const delay = Math.max(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)], (error.after || 0) * 1000);
      failures += 1;
      schedule(delay * (0.8 + Math.random() * 0.4));
      if (!(error instanceof RetryLater)) console.error(error);
    }
  } finally {
    state.sync.running = false;
    changed("sync");
  }
}

function schedule(delay) {
  clearTimeout(timer);
  timer = setTimeout(syncNow, delay);
}

/* Syncs now, or right after the sync under way. */
export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  running = once().finally(() => {
    running = null;
    if (again) {
      again = false;
      syncNow();
    }
  });
  return running;
}

export function startSync() {
  meterData(() => changed("usage"));
  // Photos waiting for Wi-Fi or a charger go as soon as either comes.
  watchPhotoConditions(() => syncNow());
  window.addEventListener("online", () => {
    state.sync.online = true;
    failures = 0;
    syncNow();
  });
  window.addEventListener("offline", () => {
    state.sync.online = false;
    changed("sync");
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncNow();
  });
  return syncNow();
}
