/* What the rep pays for: the data the app's sync uses, this day and this month, and photos held back until Wi-Fi
   or a charger, for reps who choose it (Settings). Kept in localStorage: a few numbers, read synchronously. */
const USAGE_KEY = "fieldsales.dataUsed";
const PHOTOS_KEY = "fieldsales.photosWait";

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return { day: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`, month: `${now.getFullYear()}-${pad(now.getMonth() + 1)}` };
}

/* Bytes used today and this month (the counters start again with each day and each month). */
export function dataUsed() {
  const { day, month } = today();
  let stored = {};
  try {
    stored = JSON.parse(localStorage.getItem(USAGE_KEY)) || {};
  } catch {
    stored = {};
  }
  return { day: stored.day === day ? stored.dayBytes || 0 : 0, month: stored.month === month ? stored.monthBytes || 0 : 0 };
}

export function countBytes(bytes) {
  if (!(bytes > 0)) return;
  const { day, month } = today();
  const used = dataUsed();
  localStorage.setItem(USAGE_KEY, JSON.stringify({ day, dayBytes: used.day + bytes, month, monthBytes: used.month + bytes }));
}

/* Counts what the server's answers to the API cost over the network (compressed, headers included); what the
   requests send is counted by the app's fetch wrapper (lib/sync.js). */
export function meterData(onCount = () => {}) {
  if (!("PerformanceObserver" in window)) return;
  new PerformanceObserver((list) => {
    const bytes = list
      .getEntries()
      .filter((entry) => new URL(entry.name, location.href).pathname.startsWith("/api/"))
      .reduce((sum, entry) => sum + (entry.transferSize || 0), 0);
    if (bytes) {
      countBytes(bytes);
      onCount();
    }
  }).observe({ type: "resource", buffered: false });
}

export function photosWaitChosen() {
  return localStorage.getItem(PHOTOS_KEY) === "on";
}

export function choosePhotosWait(on) {
  if (on) localStorage.setItem(PHOTOS_KEY, "on");
  else localStorage.removeItem(PHOTOS_KEY);
}

/* Whether photos wait now: the rep chose it, and the browser tells that the phone is on mobile data (the connection's
   type, where the browser gives it; else the rep's data saver) and not charging. A browser that cannot tell sends
   them. */
export async function photosMustWait() {
  if (!photosWaitChosen()) return false;
  const connection = navigator.connection;
  const metered = connection?.type ? ["cellular", "bluetooth", "wimax"].includes(connection.type) : Boolean(connection?.saveData);
  if (!metered) return false;
  const battery = navigator.getBattery ? await navigator.getBattery().catch(() => null) : null;
  return !battery?.charging;
}

/* Calls `onChange` when the connection's type or the charging state changes: photos may go then. */
export function watchPhotoConditions(onChange) {
  navigator.connection?.addEventListener?.("change", onChange);
  if (navigator.getBattery) navigator.getBattery().then((battery) => battery.addEventListener("chargingchange", onChange), () => null);
}
