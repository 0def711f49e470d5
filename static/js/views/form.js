/* New client and Edit details: a form built from the list's schema, red dots on required fields, Submit
   disabled until every field is valid, the GPS point with its accuracy, a photo resized on the phone. A new client
   that looks like one of the rep's clients is flagged as the rep types (lib/duplicates.js). */
import { findDuplicates } from "../lib/duplicates.js";
import { currentPosition, formatDistance } from "../lib/geo.js";
import { gettext, interpolate, localized, ngettext } from "../lib/i18n.js";
import { createClient, updateClient } from "../lib/outbox.js";
import { attributeError, canonical, isEmpty, nameError, phoneError } from "../lib/schema.js";
import { state } from "../lib/state.js";
import { syncNow } from "../lib/sync.js";
import { el, toast } from "./dom.js";
import { attributeInput, label, readAttribute, resizePhoto } from "./fields.js";
import { bar } from "./shared.js";

const FRESH_MS = 30000;
// The duplicate check waits for a pause in the typing: a slow phone judges thousands of clients at each one.
const CHECK_DELAY_MS = 300;

/* The client's GPS point: shown with its accuracy, read again on Capture position. `reading()`: the reading under
   way, if any, for a Submit that comes before it ends. `onRead` is told when a reading ends. */
function gpsPoint(initial, onRead = () => {}) {
  const output = el("output", { class: "gps" });
  let position = initial;
  let reading = null;
  const show = () => {
    output.textContent = position
      ? interpolate(gettext("%(lat)s, %(lng)s (± %(accuracy)s m)"), {
          lat: position.lat.toFixed(5),
          lng: position.lng.toFixed(5),
          accuracy: Math.round(position.accuracy_m ?? 0),
        })
      : gettext("No position yet");
  };
  const capture = () => {
    output.textContent = gettext("Reading the position…");
    // The app follows the position all along: a reading of the last 30 s is as good as a new one, and instant.
    const recent = state.position && Date.now() - state.position.at < FRESH_MS ? Promise.resolve(state.position) : null;
    reading = (recent || currentPosition({ maximumAge: FRESH_MS })).then((found) => {
      if (found) position = found;
      show();
      if (!found) output.textContent = gettext("The position is not available: allow location access and try again.");
      onRead();
    });
    return reading;
  };
  const node = el("div", { class: "field" }, [
    el("span", { class: "label" }, gettext("GPS position")),
    output,
    el("button", { type: "button", class: "secondary", onclick: capture }, gettext("Capture position")),
  ]);
  return { node, show, capture, position: () => position, reading: () => reading };
}

/* The client's photo: resized as soon as it is picked; `photo()` waits for that. */
function photoPicker() {
  let photo = null;
  let reading = null;
  const input = el("input", {
    id: "field-photo",
    type: "file",
    accept: "image/*",
    capture: "environment",
    onchange: (event) => {
      const file = event.target.files[0];
      reading = file ? resizePhoto(file).then((resized) => (photo = resized)) : null;
      if (!file) photo = null;
    },
  });
  const node = el("div", { class: "field" }, [el("label", { for: "field-photo" }, gettext("Photo")), input]);
  return {
    node,
    photo: async () => {
      if (reading) await reading;
      return photo;
    },
  };
}

function field(key, text, required, input) {
  return el("div", { class: "field" }, [label(text, required, `field-${key}`), input, el("p", { class: "error", "data-error-for": key, "aria-live": "polite" })]);
}

/* The list a new client goes to, when the rep may create on more than one. */
function listField(creatable, listId, onChoose) {
  return el("div", { class: "field" }, [
    el("label", { for: "field-list" }, gettext("List")),
    el(
      "select",
      { id: "field-list", name: "list", onchange: (event) => onChoose(event.target.value) },
      creatable.map((list) => el("option", { value: String(list.id), selected: String(list.id) === listId }, list.data.name)),
    ),
  ]);
}

/* Name, phone, `warning` (if any: under the two it is about) and the list's attributes (photo attributes aside: the
   client has one photo), filled with `values`. */
function detailFields(values, attributes, warning = null) {
  const fields = [
    field("name", gettext("Name"), true, el("input", { id: "field-name", name: "name", type: "text", "aria-required": "true", value: values.name || "" })),
    field("phone", gettext("Phone"), false, el("input", { id: "field-phone", name: "phone", type: "tel", value: values.phone || "" })),
  ];
  if (warning) fields.push(warning);
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    fields.push(field(attribute.key, localized(attribute), attribute.required, attributeInput(attribute, values.attributes?.[attribute.key], `field-${attribute.key}`)));
  }
  return fields;
}

/* Every field's error, shown once the field was touched; true when there is none. */
function showErrors(form, attributes, touched, rules) {
  const errors = { name: nameError(form.elements.name.value, rules), phone: phoneError(form.elements.phone.value, rules) };
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    errors[attribute.key] = attributeError(attribute, readAttribute(attribute, form.elements[attribute.key]));
  }
  for (const [key, message] of Object.entries(errors)) {
    const node = form.querySelector(`[data-error-for="${key}"]`);
    if (node) node.textContent = touched.has(key) ? message : "";
    form.elements[key]?.setAttribute("aria-invalid", touched.has(key) && message ? "true" : "false");
  }
  return !Object.values(errors).some(Boolean);
}

/* The form's values as the client's fields. An edit sends an emptied attribute as null; a new client leaves it out. */
function clientValues(form, attributes, row, position) {
  const values = {
    name: form.elements.name.value.trim(),
    phone: form.elements.phone.value.trim(),
    attributes: {},
  };
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    const value = readAttribute(attribute, form.elements[attribute.key]);
    if (!isEmpty(value) || row) values.attributes[attribute.key] = canonical(attribute, value);
  }
  if (position) Object.assign(values, { lat: position.lat, lng: position.lng, accuracy_m: position.accuracy_m });
  return values;
}

/* Why `match` looks like the new client, in a few words. */
function matchReason(match) {
  const distance = formatDistance(match.distance_m);
  if (!match.reasons.includes("name")) return gettext("Same phone number");
  if (match.reasons.includes("phone")) return interpolate(gettext("Same phone number, similar name, %(distance)s away"), { distance });
  return interpolate(gettext("Similar name, %(distance)s away"), { distance });
}

/* The warning: each client found, why it looks like this one, and Open it (its details). */
function warningContent(found) {
  return el("div", { class: "duplicates banner warn" }, [
    el("strong", {}, ngettext("This client may already be on your lists:", "These clients may already be on your lists:", found.length)),
    el(
      "ul",
      {},
      found.map((match) =>
        el("li", {}, [
          el("span", {}, [el("b", {}, match.name), el("br"), el("span", { class: "hint" }, matchReason(match))]),
          el("a", { class: "button secondary", href: `#/client/${match.id}/info`, "aria-label": interpolate(gettext("Open it: %(name)s"), { name: match.name }) }, gettext("Open it")),
        ]),
      ),
    ),
    el("p", { class: "hint" }, gettext("Open it to check. If it is another outlet, create this one anyway.")),
  ]);
}

/* The duplicate-outlet warning of a new client, under its name and phone, and Submit read "Create anyway" while it
   shows. `later()` checks again after a pause in the typing; `confirm()`, at Submit, gives the ids of the clients the
   rep creates this one beside, or null when the check finds one the rep has not been shown yet (shown now). */
function duplicateCheck(form, gps, submit) {
  // Always in the page (empty and without height when nothing matches): a live region added with its text, or
  // shown from display: none, is not read out.
  const node = el("div", { id: "duplicates", role: "status" });
  let shown = [];
  let timer = null;
  const find = () => {
    const draft = { name: form.elements.name?.value, phone: form.elements.phone?.value, point: gps.position() };
    return findDuplicates(state.clients.values(), draft, state.rules?.duplicates);
  };
  const show = (found) => {
    shown = found;
    node.replaceChildren(...(found.length ? [warningContent(found)] : []));
    submit.textContent = found.length ? gettext("Create anyway") : gettext("Submit");
    if (found.length) submit.setAttribute("aria-describedby", node.id);
    else submit.removeAttribute("aria-describedby");
  };
  const stop = () => clearTimeout(timer);
  const later = () => {
    stop();
    timer = setTimeout(() => show(find()), CHECK_DELAY_MS);
  };
  const confirm = () => {
    stop();
    const seen = new Set(shown.map((match) => match.id));
    const found = find();
    show(found);
    return found.every((match) => seen.has(match.id)) ? found.map((match) => match.id) : null;
  };
  return { node, later, stop, confirm };
}

/* The edit or the new client goes to the outbox; the rep goes back to where they came from. */
async function save(row, listId, values, photo) {
  if (row) {
    await updateClient(row, values, photo);
    location.hash = `#/client/${row.id}/info`;
  } else {
    await createClient({ list: Number(listId), ...values }, photo);
    // The new client is Pending until it reaches the server: the rep lands where it is, told what happens next.
    location.hash = "#/clients/pending";
    toast(gettext("Saved on this phone: it will be sent to the server at the next sync."));
  }
  syncNow();
}

/* Submit: the client's values once the position and the photo are read, to the outbox; false when a likely duplicate
   found since the last check is shown instead (nothing is created before the rep sees it). The ones the rep saw and
   created the client anyway beside go with it, for the back office to review. */
async function submitForm({ row, listId, form, attributes, gps, photo, duplicates }) {
  // A rep who submits before the first reading arrives, or before the photo is resized, still gets both.
  if (gps.reading()) await gps.reading();
  const picked = await photo.photo();
  const values = clientValues(form, attributes, row, gps.position());
  const similar = duplicates ? duplicates.confirm() : [];
  if (!similar) return false;
  if (similar.length) values.similar_to = similar;
  await save(row, listId, values, picked);
  return true;
}

export function render(main, clientId = null) {
  const row = clientId ? state.clients.get(clientId) : null;
  const creatable = [...state.lists.values()].filter((list) => list.data.access?.create);
  if ((clientId && !row) || (!clientId && !creatable.length)) {
    main.append(el("p", { class: "empty" }, gettext("You cannot do this on this list.")));
    return;
  }
  let listId = row ? String(row.fields.list) : String(creatable[0].id);
  const back = row ? `#/client/${row.id}/info` : "#/clients";
  const gps = gpsPoint(row && row.fields.lat != null ? { lat: row.fields.lat, lng: row.fields.lng, accuracy_m: row.fields.accuracy_m } : null, () => duplicates?.later());
  const photo = photoPicker();
  const touched = new Set();
  const form = el("form", { class: "client-form", novalidate: true });
  const submit = el("button", { type: "submit", class: "primary", disabled: true }, gettext("Submit"));
  // Only a new client can duplicate one: an edit is of a client already there.
  const duplicates = row ? null : duplicateCheck(form, gps, submit);
  const attributes = () => state.lists.get(listId)?.data.attributes || [];
  const validate = () => {
    submit.disabled = !showErrors(form, attributes(), touched, state.lists.get(listId)?.data.rules);
    return !submit.disabled;
  };
  const build = () => {
    const chooseList = (id) => {
      listId = id;
      build();
    };
    form.replaceChildren(
      ...(!row && creatable.length > 1 ? [listField(creatable, listId, chooseList)] : []),
      ...detailFields(row ? row.fields : { attributes: {} }, attributes(), duplicates?.node),
      gps.node,
      photo.node,
      el("div", { class: "actions" }, [el("a", { class: "secondary button", href: back }, gettext("Cancel")), submit]),
    );
    gps.show();
    validate();
  };
  const touch = (event) => {
    if (event.target.name) touched.add(event.target.name);
    if (event.target.name === "name" || event.target.name === "phone") duplicates?.later();
    validate();
  };
  form.addEventListener("input", touch);
  form.addEventListener("change", touch);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!validate()) return;
    submit.disabled = true;
    if (!(await submitForm({ row, listId, form, attributes: attributes(), gps, photo, duplicates }))) validate();
  });
  main.append(bar(row ? gettext("Edit details") : gettext("New client"), back), form);
  build();
  if (!row) gps.capture();
  return () => duplicates?.stop();
}
