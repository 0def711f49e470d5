/* The client list: Synced / Pending tabs, search over important attributes, a filter sheet over every
   attribute, nearest first when the position is known (alphabetical otherwise), 25 at a time; Start visit for the
   one selected client, and the visit in progress with Finish visit. */
import { activityBlocked, canCreate } from "../lib/access.js";
import { FIRST_SCREEN_KEY } from "../lib/db.js";
import { distanceM, formatDistance, rememberPosition } from "../lib/geo.js";
import { gettext, interpolate, localized, ngettext } from "../lib/i18n.js";
import { display, isEmpty } from "../lib/schema.js";
import { events, state } from "../lib/state.js";
import { fold } from "../lib/text.js";
import { currentVisit } from "../lib/visits.js";
import { el, icon, sheet } from "./dom.js";
import { openMenu } from "./menu.js";
import { bar, finishButton, syncMark } from "./shared.js";

const PAGE = 25;
// Re-sorting 10,000 clients for every GPS jitter is wasted work: only a real move re-sorts the list.
const RESORT_AFTER_M = 25;

// Each tab's address: "#/clients/pending" opens the list on Pending (after New client → Submit, where the client is).
const TAB_HASH = { synced: "#/clients", pending: "#/clients/pending" };

const view = {
  tab: "synced",
  query: "",
  filters: {},
  selected: new Set(),
  limit: PAGE,
};
let sorted = null;
let sortedAt = null;
let sortedFor = null;

/* Attributes of every list the rep holds, by key, for the filter sheet. */
export function filterableAttributes() {
  const byKey = new Map();
  for (const list of state.lists.values()) {
    for (const attribute of list.data.attributes || []) {
      if (attribute.type === "photo" || byKey.has(attribute.key)) continue;
      byKey.set(attribute.key, attribute);
    }
  }
  return [...byKey.values()];
}

function sortRows() {
  // Until the phone has its position, where it last was: the order the rep left, that early.js painted.
  const position = state.position || state.lastPosition;
  const moved = !sortedAt !== !position || (position && distanceM(position, sortedAt) > RESORT_AFTER_M);
  if (sorted && sortedFor === state.clientsVersion && !moved) return sorted;
  const rows = [...state.clients.values()];
  if (position) {
    for (const row of rows) row.distance = distanceM(position, row);
    rows.sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity));
  } else {
    // A key per row and plain comparisons: a collator's compare, 130,000 times for 10,000 clients, takes a slow phone
    // half a second. Accents and case aside, numbers in order ("Kiosque 9" before "Kiosque 10").
    for (const row of rows) {
      row.distance = null;
      row.sortKey ??= fold(row.name || "").replace(/\d+/g, (digits) => digits.padStart(12, "0"));
    }
    rows.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  }
  sorted = rows;
  sortedAt = position;
  sortedFor = state.clientsVersion;
  return rows;
}

function matchesFilter(row, key, filter) {
  const value = row.fields.attributes?.[key];
  switch (filter.kind) {
    case "choice":
      return Array.isArray(value) ? value.includes(filter.value) : value === filter.value;
    case "boolean":
      return Boolean(value) === (filter.value === "yes");
    case "range": {
      if (isEmpty(value)) return false;
      const number = Number(value);
      return (filter.min === "" || number >= Number(filter.min)) && (filter.max === "" || number <= Number(filter.max));
    }
    case "dates":
      return !isEmpty(value) && (!filter.min || value >= filter.min) && (!filter.max || value <= filter.max);
    default:
      return fold(value).includes(fold(filter.value));
  }
}

// The last search's answer: a query typed further only narrows it, so each keystroke scans what still matched.
let lastMatch = { rows: null, query: null, filters: null, result: null };
// Each sorted row's search text, read once per order: a keystroke then scans plain strings, 10,000 of them on a slow
// phone in a few milliseconds.
let texts = { rows: null, of: new Map() };

function searchTextsOf(rows) {
  if (texts.rows !== rows) texts = { rows, of: new Map(rows.map((row) => [row, row.search])) };
  return texts.of;
}

export function matchingRows() {
  const rows = sortRows();
  const query = fold(view.query).trim();
  const filtersKey = JSON.stringify(view.filters);
  const narrowing = lastMatch.rows === rows && lastMatch.filters === filtersKey && lastMatch.query !== null && query.startsWith(lastMatch.query);
  const tokens = query.split(/\s+/).filter(Boolean);
  const filters = Object.entries(view.filters);
  let result = narrowing ? lastMatch.result : rows;
  if (tokens.length) {
    const of = searchTextsOf(rows);
    const found = [];
    for (const row of result) {
      const text = of.get(row);
      let all = true;
      for (const token of tokens) if (!text.includes(token)) all = false;
      if (all) found.push(row);
    }
    result = found;
  }
  if (filters.length) result = result.filter((row) => filters.every(([key, filter]) => matchesFilter(row, key, filter)));
  lastMatch = { rows, query, filters: filtersKey, result };
  return result;
}

function subtitle(row) {
  const attributes = (row.list?.data.attributes || []).filter((a) => a.important && !isEmpty(row.fields.attributes?.[a.key]));
  return attributes.map((a) => display(a, row.fields.attributes[a.key])).join(" · ");
}

// The cards drawn, by row: a keystroke that keeps a row in the first 25 moves its card instead of making another, and
// the phone lays out only what changed.
let cards = new WeakMap();

function cardOf(row) {
  const key = `${view.selected.has(row.id)}|${row.distance}`;
  const kept = cards.get(row);
  if (kept && kept.key === key) return kept.node;
  const node = card(row);
  cards.set(row, { key, node });
  return node;
}

// What a card says of a visit, note or statement that waits on the phone: the client itself stays where it is.
const WAITING = {
  visit: () => gettext("Visit waiting"),
  note: () => gettext("Note waiting"),
  statement: () => gettext("Statement waiting"),
};

function waitingMarks(row) {
  if (!row.waiting.length) return null;
  return el("span", { class: "client-waiting" }, row.waiting.map((kind) => el("span", { class: "waiting" }, WAITING[kind]())));
}

function card(row) {
  const selected = view.selected.has(row.id);
  return el("li", { class: `client${selected ? " selected" : ""}`, "data-id": row.id }, [
    el(
      "button",
      {
        class: "client-main",
        "aria-pressed": String(selected),
        onclick: (event) => {
          const item = event.currentTarget.closest("li");
          if (view.selected.has(row.id)) view.selected.delete(row.id);
          else view.selected.add(row.id);
          const on = view.selected.has(row.id);
          item.classList.toggle("selected", on);
          event.currentTarget.setAttribute("aria-pressed", String(on));
          selectionBar();
        },
      },
      [
        el("span", { class: "client-name" }, row.fields.name || ""),
        el("span", { class: "client-sub" }, subtitle(row)),
        row.distance != null ? el("span", { class: "client-distance" }, formatDistance(row.distance)) : null,
        syncMark(row),
        waitingMarks(row),
      ],
    ),
    el(
      "button",
      {
        class: "icon-button more",
        "aria-label": interpolate(gettext("Actions for %(name)s"), { name: row.fields.name || "" }),
        onclick: () => openMenu(row.id),
      },
      "⋮",
    ),
  ]);
}

let container = null;

function selectionBar() {
  const bar = container?.querySelector(".selection");
  if (!bar) return;
  const count = view.selected.size;
  bar.hidden = count === 0;
  bar.querySelector("span").textContent = interpolate(ngettext("%(count)s selected", "%(count)s selected", count), { count });
  // One client selected: its check-in is a tap away.
  const start = bar.querySelector(".start-visit");
  const [only] = view.selected;
  start.hidden = count !== 1 || !state.clients.has(only) || activityBlocked(only);
  if (!start.hidden) start.setAttribute("href", `#/visit/start/${only}`);
}

/* The visit in progress, with Finish visit, at the top of the clients tab. */
function visitBanner() {
  const node = container?.querySelector(".visit-banner");
  if (!node) return;
  const visit = currentVisit(state);
  node.hidden = !visit;
  if (!visit) return node.replaceChildren();
  const name = state.clients.get(visit.client)?.fields.name || "";
  node.replaceChildren(
    el("span", {}, interpolate(gettext("Visit in progress at %(client)s"), { client: name })),
    el("a", { class: "button secondary", href: `#/visit/${visit.id}` }, gettext("Continue")),
    finishButton(visit),
  );
}

function filterChips() {
  const attributes = new Map(filterableAttributes().map((a) => [a.key, a]));
  return Object.entries(view.filters).map(([key, filter]) => {
    const label = attributes.get(key) ? localized(attributes.get(key)) : key;
    let text = filter.value;
    if (filter.kind === "range" || filter.kind === "dates") text = `${filter.min || "…"} – ${filter.max || "…"}`;
    if (filter.kind === "boolean") text = filter.value === "yes" ? gettext("Yes") : gettext("No");
    return el("li", { class: "chip" }, `${label}: ${text}`);
  });
}

/* While a first sync comes in: how many of the rep's clients are on the phone, then the rest (KPI cards, history).
   Before the first answer, an indeterminate bar: never "No clients here" for a rep whose clients are on their way. */
function firstSyncProgress() {
  const node = container?.querySelector(".first-sync");
  if (!node) return false;
  const first = state.sync.firstSync;
  const waiting = !first && !state.sync.lastSync && state.clients.size === 0;
  node.hidden = !first && !waiting;
  if (node.hidden) return false;
  const number = new Intl.NumberFormat(document.documentElement.lang);
  const bar = node.querySelector("progress");
  const text = node.querySelector("span");
  if (!first) {
    bar.removeAttribute("value");
    text.textContent = gettext("Downloading your clients…");
    return true;
  }
  const total = first.totals.client || 0;
  const done = Math.min(first.received.client || 0, total);
  if (done < total) {
    bar.max = total;
    bar.value = done;
    text.textContent = interpolate(gettext("Downloading your clients: %(done)s of %(total)s"), { done: number.format(done), total: number.format(total) });
  } else {
    const sum = (counts) => Object.entries(counts).reduce((all, [type, count]) => all + (LATER.includes(type) ? count : 0), 0);
    bar.max = Math.max(1, sum(first.totals));
    bar.value = Math.min(sum(first.received), bar.max);
    text.textContent = gettext("Your clients are here. Downloading their KPIs and history…");
  }
  return true;
}

// What a first sync brings after the clients.
const LATER = ["kpi_card", "visit", "note"];

/* Keeps a copy of the list's first screen as drawn, for early.js to paint at the next cold start before any module
   has loaded. Only the plain list (no search, filter or selection) and its first rows; made when the phone is idle. */
let copyPending = false;
function keepFirstScreen() {
  if (copyPending || view.query || Object.keys(view.filters).length || view.selected.size || view.tab !== "synced") return;
  copyPending = true;
  const copy = () => {
    copyPending = false;
    const app = document.getElementById("app");
    if (!container || !app || !container.querySelector("ul.clients > li")) return;
    const snapshot = app.cloneNode(true);
    for (const node of snapshot.querySelectorAll(`ul.clients > li:nth-child(n+${PAGE + 1}), #banner > *, dialog`)) node.remove();
    snapshot.querySelector(".first-sync")?.setAttribute("hidden", "");
    try {
      localStorage.setItem(FIRST_SCREEN_KEY, snapshot.innerHTML);
    } catch {
      // A full storage only costs the next start its early paint.
    }
  };
  if ("requestIdleCallback" in window) requestIdleCallback(copy, { timeout: 1000 });
  else setTimeout(copy, 200);
}

/* The selection holds only clients the tab shows: a client that moved to the other tab (its edit now waits), or that a
   search or filter hides, is let go, and the selection bar never acts on a client the rep cannot see. */
function keepSelectionIn(shown) {
  if (!view.selected.size) return;
  const ids = new Set(shown.map((row) => row.id));
  for (const id of view.selected) if (!ids.has(id)) view.selected.delete(id);
}

function draw() {
  if (!container) return;
  const rows = matchingRows();
  const pending = rows.filter((row) => row.pending);
  const synced = rows.filter((row) => !row.pending);
  const shown = view.tab === "pending" ? pending : synced;
  keepSelectionIn(shown);
  for (const [tab, count] of [
    ["synced", synced.length],
    ["pending", pending.length],
  ]) {
    const button = container.querySelector(`[data-tab="${tab}"]`);
    button.querySelector(".count").textContent = String(count);
    button.setAttribute("aria-selected", String(view.tab === tab));
  }
  const applied = container.querySelector(".applied");
  applied.hidden = Object.keys(view.filters).length === 0;
  applied.querySelector("ul").replaceChildren(...filterChips());
  const listNode = container.querySelector(".clients");
  listNode.replaceChildren(...shown.slice(0, view.limit).map(cardOf));
  const downloading = firstSyncProgress();
  const empty = container.querySelector(".empty");
  empty.hidden = shown.length > 0 || (downloading && state.clients.size === 0);
  empty.textContent = view.tab === "pending" ? gettext("Nothing waits to be sent: every client is on the server.") : gettext("No clients here.");
  container.querySelector(".load-more").hidden = shown.length <= view.limit;
  listNode.dataset.total = String(shown.length);
  selectionBar();
  visitBanner();
  container.querySelector(".fab").hidden = !canCreate();
  if (!performance.getEntriesByName("fieldsales-first-rows").length && !window.fieldsales.firstRows) {
    window.fieldsales.firstRows = true;
    // Drawn means painted: the mark is set in the frame after the rows went in.
    requestAnimationFrame(() => setTimeout(() => performance.mark("fieldsales-first-rows"), 0));
  }
  keepFirstScreen();
}

/* One attribute's filter in the filter sheet, holding its current filter: a choice, yes or no, a range of numbers
   or dates, or text to find. */
function filterField(attribute) {
  const current = view.filters[attribute.key] || {};
  const id = `filter-${attribute.key}`;
  const label = localized(attribute);
  let input;
  if (attribute.type === "choice" || attribute.type === "multiple_choice") {
    input = el("select", { id, name: attribute.key, "data-kind": "choice" }, [
      el("option", { value: "" }, gettext("Any")),
      ...attribute.options.map((option) => el("option", { value: option, selected: current.value === option }, option)),
    ]);
  } else if (attribute.type === "boolean") {
    input = el("select", { id, name: attribute.key, "data-kind": "boolean" }, [
      el("option", { value: "" }, gettext("Any")),
      el("option", { value: "yes", selected: current.value === "yes" }, gettext("Yes")),
      el("option", { value: "no", selected: current.value === "no" }, gettext("No")),
    ]);
  } else if (attribute.type === "integer" || attribute.type === "decimal" || attribute.type === "date") {
    const type = attribute.type === "date" ? "date" : "number";
    const kind = attribute.type === "date" ? "dates" : "range";
    input = el("span", { class: "range", id, "data-kind": kind, "data-key": attribute.key }, [
      el("input", { type, name: `${attribute.key}__min`, value: current.min || "", "aria-label": interpolate(gettext("%(label)s from"), { label }) }),
      el("input", { type, name: `${attribute.key}__max`, value: current.max || "", "aria-label": interpolate(gettext("%(label)s to"), { label }) }),
    ]);
    return el("div", { class: "field" }, [el("span", { class: "label" }, label), input]);
  } else {
    input = el("input", { id, name: attribute.key, type: "search", value: current.value || "", "data-kind": "text" });
  }
  return el("div", { class: "field" }, [el("label", { for: id }, label), input]);
}

function openFilters() {
  const fields = filterableAttributes().map(filterField);
  const form = el("form", { method: "dialog" }, [
    ...fields,
    el("div", { class: "actions" }, [
      el("button", { type: "button", class: "secondary", onclick: () => { view.filters = {}; dialog.close(); } }, gettext("Clear")),
      el("button", { type: "submit", class: "primary" }, gettext("Apply")),
    ]),
  ]);
  form.addEventListener("submit", () => {
    const filters = {};
    for (const node of form.querySelectorAll("[data-kind]")) {
      const kind = node.dataset.kind;
      if (kind === "range" || kind === "dates") {
        const key = node.dataset.key;
        const min = form.elements[`${key}__min`].value;
        const max = form.elements[`${key}__max`].value;
        if (min !== "" || max !== "") filters[key] = { kind, min, max };
      } else if (node.value !== "") {
        filters[node.name] = { kind, value: node.value };
      }
    }
    view.filters = filters;
  });
  const dialog = sheet(gettext("Filter"), form, {
    onClose: () => {
      view.limit = PAGE;
      draw();
    },
  });
}

function searchInput() {
  return el("input", {
    type: "search",
    class: "search",
    "aria-label": gettext("Search"),
    placeholder: gettext("Search"),
    value: view.query,
    hidden: !view.query,
    oninput: (event) => {
      view.query = event.target.value;
      view.limit = PAGE;
      draw();
    },
  });
}

function tabButtons() {
  return ["synced", "pending"].map((tab) =>
    el(
      "button",
      {
        role: "tab",
        "data-tab": tab,
        onclick: () => {
          view.tab = tab;
          view.limit = PAGE;
          // Back from a client's page comes to this tab again.
          history.replaceState(null, "", TAB_HASH[tab]);
          draw();
        },
      },
      [tab === "synced" ? gettext("Synced") : gettext("Pending"), " ", el("span", { class: "count" }, "0")],
    ),
  );
}

/* The screen's parts, empty: draw() fills them. `more`: the mark whose showing loads the next page. */
function skeleton(search, more) {
  const toggleSearch = () => {
    search.hidden = !search.hidden;
    if (!search.hidden) search.focus();
  };
  return [
    bar(gettext("Clients"), null, el("button", { class: "icon-button", "aria-label": gettext("Search"), onclick: toggleSearch }, icon("search"))),
    el("div", { class: "banner visit-banner", role: "status", hidden: true }),
    search,
    el("div", { class: "applied", hidden: true }, [
      el("span", {}, gettext("Filter:")),
      el("ul", { class: "chips" }),
      el("button", { class: "link", onclick: () => { view.filters = {}; draw(); } }, gettext("Clear")),
    ]),
    el("div", { role: "tablist", class: "tabs" }, tabButtons()),
    el("div", { class: "toolbar" }, [el("button", { class: "secondary", onclick: openFilters }, gettext("Filter"))]),
    el("div", { class: "selection", hidden: true }, [
      el("span", {}),
      el("a", { class: "button primary start-visit", hidden: true }, gettext("Start visit")),
      el("button", { class: "link", onclick: () => { view.selected.clear(); draw(); } }, gettext("Clear selection")),
    ]),
    el("div", { class: "first-sync", role: "status", hidden: true }, [el("span", {}), el("progress", { max: 1 })]),
    el("ul", { class: "clients", "aria-label": gettext("Clients") }),
    el("p", { class: "empty", hidden: true }, gettext("No clients here.")),
    more,
    el("a", { class: "fab", href: "#/new", hidden: true }, gettext("New client")),
  ];
}

function onStoreChange(event) {
  if (event.detail === "position") state.lastPosition = rememberPosition(state.position, state.lastPosition);
  if (event.detail === "position" && sortedAt && state.position && distanceM(state.position, sortedAt) <= RESORT_AFTER_M) return;
  if (event.detail === "sync") {
    // The start and end of a sync change nothing on the list but the first sync's progress.
    const shown = !container.querySelector(".first-sync").hidden;
    if (firstSyncProgress() !== shown) draw();
    return;
  }
  if (event.detail === "storage" || event.detail === "me") return;
  draw();
}

export function render(main) {
  container = main;
  if (location.hash === TAB_HASH.pending) view.tab = "pending";
  else if (location.hash === TAB_HASH.synced) view.tab = "synced";
  cards = new WeakMap();
  const more = el("div", { class: "load-more", "aria-hidden": "true" });
  main.append(...skeleton(searchInput(), more));
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) {
      view.limit += PAGE;
      draw();
    }
  });
  observer.observe(more);
  events.addEventListener("change", onStoreChange);
  draw();
  return () => {
    observer.disconnect();
    events.removeEventListener("change", onStoreChange);
    container = null;
  };
}
