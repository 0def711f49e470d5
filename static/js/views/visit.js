/* A visit on the phone, offline first: the check-in (workflow, required client fields, the geofence), then the
   workflow's activities in order (forms, order taking, photos, notes) and Finish visit. Every step is an op in
   the outbox; the server checks each again and a refusal comes back as a sync alert naming the visit. */
import { activityBlocked } from "../lib/access.js";
import { formatAmount, formatMoment } from "../lib/format.js";
import { formatDistance, positionProblem, watchAgain } from "../lib/geo.js";
import { gettext, interpolate, localized } from "../lib/i18n.js";
import { addNote, fillRequired, startVisit, submitActivity } from "../lib/outbox.js";
import { state } from "../lib/state.js";
import { syncNow } from "../lib/sync.js";
import { activitiesOf, checkinRule, currentVisit, lineValue, missingBeforeVisit, orderTotal, visitMap, workflowsFor } from "../lib/visits.js";
import { el } from "./dom.js";
import { schemaFields } from "./fields.js";
import { QUIET_CHANGES, bar, blockedBanner, checkedInBadge, finishButton, redrawOnChange } from "./shared.js";

// Check-in ------------------------------------------------------------------------------------

function ruleText(rule) {
  if (rule.reason === "no_client_point") return gettext("This client has no GPS point: the check-in cannot be verified.");
  const distance = interpolate(gettext("Distance: %(distance)s"), { distance: formatDistance(rule.distance) });
  if (!rule.geo) return rule.distance != null ? distance : "";
  const radius = interpolate(gettext("check-in radius: %(radius)s m"), { radius: Math.round(rule.radius) });
  return rule.allowed ? `${distance} · ${radius}` : `${distance} · ${radius}. ${gettext("Move closer to the client to check in.")}`;
}

// What the rep does when the position does not come, by the reason the phone gives (geo.js positionProblem).
const POSITION_HELP = {
  denied: () => gettext("Location is off for this app: allow it in your phone's settings, then tap Retry."),
  unavailable: () => gettext("Your phone cannot find its position: turn location on in your phone's settings, then tap Retry."),
  timeout: () => gettext("Your position is taking too long to come: move to an open spot, then tap Retry."),
};

/* Why the position is missing and what to do about it, with Retry; "Waiting for your position…" while it may still
   come. `onRetry`: redraws the screen once the position is asked for again. */
function positionHelp(onRetry) {
  const problem = positionProblem();
  if (!problem) return el("p", { class: "distance too-far", role: "status", "aria-live": "polite" }, gettext("Waiting for your position…"));
  const retry = () => {
    watchAgain();
    onRetry();
  };
  return el("div", { class: "banner warn position-help", role: "alert" }, [
    el("p", {}, POSITION_HELP[problem]()),
    el("button", { type: "button", class: "secondary", onclick: retry }, gettext("Retry")),
  ]);
}

/* Why no visit can start at this client now (a sync alert on it, or a visit in progress), or null when one can. */
function startRefusal(row) {
  if (activityBlocked(row.id)) return blockedBanner();
  const current = currentVisit(state);
  if (!current) return null;
  const at = state.clients.get(current.client)?.fields.name || "";
  return el("p", { class: "banner warn", role: "alert" }, [
    interpolate(gettext("A visit is in progress at %(client)s: finish it before starting another."), { client: at }),
    " ",
    el("a", { href: `#/visit/${current.id}` }, gettext("Open the visit")),
  ]);
}

function workflowChoice(workflows, chosen, onChoose) {
  return el("fieldset", { class: "choices" }, [
    el("legend", {}, gettext("Workflow")),
    ...workflows.map((workflow) =>
      el("label", { class: "choice" }, [
        el("input", {
          type: "radio",
          name: "workflow",
          value: String(workflow.id),
          checked: String(workflow.id) === chosen,
          onchange: () => onChoose(String(workflow.id)),
        }),
        localized(workflow.data, "name"),
      ]),
    ),
  ]);
}

/* The client's required fields that the visit needs, filled in before the check-in; `onSaved` once they are queued. */
function requiredForm(row, missing, onSaved) {
  const fields = schemaFields(missing, row.fields.attributes || {}, { prefix: "required", onChange: () => (save.disabled = !fields.valid()) });
  const save = el("button", { type: "submit", class: "primary", disabled: true }, gettext("Save and continue"));
  const form = el("form", { class: "client-form", novalidate: true }, [
    el("p", { class: "banner", role: "status" }, gettext("Fill in the client's required fields before the visit.")),
    ...fields.nodes,
    el("div", { class: "actions" }, [save]),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fields.touchAll()) return;
    save.disabled = true;
    const { values, photos } = await fields.read();
    await fillRequired(row, values, photos);
    onSaved();
  });
  return form;
}

/* The position, the geofence's verdict and Check in, enabled only where the server will accept the check-in. */
function checkInSection(row, workflow, onRetry) {
  const rule = checkinRule(workflow, row.fields, state.position);
  const accuracy = state.position?.accuracy_m != null ? interpolate(gettext("Your position: ± %(accuracy)s m"), { accuracy: Math.round(state.position.accuracy_m) }) : gettext("Your position is not known yet.");
  const checkIn = el("button", { class: "primary", disabled: !rule.allowed }, gettext("Check in"));
  checkIn.addEventListener("click", async () => {
    checkIn.disabled = true;
    const id = await startVisit({ client: row.id, workflow: workflow.id, position: state.position, distance: rule.distance });
    syncNow();
    location.hash = `#/visit/${id}`;
  });
  return el("section", { class: "checkin" }, [
    el("p", { class: "hint" }, accuracy),
    rule.reason === "no_position"
      ? positionHelp(onRetry)
      : el("p", { class: rule.allowed ? "distance ok" : "distance too-far", role: "status", "aria-live": "polite" }, ruleText(rule)),
    el("div", { class: "actions" }, [checkIn]),
  ]);
}

export function renderStart(main, clientId) {
  let workflowId = null;
  let filled = false;
  const draw = () => {
    const row = state.clients.get(clientId);
    main.replaceChildren(bar(gettext("Check in"), `#/client/${clientId}/info`));
    if (!row) {
      main.append(el("p", { class: "empty" }, gettext("This client is no longer on your list.")));
      return;
    }
    main.append(el("h2", { class: "visit-client" }, row.fields.name));
    const refusal = startRefusal(row);
    if (refusal) {
      main.append(refusal);
      return;
    }
    const workflows = workflowsFor(state, row);
    if (!workflows.length) {
      main.append(el("p", { class: "empty" }, gettext("No workflow applies to this client.")));
      return;
    }
    if (workflowId == null && workflows.length === 1) workflowId = String(workflows[0].id);
    const choose = (id) => {
      workflowId = id;
      draw();
    };
    main.append(workflowChoice(workflows, workflowId, choose));
    const workflow = workflowId ? state.workflows.get(workflowId) : null;
    if (!workflow) return;
    const missing = filled ? [] : missingBeforeVisit(workflow, row);
    const saved = () => {
      filled = true;
      syncNow();
      draw();
    };
    main.append(missing.length ? requiredForm(row, missing, saved) : checkInSection(row, workflow, draw));
  };
  draw();
  return redrawOnChange(draw, { only: ["position", "alerts", "outbox", "pull"] });
}

// The visit ----------------------------------------------------------------------------------

export function renderVisit(main, visitId, section = null, activityId = null) {
  if (section === "activity") return renderActivity(main, visitId, activityId);
  const draw = () => {
    const visit = visitMap(state).get(visitId);
    main.replaceChildren(bar(gettext("Visit"), "#/today"));
    if (!visit) {
      main.append(el("p", { class: "empty" }, gettext("This visit is not on this phone.")));
      return;
    }
    const row = state.clients.get(visit.client);
    const workflow = state.workflows.get(String(visit.workflow));
    const done = new Set((visit.submissions || []).map((submission) => String(submission.activity)));
    const activities = activitiesOf(workflow);
    main.append(
      el("section", { class: "visit-head" }, [
        checkedInBadge(row),
        el("div", {}, [
          el("h2", {}, row?.fields.name || ""),
          el("p", { class: "hint" }, [workflow ? localized(workflow.data, "name") : "", " · ", interpolate(gettext("checked in %(when)s"), { when: formatMoment(visit.checked_in_at) })]),
          visit.ended_at ? el("p", { class: "hint" }, interpolate(gettext("Finished %(when)s"), { when: formatMoment(visit.ended_at) })) : null,
        ]),
      ]),
      el(
        "ol",
        { class: "activities", "aria-label": gettext("Activities") },
        activities.map((activity) =>
          el("li", { class: done.has(String(activity.id)) ? "done" : "" }, [
            visit.ended_at
              ? el("span", {}, localized(activity, "name"))
              : el("a", { href: `#/visit/${visit.id}/activity/${activity.id}` }, localized(activity, "name")),
            done.has(String(activity.id)) ? el("span", { class: "status synced", role: "img", "aria-label": gettext("Done") }, "✓") : null,
          ]),
        ),
      ),
    );
    if (!visit.ended_at) {
      const complete = done.size >= activities.length;
      const finish = finishButton(visit, {
        className: complete ? "primary" : "secondary",
        onDone: () => (location.hash = "#/today"),
        onUndo: () => (location.hash = `#/visit/${visit.id}`),
      });
      main.append(el("div", { class: "actions" }, [finish]));
    }
  };
  draw();
  return redrawOnChange(draw, { except: QUIET_CHANGES });
}

// An activity --------------------------------------------------------------------------------

/* An amount with the server's money rules (places, currency). */
function money(amount) {
  return formatAmount(amount, state.rules?.money);
}

function orderPicker(onChange) {
  const quantities = new Map();
  const products = [...state.products.values()].filter((product) => product.data.active !== false).sort((a, b) => String(a.data.name).localeCompare(String(b.data.name)));
  const total = el("output", { class: "order-total", "aria-live": "polite" });
  const search = el("input", { type: "search", class: "search", "aria-label": gettext("Search products"), placeholder: gettext("Search products") });
  const list = el("ul", { class: "products", "aria-label": gettext("Products") });
  const lines = () =>
    [...quantities.entries()]
      .filter(([, quantity]) => quantity > 0)
      .map(([id, quantity]) => ({ product: Number(id), quantity: String(quantity), unit_price: state.products.get(id).data.unit_price }));
  const showTotal = () => {
    total.textContent = interpolate(gettext("Order total: %(total)s"), { total: money(orderTotal(lines())) });
  };
  const refresh = () => {
    showTotal();
    onChange();
  };
  const draw = () => {
    const words = search.value.trim().toLowerCase();
    list.replaceChildren(
      ...products
        .filter((product) => !words || `${product.data.name} ${product.data.sku}`.toLowerCase().includes(words))
        .map((product) => {
          const id = String(product.id);
          const value = el("output", { class: "line-value" }, quantities.get(id) ? money(lineValue(quantities.get(id), product.data.unit_price)) : "");
          const input = el("input", {
            type: "number",
            min: "0",
            step: "any",
            inputmode: "decimal",
            "aria-label": interpolate(gettext("Quantity of %(product)s"), { product: product.data.name }),
            value: quantities.get(id) || "",
            oninput: (event) => {
              const quantity = Number(event.target.value);
              if (Number.isFinite(quantity) && quantity > 0) quantities.set(id, quantity);
              else quantities.delete(id);
              value.textContent = quantities.get(id) ? money(lineValue(quantity, product.data.unit_price)) : "";
              refresh();
            },
          });
          return el("li", { class: "product" }, [
            el("span", { class: "product-name" }, [product.data.name, el("span", { class: "hint" }, ` · ${money(product.data.unit_price)}`)]),
            input,
            value,
          ]);
        }),
    );
  };
  search.addEventListener("input", draw);
  draw();
  showTotal();
  return { nodes: [search, list, total], lines };
}

function renderActivity(main, visitId, activityId) {
  const visit = visitMap(state).get(visitId);
  const workflow = visit ? state.workflows.get(String(visit.workflow)) : null;
  const activity = activitiesOf(workflow).find((a) => String(a.id) === String(activityId));
  main.append(bar(activity ? localized(activity, "name") : gettext("Activity"), `#/visit/${visitId}`));
  if (!visit || !activity || visit.ended_at) {
    main.append(el("p", { class: "empty" }, gettext("This activity cannot be recorded now.")));
    return null;
  }
  const submit = el("button", { type: "submit", class: "primary", disabled: true }, gettext("Submit"));
  const fields = schemaFields(activity.fields || [], {}, { prefix: "activity", onChange: () => update() });
  const order = activity.kind === "order" ? orderPicker(() => update()) : null;
  const note = activity.kind === "note" ? el("textarea", { id: "activity-note", name: "note", rows: 5, oninput: () => update() }) : null;
  const update = () => {
    submit.disabled = !fields.valid() || (order && !order.lines().length) || (note && !note.value.trim());
  };
  const form = el("form", { class: "client-form", novalidate: true }, [
    ...fields.nodes,
    note ? el("div", { class: "field" }, [el("label", { for: "activity-note" }, gettext("Note")), note]) : null,
    ...(order ? order.nodes : []),
    el("div", { class: "actions" }, [el("a", { class: "secondary button", href: `#/visit/${visitId}` }, gettext("Cancel")), submit]),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fields.touchAll()) return;
    submit.disabled = true;
    const { values, photos } = await fields.read();
    if (note) await addNote({ client: visit.client, visit: visit.id, text: note.value.trim() });
    await submitActivity(visit, activity, { values, lines: order ? order.lines() : [] }, photos);
    syncNow();
    location.hash = `#/visit/${visitId}`;
  });
  main.append(form);
  update();
  return null;
}
