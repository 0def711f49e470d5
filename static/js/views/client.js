/* A client's details: Info (attributes with a value, then who created and edited it), History, Notes, KPIs;
   Edit details with full access, Delete (archive) with the archive right. */
import { activityBlocked, canArchive, canEdit } from "../lib/access.js";
import { readOne } from "../lib/db.js";
import { formatAmount, formatMoment, formatShortMoment } from "../lib/format.js";
import { gettext, interpolate, language, localized } from "../lib/i18n.js";
import { archiveClient } from "../lib/outbox.js";
import { display, isEmpty } from "../lib/schema.js";
import { state } from "../lib/state.js";
import { api, syncNow } from "../lib/sync.js";
import { activityName, notesOf, visitMap } from "../lib/visits.js";
import { el, fill, icon } from "./dom.js";
import { phoneLink, phoneRule } from "./phone.js";
import { QUIET_CHANGES, bar, blockedBanner, redrawOnChange, syncMark } from "./shared.js";
import { openStatement } from "./statement.js";

const SECTIONS = ["info", "history", "notes", "kpis"];

function sectionLabel(section) {
  return { info: gettext("Info"), history: gettext("History"), notes: gettext("Notes"), kpis: gettext("KPIs") }[section];
}

/* A number as the rep's language writes it, with the digits it was stored with ("13395000.50" → "13 395 000,50" in
   French). No unit is added: an attribute's label names its own ("Monthly turnover (FCFA)"). */
function formatNumber(value) {
  const places = (String(value).split(".")[1] || "").length;
  return Number.isFinite(Number(value)) ? formatAmount(value, { places }) : String(value);
}

function attributeValue(attribute, value, row) {
  if (attribute.type === "integer" || attribute.type === "decimal") return formatNumber(value);
  if (attribute.type === "phone") return phoneLink(value, attribute.rules?.phone || phoneRule(row));
  return display(attribute, value);
}

/* Who created the client and, once it was changed (a version after its first), who last changed it and when: the
   server's record names them (its `updated_by`, `updated_at`: the latest change of the client's history). */
function metaOf(row) {
  const meta = [];
  if (row.server?.created_at) {
    meta.push(
      el("p", {}, interpolate(gettext("Created by %(who)s on %(when)s"), { who: row.server.created_by || "—", when: formatMoment(row.server.created_at) })),
    );
  }
  if (row.server?.updated_at && row.version > 1) {
    meta.push(
      el("p", { class: "last-edited" }, interpolate(gettext("Last edited by %(who)s, %(when)s"), { who: row.server.updated_by || "—", when: formatShortMoment(row.server.updated_at) })),
    );
  }
  if (!row.server) meta.push(el("p", {}, gettext("Not on the server yet: it will be sent at the next sync.")));
  return meta;
}

/* Every attribute with a value, each label above its value (a long label on a phone leaves no room beside it). */
function info(row) {
  const attributes = (row.list?.data.attributes || []).filter((a) => !isEmpty(row.fields.attributes?.[a.key]));
  const items = [];
  const add = (label, value) => items.push(el("div", {}, [el("dt", {}, label), el("dd", {}, value)]));
  if (row.fields.phone) add(gettext("Phone"), phoneLink(row.fields.phone, phoneRule(row)));
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    add(localized(attribute), attributeValue(attribute, row.fields.attributes[attribute.key], row));
  }
  if (row.fields.lat != null && row.fields.lng != null) {
    const accuracy = row.fields.accuracy_m != null ? ` (± ${Math.round(row.fields.accuracy_m)} m)` : "";
    add(gettext("GPS"), `${Number(row.fields.lat).toFixed(5)}, ${Number(row.fields.lng).toFixed(5)}${accuracy}`);
  }
  return [
    row.fields.photo ? el("img", { class: "photo", src: `/api/sync/blobs/${row.fields.photo}`, alt: gettext("Photo"), loading: "lazy" }) : null,
    el("dl", { class: "attributes" }, items),
    el("footer", { class: "meta" }, metaOf(row)),
  ];
}

/* Where an order stands, as the back office moved it on (the server's record of the visit says it). */
function orderStatus(status) {
  const labels = { submitted: gettext("Submitted"), confirmed: gettext("Confirmed"), delivered: gettext("Delivered"), cancelled: gettext("Cancelled") };
  return labels[status] ? el("span", { class: `hint order-${status}` }, ` · ${labels[status]}`) : null;
}

function visitItem(visit) {
  const workflow = state.workflows.get(String(visit.workflow));
  return el("li", {}, [
    el("strong", {}, formatMoment(visit.checked_in_at)),
    " ",
    workflow ? localized(workflow.data, "name") : "",
    visit.rep ? el("span", { class: "hint" }, ` · ${visit.rep}`) : null,
    visit.pending ? syncMark(visit) : null,
    el("ul", {}, (visit.submissions || []).map((submission) => el("li", {}, [activityName(state, visit.workflow, submission.activity) || submission.activity_name || "", orderStatus(submission.status)]))),
  ]);
}

/* Visits older than the phone keeps, from the server, a page at a time, while online. */
function olderVisits(row, held) {
  const list = el("ol", { class: "history" });
  const status = el("p", { class: "hint", role: "status" });
  let next = `/api/clients/${encodeURIComponent(row.id)}/history/`;
  const button = el("button", { class: "secondary" }, gettext("Show older visits"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "";
    try {
      const response = await api(next);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = await response.json();
      list.append(...page.results.filter((visit) => !held.has(String(visit.id))).map(visitItem));
      next = page.next;
      button.hidden = !next;
      if (!list.children.length && !next) status.textContent = gettext("No older visits.");
    } catch {
      status.textContent = gettext("Older visits need a network: try again once online.");
    } finally {
      button.disabled = false;
    }
  });
  return [list, status, button];
}

function history(row) {
  const visits = [...visitMap(state).values()].filter((visit) => visit.client === row.id).sort((a, b) => (a.checked_in_at < b.checked_in_at ? 1 : -1));
  const older = olderVisits(row, new Set(visits.map((visit) => visit.id)));
  if (!visits.length) return [el("p", { class: "empty" }, gettext("No visits yet.")), ...older];
  return [el("ol", { class: "history" }, visits.map(visitItem)), ...older];
}

function notes(row) {
  const list = notesOf(state, row.id);
  if (!list.length) return [el("p", { class: "empty" }, gettext("No notes yet."))];
  return [
    el(
      "ul",
      { class: "notes" },
      list.map((note) => el("li", {}, [el("p", {}, note.text), el("p", { class: "hint" }, `${note.author || ""} · ${formatMoment(note.created_at)}`)])),
    ),
  ];
}

/* A KPI's value when the card carries no text for it: an amount with the server's currency, a number grouped. */
function kpiValue(kpi) {
  if (kpi.value == null) return "—";
  if (kpi.display === "money") return formatAmount(kpi.value, state.rules?.money);
  return Number.isFinite(Number(kpi.value)) ? formatNumber(kpi.value) : String(kpi.value);
}

/* A card's folders as [{name_en, name_fr, kpis: [{label_en, label_fr, text}]}]: from the KPI folders and the card's
   texts (sync protocol v2), or from a card pulled before it, which carried its folders. */
function cardFolders(card) {
  if (!card) return [];
  if (card.data.folders) {
    return card.data.folders.map((folder) => ({ ...folder, kpis: folder.kpis.map((kpi) => ({ ...kpi, text: localized(kpi, "text") || kpiValue(kpi) })) }));
  }
  const texts = card.data.texts || {};
  const mine = texts[language()] || Object.values(texts)[0] || {};
  return [...state.kpiFolders.values()].map((folder) => ({
    ...folder.data,
    kpis: (folder.data.kpis || []).map((kpi) => ({ ...kpi, text: mine[kpi.key] ?? "—" })),
  }));
}

/* The KPI folders as tabs, in alphabetical order of their name in the rep's language. The card is read from the
   phone when shown: cards are not kept in memory. */
function kpis(row, view) {
  const body = el("div", { class: "kpis" });
  readOne("kpi_card", row.id).then((card) => body.replaceChildren(...kpiTabs(card, view)));
  return [body];
}

function kpiTabs(card, view) {
  const folders = cardFolders(card).filter((folder) => folder.kpis?.length).sort((a, b) => localized(a, "name").localeCompare(localized(b, "name")));
  if (!folders.length) return [el("p", { class: "empty" }, gettext("No KPIs yet"))];
  const chosen = Math.max(0, folders.findIndex((folder) => folder.name_en === view.folder));
  // The tab panel wraps the list: a role on the <dl> itself would hide its terms from screen readers.
  const panel = (folder) =>
    el("div", { role: "tabpanel", "aria-label": localized(folder, "name") }, [
      el("dl", { class: "kpi-folder" }, folder.kpis.map((kpi) => el("div", { class: "kpi" }, [el("dt", {}, localized(kpi)), el("dd", {}, kpi.text)]))),
    ]);
  const body = el("div", {}, panel(folders[chosen]));
  const tabs = folders.map((folder, index) =>
    el(
      "button",
      {
        role: "tab",
        "aria-selected": String(index === chosen),
        onclick: (event) => {
          view.folder = folder.name_en;
          for (const tab of event.currentTarget.parentNode.children) tab.setAttribute("aria-selected", String(tab === event.currentTarget));
          body.replaceChildren(panel(folder));
        },
      },
      localized(folder, "name"),
    ),
  );
  return [el("div", { role: "tablist", class: "tabs kpi-tabs", "aria-label": gettext("KPI folders") }, tabs), body];
}

export function render(main, clientId, section = "info") {
  const current = SECTIONS.includes(section) ? section : "info";
  const view = { folder: null };
  const draw = () => {
    const row = state.clients.get(clientId);
    if (!row) {
      fill(main, bar(gettext("Client"), "#/clients"), el("p", { class: "empty" }, gettext("This client is no longer on your list.")));
      return;
    }
    const remove = async () => {
      if (!confirm(interpolate(gettext("Delete %(name)s? The client is archived; the back office can restore it."), { name: row.fields.name }))) return;
      await archiveClient(row);
      syncNow();
      location.hash = "#/clients";
    };
    fill(
      main,
      // Back to the tab the client is on: Pending while its own change waits.
      bar(row.fields.name, row.pending ? "#/clients/pending" : "#/clients", canArchive(row) ? el("button", { class: "icon-button danger", "aria-label": gettext("Delete"), onclick: remove }, icon("trash")) : null),
      activityBlocked(row.id) ? blockedBanner() : null,
      el(
        "nav",
        { class: "tabs", "aria-label": gettext("Client sections") },
        SECTIONS.map((name) =>
          el("a", { href: `#/client/${clientId}/${name}`, "aria-current": name === current ? "page" : null }, sectionLabel(name)),
        ),
      ),
      el("div", { class: "toolbar" }, [
        activityBlocked(row.id) ? null : el("a", { class: "button primary", href: `#/visit/start/${clientId}` }, gettext("Start visit")),
        row.fields.statement_enabled ? el("button", { class: "secondary", onclick: () => openStatement(clientId) }, gettext("Send account statement")) : null,
      ]),
      el("section", { class: "section" }, { info, history, notes, kpis }[current](row, view)),
      current === "info" && canEdit(row) ? el("a", { class: "fab", href: `#/client/${clientId}/edit` }, gettext("Edit details")) : null,
    );
  };
  draw();
  return redrawOnChange(draw, { except: QUIET_CHANGES });
}
