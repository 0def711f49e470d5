/* The rep's socket: the server says "changed" as soon as a change to the rep's data commits, and the app pulls then
instead of at its next poll. The 5-minute poll of sync.js stays for whatever this misses.

Open while the app is signed in and online; after a drop it comes back with a growing delay, or at once when the
browser comes back online. Each (re)opening pulls, for what changed while it was closed. Without WebSocket the app
simply polls.
*/
import { state } from "./state.js";
import { syncNow } from "./sync.js";

const BACKOFF_MS = [1000, 2000, 5000, 10000, 30000, 60000];

let socket = null;
let failures = 0;
let timer = null;

function address() {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/rep/`;
}

function connect() {
  clearTimeout(timer);
  timer = null;
  // An ended session is the sync loop's to report; signing in again reloads the app, and this with it.
  if (socket || !navigator.onLine || state.sync.authRequired) return;
  const current = new WebSocket(address());
  socket = current;
  current.addEventListener("open", () => {
    failures = 0;
    state.sync.live = true;
    syncNow();
  });
  current.addEventListener("message", (event) => {
    let message = null;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message?.type === "changed") syncNow();
  });
  current.addEventListener("close", () => {
    if (socket !== current) return;
    socket = null;
    state.sync.live = false;
    if (!navigator.onLine) return; // "online" reconnects.
    const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
    failures += 1;
    timer = setTimeout(connect, delay * (0.8 + Math.random() * 0.4));
  });
}

export function startLive() {
  if (typeof WebSocket === "undefined") return;
  window.addEventListener("online", () => {
    failures = 0;
    connect();
  });
  window.addEventListener("offline", () => socket?.close());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") connect();
  });
  connect();
}
