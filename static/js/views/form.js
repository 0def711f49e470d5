/* New client and Edit details: a form built from the list's schema, red dots on required fields, Submit
   disabled until every field is valid, the GPS point with its accuracy, a photo resized on the phone. */
import { currentPosition } from "../lib/geo.js";
import { gettext, interpolate, localized } from "../lib/i18n.js";
import { createClient, updateClient } from "../lib/outbox.js";
import { attributeError, canonical, isEmpty, nameError } from "../lib/schema.js";
import { state } from "../lib/state.js";
import { syncNow } from "../lib/sync.js";
import { el } from "./dom.js";
import { attributeInput, label, readAttribute, resizePhoto } from "./fields.js";
import { bar } from "./shared.js";

const FRESH_MS = 30000;

/* The client's GPS point: shown with its accuracy, read again on Capture position. `reading()`: the reading under
   way, if any, for a Submit that comes before it ends. */
function gpsPoint(initial) {
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

/* Name, phone and the list's attributes (photo attributes aside: the client has one photo), filled with `values`. */
function detailFields(values, attributes) {
  const fields = [
    field("name", gettext("Name"), true, el("input", { id: "field-name", name: "name", type: "text", "aria-required": "true", value: values.name || "" })),
    field("phone", gettext("Phone"), false, el("input", { id: "field-phone", name: "phone", type: "tel", value: values.phone || "" })),
  ];
  for (const attribute of attributes) {
    if (attribute.type === "photo") continue;
    fields.push(field(attribute.key, localized(attribute), attribute.required, attributeInput(attribute, values.attributes?.[attribute.key], `field-${attribute.key}`)));
  }
  return fields;
}

/* Every field's error, shown once the field was touched; true when there is none. */
function showErrors(form, attributes, touched) {
  const errors = { name: nameError(form.elements.name.value) };
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

/* The edit or the new client goes to the outbox; the rep goes back to where they came from. */
async function save(row, listId, values, photo) {
  if (row) {
    await updateClient(row, values, photo);
    location.hash = `#/client/${row.id}/info`;
  } else {
    await createClient({ list: Number(listId), ...values }, photo);
    location.hash = "#/clients";
  }
  syncNow();
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
  const gps = gpsPoint(row && row.fields.lat != null ? { lat: row.fields.lat, lng: row.fields.lng, accuracy_m: row.fields.accuracy_m } : null);
  const photo = photoPicker();
  const touched = new Set();
  const form = el("form", { class: "client-form", novalidate: true });
  const submit = el("button", { type: "submit", class: "primary", disabled: true }, gettext("Submit"));
  const attributes = () => state.lists.get(listId)?.data.attributes || [];
  const validate = () => {
    submit.disabled = !showErrors(form, attributes(), touched);
    return !submit.disabled;
  };
  const build = () => {
    const chooseList = (id) => {
      listId = id;
      build();
    };
    form.replaceChildren(
      ...(!row && creatable.length > 1 ? [listField(creatable, listId, chooseList)] : []),
      ...detailFields(row ? row.fields : { attributes: {} }, attributes()),
      gps.node,
      photo.node,
      el("div", { class: "actions" }, [el("a", { class: "secondary button", href: back }, gettext("Cancel")), submit]),
    );
    gps.show();
    validate();
  };
  const touch = (event) => {
    if (event.target.name) touched.add(event.target.name);
    validate();
  };
  form.addEventListener("input", touch);
  form.addEventListener("change", touch);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!validate()) return;
    submit.disabled = true;
    // A rep who submits before the first reading arrives, or before the photo is resized, still gets both.
    if (gps.reading()) await gps.reading();
    const picked = await photo.photo();
    await save(row, listId, clientValues(form, attributes(), row, gps.position()), picked);
  });
  main.append(bar(row ? gettext("Edit details") : gettext("New client"), back), form);
  build();
  if (!row) gps.capture();
}
