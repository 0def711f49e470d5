/* A schema attribute's input, label and value, and a form's fields built from schema attributes (a list's, or an
   activity's own): red dots on required fields, each error shown once its field was touched, photos resized on the
   phone. Used by New client and Edit details, by the visit's activities and by the required fields asked for before a
   visit. */
import { gettext, localized } from "../lib/i18n.js";
import { MESSAGES, attributeError, canonical, isEmpty } from "../lib/schema.js";
import { uuid } from "../lib/text.js";
import { el } from "./dom.js";

const PHOTO_MAX_PX = 1600;
const PHOTO_QUALITY = 0.85;

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

/* The error message for a field's value: a photo field is only ever required (the server checks the photo). */
function fieldError(attribute, value) {
  if (attribute.type !== "photo") return attributeError(attribute, value);
  return attribute.required && isEmpty(value) ? MESSAGES.required() : "";
}

/* A photo field's input: a picked photo is resized at once, `onPick` gets the resize under way (null once cleared). */
function photoInput(attribute, id, onPick) {
  return el("input", {
    id,
    name: attribute.key,
    type: "file",
    accept: "image/*",
    capture: "environment",
    "aria-required": attribute.required ? "true" : null,
    onchange: (event) => {
      const file = event.target.files[0];
      onPick(file ? resizePhoto(file) : null);
    },
  });
}

/* The values as the server stores them (a photo by its id), empty ones left out; `raw` reads a field's value. */
function storedValues(attributes, raw) {
  const values = {};
  for (const attribute of attributes) {
    const value = raw(attribute);
    if (!isEmpty(value)) values[attribute.key] = attribute.type === "photo" ? value : canonical(attribute, value);
  }
  return values;
}

/* A field's error, shown ("" for none) on its message and its input. */
function showError({ input, error }, message) {
  error.textContent = message;
  input.setAttribute("aria-invalid", message ? "true" : "false");
}

export function schemaFields(attributes, values = {}, { prefix = "field", onChange = () => {} } = {}) {
  const touched = new Set();
  const photos = new Map();
  const readings = new Map();
  const parts = new Map(); // By attribute key: its input and its error message.

  const raw = (attribute) => {
    if (attribute.type === "photo") return photos.get(attribute.key)?.id ?? values[attribute.key] ?? null;
    return readAttribute(attribute, parts.get(attribute.key).input);
  };

  const show = () => {
    const found = Object.fromEntries(attributes.map((attribute) => [attribute.key, fieldError(attribute, raw(attribute))]));
    for (const [key, message] of Object.entries(found)) showError(parts.get(key), touched.has(key) ? message : "");
    return !Object.values(found).some(Boolean);
  };

  const touch = (key) => {
    if (key) touched.add(key);
    show();
    onChange();
  };

  const picked = (key) => (resizing) => {
    photos.delete(key);
    const stored = (resized) => {
      photos.set(key, resized);
      touch(null);
    };
    readings.set(key, resizing ? resizing.then(stored) : null);
  };

  const nodes = attributes.map((attribute) => {
    const id = `${prefix}-${attribute.key}`;
    const input = attribute.type === "photo" ? photoInput(attribute, id, picked(attribute.key)) : attributeInput(attribute, values[attribute.key], id);
    const error = el("p", { class: "error", "aria-live": "polite" });
    parts.set(attribute.key, { input, error });
    input.addEventListener("input", () => touch(attribute.key));
    input.addEventListener("change", () => touch(attribute.key));
    return el("div", { class: "field" }, [label(localized(attribute), attribute.required, id), input, error]);
  });

  return {
    nodes,
    /* Whether every value is valid (errors are shown only on touched fields). */
    valid: () => show(),
    /* Shows every field's error, as after a tap on Submit. */
    touchAll: () => {
      for (const attribute of attributes) touched.add(attribute.key);
      return show();
    },
    /* The values as the server stores them, and the photos to upload with them, once every photo is resized. */
    async read() {
      await Promise.all([...readings.values()].filter(Boolean));
      return { values: storedValues(attributes, raw), photos: [...photos.values()] };
    },
  };
}
