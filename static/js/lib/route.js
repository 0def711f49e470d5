/* Today's route on the phone: the order in which to visit the day's planned clients from where the rep stands, worked
   out again when the rep moves on. A tour that is short, not the shortest (which no phone can afford for 60 stops):
   nearest neighbour first, then, while either shortens it, 2-opt (reversing a stretch of the route) and or-opt
   (moving one to three stops elsewhere). 2-opt alone left some days 17% longer than the shortest; with or-opt, none
   of the tests' went beyond 10%. The route is open: the rep does not come back to where they started. Clients
   without a position go last, in the order given. */
import { distanceM } from "./geo.js";

// Enough rounds of 2-opt for a day's stops; each round that improves nothing ends it sooner.
const MAX_ROUNDS = 50;

function located(stop) {
  return stop && Number.isFinite(stop.lat) && Number.isFinite(stop.lng);
}

/* The order (indices into `stops`) to visit `stops` in, starting from `start` ({lat, lng}; none: from the first
   stop with a position). */
export function routeOrder(start, stops) {
  const placed = stops.map((stop, index) => index).filter((index) => located(stops[index]));
  const unplaced = stops.map((stop, index) => index).filter((index) => !located(stops[index]));
  if (placed.length < 2) return [...placed, ...unplaced];
  const origin = located(start) ? start : null;
  // Points: 0 is the start (when known), then the placed stops; the matrix once, each pair once.
  const points = origin ? [origin, ...placed.map((index) => stops[index])] : placed.map((index) => stops[index]);
  const size = points.length;
  const dist = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const metres = distanceM(points[i], points[j]);
      dist[i * size + j] = metres;
      dist[j * size + i] = metres;
    }
  }
  const path = nearestNeighbour(dist, size);
  const d = (a, b) => dist[a * size + b];
  for (let round = 0; round < MAX_ROUNDS && (twoOpt(path, d) || orOpt(path, d)); round++);
  const first = origin ? 1 : 0;
  return [...path.slice(first).map((point) => placed[point - first]), ...unplaced];
}

function nearestNeighbour(dist, size) {
  const path = [0];
  const left = new Set(Array.from({ length: size - 1 }, (_, index) => index + 1));
  while (left.size) {
    const from = path[path.length - 1];
    let best = -1;
    for (const candidate of left) {
      if (best < 0 || dist[from * size + candidate] < dist[from * size + best]) best = candidate;
    }
    path.push(best);
    left.delete(best);
  }
  return path;
}

/* One pass reversing path[i..k] wherever that shortens the route (the first point stays: it is where the rep
   stands); whether one did. */
function twoOpt(path, d) {
  let improved = false;
  for (let i = 1; i < path.length - 1; i++) {
    for (let k = i + 1; k < path.length; k++) {
      const next = k + 1 < path.length ? path[k + 1] : -1;
      const before = d(path[i - 1], path[i]) + (next >= 0 ? d(path[k], next) : 0);
      const after = d(path[i - 1], path[k]) + (next >= 0 ? d(path[i], next) : 0);
      if (after < before - 1e-6) {
        for (let a = i, b = k; a < b; a++, b--) [path[a], path[b]] = [path[b], path[a]];
        improved = true;
      }
    }
  }
  return improved;
}

/* The first move of a stretch of one to three stops elsewhere in the route (as it is, or reversed) that shortens it;
   whether there was one. */
function orOpt(path, d) {
  const n = path.length;
  for (let length = 1; length <= 3; length++) {
    for (let i = 1; i + length <= n; i++) {
      const first = path[i];
      const last = path[i + length - 1];
      const prev = path[i - 1];
      const next = i + length < n ? path[i + length] : -1;
      const removed = d(prev, first) + (next >= 0 ? d(last, next) - d(prev, next) : 0);
      for (let j = 0; j < n; j++) {
        if (j >= i - 1 && j < i + length) continue;
        const after = j + 1 < n ? path[j + 1] : -1;
        const joined = after >= 0 ? d(path[j], after) : 0;
        const forward = d(path[j], first) + (after >= 0 ? d(last, after) : 0) - joined;
        const backward = d(path[j], last) + (after >= 0 ? d(first, after) : 0) - joined;
        if (Math.min(forward, backward) < removed - 1e-6) {
          const stretch = path.splice(i, length);
          if (backward < forward) stretch.reverse();
          path.splice(j < i ? j + 1 : j + 1 - length, 0, ...stretch);
          return true;
        }
      }
    }
  }
  return false;
}

/* The route's length in metres: from `start` (when known) through the stops with a position, in `order`. */
export function routeLength(start, stops, order) {
  const points = [...(located(start) ? [start] : []), ...order.map((index) => stops[index]).filter(located)];
  let metres = 0;
  for (let i = 1; i < points.length; i++) metres += distanceM(points[i - 1], points[i]);
  return metres;
}
