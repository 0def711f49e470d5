/* A client's details: Info (attributes with a value, then who created and edited it), History, Notes, KPIs;
   Edit details with full access, Delete (archive) with the archive right. */
import { gettext, interpolate, localized } from "../lib/i18n.js";
import { display, isEmpty } from "../lib/schema.js";
import { activityBlocked, archiveClient, canArchive, canEdit, events, state } from "../lib/store.js";
import { syncNow } from "../lib/sync.js";
import { el, formatMoment, icon } from "./dom.js";

const SECTIONS = ["info", "history", "notes", "kpis"];

function sectionLabel(section) {
  return { info: gettext("Info"), history: gettext("History"), notes: gettext("Notes"), kpis: gettext("KPIs") }[section];
}

function info(row) {
  const attributes = (row.list?.data.attributes || []).filter((a) => !isEmpty(row.fields.attributes?.[a.key]));
  const items = [];
  const add = (label, value) => items.push(el("dt", {}, label), el("dd", {}, value));
  if (row.fields.phone) add(gettext("Phone"), row.fields.phone);
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    add(localized(attribute), display(attribute, row.fields.attributes[attribute.key]));
  }
  if (row.fields.lat != null && row.fields.lng != null) {
    const accuracy = row.fields.accuracy_m != null ? ` (± ${Math.round(row.fields.accuracy_m)} m)` : "";
    add(gettext("GPS"), `${Number(row.fields.lat).toFixed(5)}, ${Number(row.fields.lng).toFixed(5)}${accuracy}`);
  }
  const meta = [];
  if (row.server?.created_at) {
    meta.push(
      el("p", {}, interpolate(gettext("Created by %(who)s on %(when)s"), { who: row.server.created_by || "—", when: formatMoment(row.server.created_at) })),
    );
  }
  if (row.server?.updated_at) {
    meta.push(
      el("p", {}, interpolate(gettext("Last edited by %(who)s on %(when)s"), { who: row.server.updated_by || "—", when: formatMoment(row.server.updated_at) })),
    );
  }
  if (!row.server) meta.push(el("p", {}, gettext("Not on the server yet: it will be sent at the next sync.")));
  return [
    row.fields.photo ? el("img", { class: "photo", src: `/api/sync/blobs/${row.fields.photo}`, alt: gettext("Photo"), loading: "lazy" }) : null,
    el("dl", { class: "attributes" }, items),
    el("footer", { class: "meta" }, meta),
  ];
}

function history(row) {
  const visits = state.visits.filter((visit) => visit.data.client === row.id).sort((a, b) => (a.data.checked_in_at < b.data.checked_in_at ? 1 : -1));
  if (!visits.length) return [el("p", { class: "empty" }, gettext("No visits yet."))];
  return [
    el(
      "ol",
      { class: "history" },
      visits.map((visit) => {
        const workflow = state.workflows.get(String(visit.data.workflow));
        return el("li", {}, [
          el("strong", {}, formatMoment(visit.data.checked_in_at)),
          " ",
          workflow ? localized(workflow.data, "name") : "",
          visit.data.rep ? el("span", { class: "hint" }, ` · ${visit.data.rep}`) : null,
          el("ul", {}, (visit.data.submissions || []).map((submission) => el("li", {}, submission.activity_name || ""))),
        ]);
      }),
    ),
  ];
}

function notes(row) {
  const list = state.notes.filter((note) => note.data.client === row.id).sort((a, b) => (a.data.created_at < b.data.created_at ? 1 : -1));
  if (!list.length) return [el("p", { class: "empty" }, gettext("No notes yet."))];
  return [
    el(
      "ul",
      { class: "notes" },
      list.map((note) => el("li", {}, [el("p", {}, note.data.text), el("p", { class: "hint" }, `${note.data.author || ""} · ${formatMoment(note.data.created_at)}`)])),
    ),
  ];
}

function kpis(row) {
  const card = state.kpis.get(row.id);
  // Folders in alphabetical order of their name in the rep's language.
  const folders = [...(card?.data.folders || [])].sort((a, b) => localized(a, "name").localeCompare(localized(b, "name")));
  if (!folders.some((folder) => folder.kpis?.length)) return [el("p", { class: "empty" }, gettext("No KPIs yet"))];
  return folders.map((folder) =>
    el("section", { class: "kpi-folder" }, [
      el("h3", {}, localized(folder, "name")),
      el("dl", {}, folder.kpis.flatMap((kpi) => [el("dt", {}, localized(kpi)), el("dd", {}, localized(kpi, "text") || String(kpi.value ?? "—"))])),
    ]),
  );
}

export function render(main, clientId, section = "info") {
  const current = SECTIONS.includes(section) ? section : "info";
  const draw = () => {
    const row = state.clients.get(clientId);
    main.replaceChildren();
    if (!row) {
      main.append(
        el("header", { class: "bar" }, [el("a", { class: "icon-button", href: "#/clients", "aria-label": gettext("Back") }, icon("back")), el("h1", {}, gettext("Client"))]),
        el("p", { class: "empty" }, gettext("This client is no longer on your list.")),
      );
      return;
    }
    const remove = async () => {
      if (!confirm(interpolate(gettext("Delete %(name)s? The client is archived; the back office can restore it."), { name: row.fields.name }))) return;
      await archiveClient(row);
      syncNow();
      location.hash = "#/clients";
    };
    main.append(
      el("header", { class: "bar" }, [
        el("a", { class: "icon-button", href: "#/clients", "aria-label": gettext("Back") }, icon("back")),
        el("h1", {}, row.fields.name),
        canArchive(row) ? el("button", { class: "icon-button danger", "aria-label": gettext("Delete"), onclick: remove }, icon("trash")) : null,
      ]),
      activityBlocked(row.id)
        ? el("p", { class: "banner warn", role: "alert" }, [
            gettext("This client has a sync alert: no activity can start until it is resolved."),
            " ",
            el("a", { href: "#/settings" }, gettext("Sync alerts")),
          ])
        : null,
      el(
        "nav",
        { class: "tabs", "aria-label": gettext("Client sections") },
        SECTIONS.map((name) =>
          el("a", { href: `#/client/${clientId}/${name}`, "aria-current": name === current ? "page" : null }, sectionLabel(name)),
        ),
      ),
      el("section", { class: "section" }, { info, history, notes, kpis }[current](row)),
      current === "info" && canEdit(row) ? el("a", { class: "fab", href: `#/client/${clientId}/edit` }, gettext("Edit details")) : null,
    );
  };
  draw();
  const onChange = (event) => {
    if (!["position", "sync", "storage"].includes(event.detail)) draw();
  };
  events.addEventListener("change", onChange);
  return () => events.removeEventListener("change", onChange);
}
