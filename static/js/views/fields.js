/* A form's fields built from schema attributes (a list's, or an activity's own): red dots on required fields,
   each error shown once its field was touched, photos resized on the phone. Used by the visit's activities and by
   the required fields asked for before a visit. */
import { gettext, localized } from "../lib/i18n.js";
import { attributeError, canonical, isEmpty } from "../lib/schema.js";
import { el } from "./dom.js";
import { attributeInput, label, readAttribute, resizePhoto } from "./form.js";

export function schemaFields(attributes, values = {}, { prefix = "field", onChange = () => {} } = {}) {
  const touched = new Set();
  const photos = new Map();
  const readings = new Map();
  const inputs = new Map();
  const errorNodes = new Map();

  const raw = (attribute) => {
    if (attribute.type === "photo") return photos.get(attribute.key)?.id ?? values[attribute.key] ?? null;
    return readAttribute(attribute, inputs.get(attribute.key));
  };
  const errors = () => Object.fromEntries(attributes.map((attribute) => [attribute.key, attribute.type === "photo" ? (attribute.required && isEmpty(raw(attribute)) ? gettext("This field is required.") : "") : attributeError(attribute, raw(attribute))]));

  const show = () => {
    const found = errors();
    for (const [key, message] of Object.entries(found)) {
      errorNodes.get(key).textContent = touched.has(key) ? message : "";
      inputs.get(key).setAttribute("aria-invalid", touched.has(key) && message ? "true" : "false");
    }
    return !Object.values(found).some(Boolean);
  };

  const nodes = attributes.map((attribute) => {
    const id = `${prefix}-${attribute.key}`;
    let input;
    if (attribute.type === "photo") {
      input = el("input", {
        id,
        name: attribute.key,
        type: "file",
        accept: "image/*",
        capture: "environment",
        "aria-required": attribute.required ? "true" : null,
        onchange: (event) => {
          const file = event.target.files[0];
          photos.delete(attribute.key);
          readings.set(
            attribute.key,
            file
              ? resizePhoto(file).then((resized) => {
                  photos.set(attribute.key, resized);
                  show();
                  onChange();
                })
              : null,
          );
        },
      });
    } else {
      input = attributeInput(attribute, values[attribute.key], id);
    }
    inputs.set(attribute.key, input);
    const error = el("p", { class: "error", "aria-live": "polite" });
    errorNodes.set(attribute.key, error);
    const mark = () => {
      touched.add(attribute.key);
      show();
      onChange();
    };
    input.addEventListener("input", mark);
    input.addEventListener("change", mark);
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
      const read = {};
      for (const attribute of attributes) {
        const value = raw(attribute);
        if (!isEmpty(value)) read[attribute.key] = attribute.type === "photo" ? value : canonical(attribute, value);
      }
      return { values: read, photos: [...photos.values()] };
    },
  };
}
