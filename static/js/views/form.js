/* New client and Edit details: a form built from the list's schema, red dots on required fields, Submit
   disabled until every field is valid, the GPS point with its accuracy, a photo resized on the phone. */
import { currentPosition } from "../lib/geo.js";
import { gettext, interpolate, localized } from "../lib/i18n.js";
import { attributeError, canonical, isEmpty, nameError } from "../lib/schema.js";
import { createClient, state, updateClient } from "../lib/store.js";
import { syncNow } from "../lib/sync.js";
import { uuid } from "../lib/text.js";
import { el, icon } from "./dom.js";

const PHOTO_MAX_PX = 1600;
const PHOTO_QUALITY = 0.85;
const FRESH_MS = 30000;

/* The photo as a JPEG of at most 1600 px, so that a phone's 12-megapixel picture uploads on a weak network. */
export async function resizePhoto(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY));
  return { id: uuid(), blob };
}

export function label(text, required, forId) {
  return el("label", { for: forId }, [text, required ? el("span", { class: "required-dot", title: gettext("Required") }, "") : null]);
}

export function attributeInput(attribute, value, id) {
  const common = { id, name: attribute.key, "aria-required": attribute.required ? "true" : null };
  switch (attribute.type) {
    case "long_text":
      return el("textarea", { ...common, rows: 3 }, value ?? "");
    case "integer":
      return el("input", { ...common, type: "text", inputmode: "numeric", value: value ?? "" });
    case "decimal":
      return el("input", { ...common, type: "text", inputmode: "decimal", value: value ?? "" });
    case "date":
      return el("input", { ...common, type: "date", value: value ?? "" });
    case "phone":
      return el("input", { ...common, type: "tel", value: value ?? "" });
    case "email":
      return el("input", { ...common, type: "email", value: value ?? "" });
    case "boolean":
      return el("select", common, [
        el("option", { value: "" }, "—"),
        el("option", { value: "yes", selected: value === true }, gettext("Yes")),
        el("option", { value: "no", selected: value === false }, gettext("No")),
      ]);
    case "choice":
      return el("select", common, [
        el("option", { value: "" }, "—"),
        ...attribute.options.map((option) => el("option", { value: option, selected: value === option }, option)),
      ]);
    case "multiple_choice":
      return el("select", { ...common, multiple: true, size: Math.min(6, attribute.options.length) }, attribute.options.map((option) => el("option", { value: option, selected: (value || []).includes(option) }, option)));
    default:
      return el("input", { ...common, type: "text", value: value ?? "" });
  }
}

export function readAttribute(attribute, input) {
  if (attribute.type === "multiple_choice") return [...input.selectedOptions].map((option) => option.value);
  if (attribute.type === "boolean") return input.value === "" ? null : input.value === "yes";
  return input.value;
}

export function render(main, clientId = null) {
  const row = clientId ? state.clients.get(clientId) : null;
  const creatable = [...state.lists.values()].filter((list) => list.data.access?.create);
  if ((clientId && !row) || (!clientId && !creatable.length)) {
    main.append(el("p", { class: "empty" }, gettext("You cannot do this on this list.")));
    return;
  }
  let listId = row ? String(row.fields.list) : String(creatable[0].id);
  let position = row && row.fields.lat != null ? { lat: row.fields.lat, lng: row.fields.lng, accuracy_m: row.fields.accuracy_m } : null;
  let photo = null;
  let photoReading = null;
  const touched = new Set();

  const form = el("form", { class: "client-form", novalidate: true });
  const submit = el("button", { type: "submit", class: "primary", disabled: true }, gettext("Submit"));
  const gps = el("output", { class: "gps" });

  const showGps = () => {
    gps.textContent = position
      ? interpolate(gettext("%(lat)s, %(lng)s (± %(accuracy)s m)"), {
          lat: position.lat.toFixed(5),
          lng: position.lng.toFixed(5),
          accuracy: Math.round(position.accuracy_m ?? 0),
        })
      : gettext("No position yet");
  };
  let reading = null;
  const capture = () => {
    gps.textContent = gettext("Reading the position…");
    // The app follows the position all along: a reading of the last 30 s is as good as a new one, and instant.
    const recent = state.position && Date.now() - state.position.at < FRESH_MS ? Promise.resolve(state.position) : null;
    reading = (recent || currentPosition({ maximumAge: FRESH_MS })).then((found) => {
      if (found) position = found;
      showGps();
      if (!found) gps.textContent = gettext("The position is not available: allow location access and try again.");
    });
    return reading;
  };

  const attributes = () => state.lists.get(listId)?.data.attributes || [];

  /* Every field's error, shown once the field was touched; Submit waits for none. */
  const validate = () => {
    const errors = {};
    errors.name = nameError(form.elements.name.value);
    for (const attribute of attributes()) {
      if (attribute.type === "photo") continue;
      errors[attribute.key] = attributeError(attribute, readAttribute(attribute, form.elements[attribute.key]));
    }
    for (const [key, message] of Object.entries(errors)) {
      const node = form.querySelector(`[data-error-for="${key}"]`);
      if (node) node.textContent = touched.has(key) ? message : "";
      form.elements[key]?.setAttribute("aria-invalid", touched.has(key) && message ? "true" : "false");
    }
    submit.disabled = Object.values(errors).some(Boolean);
    return !submit.disabled;
  };

  const field = (key, text, required, input) =>
    el("div", { class: "field" }, [label(text, required, `field-${key}`), input, el("p", { class: "error", "data-error-for": key, "aria-live": "polite" })]);

  const build = () => {
    const values = row ? row.fields : { attributes: {} };
    const fields = [];
    if (!row && creatable.length > 1) {
      fields.push(
        el("div", { class: "field" }, [
          el("label", { for: "field-list" }, gettext("List")),
          el(
            "select",
            { id: "field-list", name: "list", onchange: (event) => { listId = event.target.value; build(); } },
            creatable.map((list) => el("option", { value: String(list.id), selected: String(list.id) === listId }, list.data.name)),
          ),
        ]),
      );
    }
    fields.push(field("name", gettext("Name"), true, el("input", { id: "field-name", name: "name", type: "text", "aria-required": "true", value: values.name || "" })));
    fields.push(field("phone", gettext("Phone"), false, el("input", { id: "field-phone", name: "phone", type: "tel", value: values.phone || "" })));
    for (const attribute of attributes()) {
      if (attribute.type === "photo") continue;
      fields.push(field(attribute.key, localized(attribute), attribute.required, attributeInput(attribute, values.attributes?.[attribute.key], `field-${attribute.key}`)));
    }
    fields.push(
      el("div", { class: "field" }, [
        el("span", { class: "label" }, gettext("GPS position")),
        gps,
        el("button", { type: "button", class: "secondary", onclick: capture }, gettext("Capture position")),
      ]),
      el("div", { class: "field" }, [
        el("label", { for: "field-photo" }, gettext("Photo")),
        el("input", {
          id: "field-photo",
          type: "file",
          accept: "image/*",
          capture: "environment",
          onchange: (event) => {
            const file = event.target.files[0];
            photoReading = file ? resizePhoto(file).then((resized) => (photo = resized)) : null;
            if (!file) photo = null;
          },
        }),
      ]),
      el("div", { class: "actions" }, [el("a", { class: "secondary button", href: row ? `#/client/${row.id}/info` : "#/clients" }, gettext("Cancel")), submit]),
    );
    form.replaceChildren(...fields);
    showGps();
    validate();
  };

  form.addEventListener("input", (event) => {
    if (event.target.name) touched.add(event.target.name);
    validate();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name) touched.add(event.target.name);
    validate();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!validate()) return;
    submit.disabled = true;
    // A rep who submits before the first reading arrives, or before the photo is resized, still gets both.
    if (reading) await reading;
    if (photoReading) await photoReading;
    const values = {
      name: form.elements.name.value.trim(),
      phone: form.elements.phone.value.trim(),
      attributes: {},
    };
    for (const attribute of attributes()) {
      if (attribute.type === "photo") continue;
      const value = readAttribute(attribute, form.elements[attribute.key]);
      if (!isEmpty(value) || row) values.attributes[attribute.key] = canonical(attribute, value);
    }
    if (position) Object.assign(values, { lat: position.lat, lng: position.lng, accuracy_m: position.accuracy_m });
    if (row) {
      await updateClient(row, values, photo);
      location.hash = `#/client/${row.id}/info`;
    } else {
      await createClient({ list: Number(listId), ...values }, photo);
      location.hash = "#/clients";
    }
    syncNow();
  });

  main.append(
    el("header", { class: "bar" }, [
      el("a", { class: "icon-button", href: row ? `#/client/${row.id}/info` : "#/clients", "aria-label": gettext("Back") }, icon("back")),
      el("h1", {}, row ? gettext("Edit details") : gettext("New client")),
    ]),
    form,
  );
  build();
  if (!row) capture();
}
