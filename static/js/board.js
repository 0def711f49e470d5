/* The supervisors' live board (/board/): today's visits of the reps they follow, on a map, in a table and as
   totals. Painted from the JSON endpoint, then kept live by the board socket. Messages sent while the socket is
   down are lost, so each time it opens the JSON is read again; a visit's version grows with each order and with
   its end, so whichever of the two arrives last, the newer summary is kept. A supervisor may choose one rep (the
   live messages of the others are then left out) or another day (shown as it stands, without the socket). */
import { formatMoney } from "./lib/format.js";
import { gettext, interpolate, loadLanguage, ngettext } from "./lib/i18n.js";
import { plannedRouteKm } from "./lib/plan.js";
import { el } from "./views/dom.js";

const TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const ABIDJAN = [5.345, -4.024];
const RECONNECT_S = [1, 2, 5, 10, 30, 60];
// Never re-read the day sooner than this after the last time: a clock ahead of the server's would loop.
const MIN_DAY_WAIT_MS = 60_000;
// After a live message, plan against done is read again once the messages of a burst are in.
const PLAN_WAIT_MS = 1500;

/* The JSON's query for the day and rep chosen: today and every rep when none is. */
export function visitsQuery({ day = "", rep = "" }) {
  const query = new URLSearchParams();
  if (day) query.set("day", day);
  if (rep) query.set("rep", rep);
  const text = query.toString();
  return text ? `?${text}` : "";
}

/* Whether a live message's visit belongs on the board: its rep is the one chosen (if any) and it was checked in
   during the board's day (`from` to `until`, in ms; a message may arrive after midnight). */
export function shown({ rep = "", from = -Infinity, until = Infinity }, visit) {
  const at = Date.parse(visit.checked_in_at);
  return (!rep || String(visit.rep_id) === String(rep)) && at >= from && at < until;
}

/* Adds or replaces each incoming visit unless the one held is newer. */
export function merge(held, incoming) {
  for (const visit of incoming) {
    const current = held.get(visit.id);
    if (!current || current.version <= visit.version) held.set(visit.id, visit);
  }
  return held;
}

/* Visits done and in progress, and the order value in cents (summed whole, as the server rounds each order). */
export function totals(visits) {
  let done = 0;
  let cents = 0;
  for (const visit of visits) {
    if (visit.ended_at) done += 1;
    cents += Math.round(Number(visit.order_total) * 100);
  }
  return { done, open: visits.length - done, cents };
}

/* Seconds to wait before the next attempt, after `failures` attempts in a row that never opened. */
export function reconnectDelay(failures) {
  return RECONNECT_S[Math.min(failures, RECONNECT_S.length - 1)];
}

function latestFirst(visits) {
  return [...visits].sort((a, b) => Date.parse(b.checked_in_at) - Date.parse(a.checked_in_at));
}

/* The board's state: the page's nodes, the visits held by id, the map, and how the server's amounts and times read. */
function boardOf(root) {
  const lang = document.documentElement.lang;
  const { currency, timeZone, day, rep, moveUrl } = root.dataset;
  const body = document.getElementById("board-rows");
  return {
    root,
    lang,
    day,
    rep,
    from: -Infinity,
    until: Infinity,
    held: new Map(),
    plan: [],
    planTimer: null,
    openMissed: new Set(),
    moveUrl: moveUrl || "",
    status: document.getElementById("board-status"),
    body,
    empty: body.querySelector(".empty"),
    map: drawMap(document.getElementById("board-map")),
    dayTimer: null,
    money: (amount) => `${formatMoney(amount, lang)} ${currency}`,
    time: (iso) => {
      const options = { hour: "2-digit", minute: "2-digit" };
      try {
        return new Date(iso).toLocaleTimeString(lang, { ...options, timeZone });
      } catch {
        return new Date(iso).toLocaleTimeString(lang, options);
      }
    },
  };
}

/* What the supervisor reads of a check-in the server flagged as doubtful (workflows.services.checkin_flags): the
   server judges, the board only says it in the supervisor's words. */
export function checkinFlagTexts(flags = [], lang = "en") {
  return flags.flatMap((flag) => {
    if (flag.code === "too_fast") {
      const km = Number(flag.km).toLocaleString(lang);
      return [interpolate(gettext("%(km)s km from the check-in before in %(minutes)s min (%(kmh)s km/h)"), { ...flag, km })];
    }
    if (flag.code === "inaccurate") {
      return [
        interpolate(gettext("GPS accuracy %(accuracy)s m, wider than the %(radius)s m radius"), {
          accuracy: flag.accuracy_m,
          radius: flag.radius_m,
        }),
      ];
    }
    return [];
  });
}

function km(board, metres) {
  return (metres / 1000).toLocaleString(board.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/* Which reps' missed visits the supervisor opened: they stay open when live messages paint the board again. */
function toggled(board, repId, open) {
  if (open) board.openMissed.add(repId);
  else board.openMissed.delete(repId);
}

/* One rep's plan against done (workflows.coverage: the server counts), with each missed client and, for whoever may
   move it, a link to plan it on another day. */
function planRow(board, repDay) {
  const coverage = repDay.coverage == null ? "—" : `${repDay.coverage.toLocaleString(board.lang)} %`;
  const missed = repDay.planned.filter((stop) => !stop.done);
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  return el("tr", { "data-rep": repDay.rep_id }, [
    el("th", { scope: "row" }, [
      repDay.rep_name,
      missed.length
        ? el("details", { class: "missed", open: board.openMissed.has(repDay.rep_id), ontoggle: (event) => toggled(board, repDay.rep_id, event.target.open) }, [
            el("summary", {}, interpolate(ngettext("%(count)s missed planned visit", "%(count)s missed planned visits", missed.length), { count: missed.length })),
            el(
              "ul",
              { "aria-label": gettext("Missed planned visits") },
              missed.map((stop) =>
                el("li", {}, [
                  stop.client_name,
                  board.moveUrl
                    ? el("a", { href: `${board.moveUrl}${stop.plan_id}/move/?day=${repDay.day}&next=${next}` }, gettext("Move to another day"))
                    : null,
                ]),
              ),
            ),
          ])
        : null,
    ]),
    el("td", { class: "amount" }, String(repDay.planned.length)),
    el("td", { class: "amount" }, String(repDay.done)),
    el("td", { class: "amount" }, String(repDay.missed)),
    el("td", { class: "amount" }, String(repDay.unplanned.length)),
    el("td", { class: "amount coverage" }, coverage),
    el("td", { class: "amount" }, repDay.planned.length ? km(board, plannedRouteKm(repDay.start, repDay.planned) * 1000) : "—"),
    el("td", { class: "amount" }, km(board, repDay.walked_m)),
  ]);
}

function paintPlan(board) {
  const body = document.getElementById("plan-rows");
  if (!body) return;
  // The server sends only the reps with a planned client or a visit that day.
  const empty = el("tr", { class: "empty" }, el("td", { colspan: 8 }, body.dataset.empty));
  body.replaceChildren(...(board.plan.length ? board.plan.map((repDay) => planRow(board, repDay)) : [empty]));
}

function visitRow(board, visit) {
  const doubts = checkinFlagTexts(visit.checkin_flags, board.lang);
  return el("tr", { class: visit.ended_at ? "finished" : "in-progress", "data-visit": visit.id }, [
    el("td", {}, visit.rep_name),
    el("td", {}, [
      visit.client_name,
      ...doubts.map((text) => el("span", { class: "checkin-flag" }, `⚠ ${gettext("Check-in to verify")}: ${text}`)),
    ]),
    el("td", {}, el("time", { datetime: visit.checked_in_at }, board.time(visit.checked_in_at))),
    el("td", {}, visit.ended_at ? gettext("Finished") : gettext("In progress")),
    el("td", { class: "amount" }, board.money(visit.order_total)),
  ]);
}

function paint(board) {
  const visits = latestFirst(board.held.values());
  const sums = totals(visits);
  document.getElementById("total-done").textContent = sums.done.toLocaleString(board.lang);
  document.getElementById("total-open").textContent = sums.open.toLocaleString(board.lang);
  document.getElementById("total-orders").textContent = board.money(sums.cents / 100);
  board.body.replaceChildren(...(visits.length ? [] : [board.empty]), ...visits.map((visit) => visitRow(board, visit)));
  if (board.map) board.map.show(visits);
  paintPlan(board);
}

/* Reads the day's visits again (`replace`: a new day, the old one's go). */
async function resync(board, { replace = false } = {}) {
  let response;
  try {
    const url = board.root.dataset.visitsUrl + visitsQuery(board);
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch {
    return; // No network: the socket's next opening reads again.
  }
  if (response.redirected || response.status === 403) {
    // Signed out, or no longer a supervisor: the page itself says so (the sign-in page, or its refusal).
    window.location.reload();
    return;
  }
  if (!response.ok) return;
  const data = await response.json();
  if (replace) board.held.clear();
  merge(board.held, data.visits);
  board.plan = data.plan || [];
  board.from = Date.parse(data.from);
  board.until = Date.parse(data.until);
  clearTimeout(board.dayTimer);
  // At midnight (the server's), the live board starts the new day empty; another day's stays as it is.
  if (!board.day) board.dayTimer = setTimeout(() => resync(board, { replace: true }), Math.max(MIN_DAY_WAIT_MS, board.until - Date.now()));
  paint(board);
}

function connect(board, failures) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}${board.root.dataset.socketPath}`);
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    board.status.textContent = gettext("Live");
    resync(board);
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    // The server's channel layer was down a while: what it could not send is read again.
    if (message.type === "resync") resync(board);
    if (message.type !== "visits") return;
    merge(board.held, message.visits.filter((visit) => shown(board, visit)));
    paint(board);
    // A visit may move plan against done: the server counts it again.
    clearTimeout(board.planTimer);
    board.planTimer = setTimeout(() => resync(board), PLAN_WAIT_MS);
  });
  socket.addEventListener("close", () => {
    board.status.textContent = gettext("Reconnecting…");
    const count = opened ? 0 : failures;
    // A socket that never opens may be a session that ended: reading the JSON tells, and sends to sign-in.
    if (!opened) resync(board);
    setTimeout(() => connect(board, count + 1), reconnectDelay(count) * 1000);
  });
}

function start(root) {
  const board = boardOf(root);
  paint(board);
  resync(board);
  // Another day than today: nothing live to hear of it.
  if (!board.day) connect(board, 0);
}

/* Markers by visit: amber while in progress, green once finished. Only the tiles need a network. */
function drawMap(node) {
  if (!window.L) return null;
  const L = window.L;
  const map = L.map(node).setView(ABIDJAN, 12);
  L.tileLayer(TILES, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  const markers = new Map();
  let fitted = false;
  return {
    show(visits) {
      const points = [];
      for (const visit of visits) {
        if (visit.lat == null || visit.lng == null) continue;
        const style = { radius: 8, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: visit.ended_at ? "#0e6b4f" : "#b26a00" };
        let marker = markers.get(visit.id);
        if (!marker) {
          marker = L.circleMarker([visit.lat, visit.lng], style).addTo(map);
          markers.set(visit.id, marker);
        }
        marker.setStyle(style).bindTooltip(`${visit.rep_name} — ${visit.client_name}`);
        points.push([visit.lat, visit.lng]);
      }
      const shown = new Set(visits.map((visit) => visit.id));
      for (const [id, marker] of markers) {
        if (!shown.has(id)) {
          marker.remove();
          markers.delete(id);
        }
      }
      if (!fitted && points.length) {
        map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
        fitted = true;
      }
    },
  };
}

// Imported by Node's tests for its pure functions: no page there.
const root = typeof document === "undefined" ? null : document.getElementById("board");
if (root) {
  loadLanguage(document.documentElement.lang)
    .catch(() => {}) // The board stays usable in English.
    .then(() => start(root));
}
