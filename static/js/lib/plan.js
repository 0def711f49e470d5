/* The rep's plan on the phone, offline all day: the plans pulled (each with its days of the phone's window, worked
   out by the server: workflows.planning), the day's planned clients in route order from where the rep stands, which
   are done (checked in that day), which were missed in the last days, and which of the day's visits were not
   planned. The server judges the plan against done for supervisors (workflows.coverage); the phone shows the rep
   the same day, as it stands on the phone. */
import { routeLength, routeOrder } from "./route.js";

/* The day of `date` in the phone's calendar, as the server writes plan days: YYYY-MM-DD. */
export function isoDay(date = new Date()) {
  const pad = (number) => String(number).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/* The clients the rep visited, by day: day -> client id -> when first checked in there that day. */
function visitedByDay(visits) {
  const byDay = new Map();
  for (const visit of visits) {
    if (!visit.mine || !visit.checked_in_at) continue;
    const day = isoDay(new Date(visit.checked_in_at));
    if (!byDay.has(day)) byDay.set(day, new Map());
    const first = byDay.get(day).get(visit.client);
    if (!first || visit.checked_in_at < first) byDay.get(day).set(visit.client, visit.checked_in_at);
  }
  return byDay;
}

/* What Today shows of the plan on `today` (YYYY-MM-DD): `stops`, one per client planned that day (several plans of
   one client that day are one stop), each {client, workflow, plan, done, doneAt}; `missed`, the earlier days' planned
   clients not visited that day, latest first, each {client, workflow, plan, day}; `unplanned`, the ids of the day's
   visits to clients not planned that day. `plans`: the pulled records; `visits`: visits.js's visitMap's values. */
export function dayPlan(plans, visits, today) {
  const visited = visitedByDay(visits);
  const doneToday = visited.get(today) || new Map();
  const stops = new Map();
  const missed = [];
  for (const record of plans) {
    const { client, workflow, days = [] } = record.data;
    for (const day of days) {
      if (day === today && !stops.has(client)) {
        stops.set(client, { client, workflow, plan: String(record.id), done: doneToday.has(client), doneAt: doneToday.get(client) || null });
      }
      if (day < today && !visited.get(day)?.has(client)) missed.push({ client, workflow, plan: String(record.id), day });
    }
  }
  const unplanned = visits.filter((visit) => visit.mine && visit.checked_in_at && isoDay(new Date(visit.checked_in_at)) === today && !stops.has(visit.client));
  missed.sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
  return { stops: [...stops.values()], missed, unplanned: new Set(unplanned.map((visit) => visit.id)) };
}

/* The stops still to visit in route order from `position` ({lat, lng}, or none), then those done, in the order they
   were visited; `placeOf(client)` gives a client's {lat, lng} (or nothing). */
export function inRouteOrder(stops, position, placeOf) {
  const due = stops.filter((stop) => !stop.done);
  const order = routeOrder(position, due.map((stop) => placeOf(stop.client) || {}));
  const done = stops.filter((stop) => stop.done).sort((a, b) => (a.doneAt < b.doneAt ? -1 : a.doneAt > b.doneAt ? 1 : 0));
  return [...order.map((index) => due[index]), ...done];
}

/* The kilometres of a planned day's route, as the phone would go (the route above), from `start` ([lat, lng]: the
   day's first check-in; none: from the first planned client) over the `planned` clients with a position: the
   supervisors' board and dashboard set it against the kilometres walked. */
export function plannedRouteKm(start, planned) {
  const from = start ? { lat: start[0], lng: start[1] } : null;
  const stops = planned.map((stop) => ({ lat: stop.lat ?? NaN, lng: stop.lng ?? NaN }));
  return routeLength(from, stops, routeOrder(from, stops)) / 1000;
}
