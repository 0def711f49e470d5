/* The list schema on the phone: the same rules as clients/schema.py, so that Submit is enabled only for what
   the server will accept. The server checks again; its answer wins. Phones are the server's alone: what makes a
   number valid is libphonenumber's data for each country (clients/phones.py), which no short rule here would match,
   so a number the server refuses comes back as a sync alert with its message. */
import { gettext, interpolate } from "./i18n.js";

const TEXT_MAX = 255;
const LONG_TEXT_MAX = 5000;
const INTEGER_LIMIT = 2 ** 53;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const NAME_MAX = 200;

export const MESSAGES = {
  required: () => gettext("This field is required."),
  tooLong: (max) => interpolate(gettext("Enter at most %(max)s characters."), { max }),
  integer: () => gettext("Enter a whole number."),
  decimal: () => gettext("Enter a number."),
  date: () => gettext("Enter a date."),
  email: () => gettext("Enter a valid email address."),
  option: () => gettext("Choose one of the options."),
};

export function isEmpty(value) {
  return value == null || value === "" || (Array.isArray(value) && value.length === 0);
}

/* The error message for one attribute value, or "" when it is valid. */
export function attributeError(attribute, value) {
  if (isEmpty(value)) return attribute.required ? MESSAGES.required() : "";
  switch (attribute.type) {
    case "text":
      return String(value).trim().length > TEXT_MAX ? MESSAGES.tooLong(TEXT_MAX) : "";
    case "long_text":
      return String(value).trim().length > LONG_TEXT_MAX ? MESSAGES.tooLong(LONG_TEXT_MAX) : "";
    case "integer":
      return Number.isInteger(Number(value)) && /^\s*-?\d+\s*$/.test(String(value)) && Math.abs(Number(value)) <= INTEGER_LIMIT
        ? ""
        : MESSAGES.integer();
    case "decimal":
      return /^\s*-?\d{1,15}([.,]\d+)?\s*$/.test(String(value)) ? "" : MESSAGES.decimal();
    case "date":
      return DATE_RE.test(String(value)) && !Number.isNaN(Date.parse(String(value))) ? "" : MESSAGES.date();
    case "email":
      return EMAIL_RE.test(String(value).trim()) ? "" : MESSAGES.email();
    case "choice":
      return attribute.options.includes(value) ? "" : MESSAGES.option();
    case "multiple_choice":
      return value.every((item) => attribute.options.includes(item)) ? "" : MESSAGES.option();
    default:
      return "";
  }
}

/* The value as the server stores it (clients/schema.py's canonical form). */
export function canonical(attribute, value) {
  if (isEmpty(value)) return null;
  switch (attribute.type) {
    case "integer":
      return Number.parseInt(String(value), 10);
    case "decimal":
      return String(value).trim().replace(",", ".");
    case "text":
    case "long_text":
    case "phone":
      return String(value).trim();
    case "email": {
      const [local, domain] = String(value).trim().split("@");
      return `${local}@${(domain || "").toLowerCase()}`;
    }
    default:
      return value;
  }
}

export function nameError(name) {
  if (isEmpty(String(name ?? "").trim())) return MESSAGES.required();
  return String(name).trim().length > NAME_MAX ? MESSAGES.tooLong(NAME_MAX) : "";
}

/* A value as a rep reads it. */
export function display(attribute, value) {
  if (isEmpty(value)) return "";
  if (attribute.type === "boolean") return value ? gettext("Yes") : gettext("No");
  if (Array.isArray(value)) return value.join(", ");
  if (attribute.type === "date") {
    const date = new Date(`${value}T00:00:00`);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleDateString(document.documentElement.lang);
  }
  return String(value);
}
