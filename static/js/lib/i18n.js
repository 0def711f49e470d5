/* The app's strings, from the Django `djangojs` catalogue of the chosen language (cached for offline use). */
export const LANGUAGES = { en: "English", fr: "Français" };
const STORAGE_KEY = "fieldsales.language";

let catalog = {};
let current = "en";

/* The language the rep chose in Settings on this phone, or null. */
export function storedLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored in LANGUAGES ? stored : null;
}

export function chosenLanguage() {
  const stored = storedLanguage();
  if (stored) return stored;
  const preferred = (navigator.languages || [navigator.language || "en"]).map((tag) => tag.slice(0, 2).toLowerCase());
  return preferred.find((code) => code in LANGUAGES) || "en";
}

export async function loadLanguage(code) {
  const response = await fetch(`/app/i18n/${code}.json`);
  if (!response.ok) throw new Error(`catalogue ${code}: ${response.status}`);
  catalog = (await response.json()).catalog || {};
  current = code;
  document.documentElement.lang = code;
}

export function rememberLanguage(code) {
  localStorage.setItem(STORAGE_KEY, code);
}

export function language() {
  return current;
}

export function gettext(msgid) {
  const value = catalog[msgid];
  if (value === undefined) return msgid;
  return Array.isArray(value) ? value[0] : value;
}

function pluralIndex(count) {
  return current === "fr" ? Number(count > 1) : Number(count !== 1);
}

export function ngettext(singular, plural, count) {
  const value = catalog[singular];
  const index = pluralIndex(count);
  if (Array.isArray(value)) return value[Math.min(index, value.length - 1)];
  return index ? plural : singular;
}

export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

/* A label in the app's language from a record that carries label_en and label_fr. */
export function localized(record, field = "label") {
  return record[`${field}_${current}`] || record[field] || record[`${field}_en`] || "";
}
