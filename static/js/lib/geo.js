/* Distances and the device's position. */
// The mean Earth radius of fieldsales/geo.py: distances on the phone and the server agree to the millimetre.
export const EARTH_RADIUS_M = 6371008.8;

export function distanceM(a, b) {
  if (a?.lat == null || a?.lng == null || b?.lat == null || b?.lng == null) return null;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/* A distance as the page's language writes it: "850 m", "1.5 km" in English, "1,5 km" in French. */
export function formatDistance(metres, lang = typeof document === "undefined" ? "en" : document.documentElement.lang) {
  if (metres == null) return "";
  if (metres < 1000) return `${Math.round(metres)} m`;
  const km = (Math.round(metres / 100) / 10).toLocaleString(lang || "en", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return `${km} km`;
}

/* One reading of the position, or null when it is refused, unavailable or too slow. */
export function currentPosition({ timeout = 10000, maximumAge = 30000 } = {}) {
  return new Promise((resolve) => {
    if (!("geolocation" in navigator)) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: p.coords.accuracy, at: p.timestamp }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

// Why the app's watch has no position: "denied" (the rep refused location to the app), "unavailable" (location is off
// or finds nothing) or "timeout"; null while a reading comes or came. The check-in tells the rep what to do for each.
const PROBLEMS = { 1: "denied", 2: "unavailable", 3: "timeout" };
let problem = null;
// The app's watch, for watchAgain: a watch the rep refused once gets no more readings, even once location is allowed.
let watching = null;

export function positionProblem() {
  return problem;
}

/* Calls `onPosition` with each new position while the position is granted, null when a reading fails
   (positionProblem says why). */
export function watchPosition(onPosition) {
  if (!("geolocation" in navigator)) {
    problem = "unavailable";
    return () => {};
  }
  const start = () =>
    navigator.geolocation.watchPosition(
      (p) => {
        problem = null;
        onPosition({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: p.coords.accuracy, at: p.timestamp });
      },
      (error) => {
        problem = PROBLEMS[error.code] || "unavailable";
        onPosition(null);
      },
      { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
    );
  watching = { start, id: start() };
  return () => navigator.geolocation.clearWatch(watching.id);
}

/* Asks for the position afresh (Retry, once the rep has turned location on): the watch starts again. */
export function watchAgain() {
  if (!watching) return;
  navigator.geolocation.clearWatch(watching.id);
  problem = null;
  watching.id = watching.start();
}

// Where the phone last was, for the list's order at the next start until the position comes (never for a check-in).
export const LAST_POSITION_KEY = "fieldsales.lastPosition";

export function lastPosition() {
  try {
    return JSON.parse(localStorage.getItem(LAST_POSITION_KEY));
  } catch {
    return null;
  }
}

/* Keeps `position` when it is 25 m or more from the one kept; returns the one kept now. */
export function rememberPosition(position, kept) {
  if (!position || (kept && distanceM(position, kept) <= 25)) return kept;
  const remembered = { lat: position.lat, lng: position.lng };
  localStorage.setItem(LAST_POSITION_KEY, JSON.stringify(remembered));
  return remembered;
}

export function directionsUrl(lat, lng) {
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lng}`;
}
