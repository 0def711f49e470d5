/* The list schema on the phone: a value is checked with the rules the server publishes with each attribute
   (clients.schema.attribute_rules: limits, digits, date formats, the email pattern, the phone data of the list's
   country), read as the server's Python reads them, so that Submit is enabled only for what the server will accept,
   and the value sent is the one it stores. No limit is written here: an attribute pulled before the server published
   its rules is left to the server, which checks every value again; its answer wins.
   tests/sync/test_rule_parity.py runs one table of values through both and fails on any difference. */
import { adjusted, compare, digitCount, isIntegral, parseDecimal, plainText, pyLength, pySplit, pyStrip, toBigInt } from "./decimal.js";
import { gettext, interpolate, language } from "./i18n.js";
import { readPhone } from "./phones.js";

export const MESSAGES = {
  required: () => gettext("This field is required."),
  tooLong: (max) => interpolate(gettext("Enter at most %(max)s characters."), { max }),
  integer: () => gettext("Enter a whole number."),
  integerRange: ({ min, max }) => interpolate(gettext("Enter a number between %(min)s and %(max)s."), { min, max }),
  decimal: () => gettext("Enter a number."),
  decimalDigits: ({ max_digits }) => interpolate(gettext("Enter a number with at most %(max)s digits."), { max: max_digits }),
  belowMinimum: ({ min_value }) => interpolate(gettext("Enter a number of at least %(min)s."), { min: min_value }),
  aboveMaximum: ({ max_value }) => interpolate(gettext("Enter a number of at most %(max)s."), { max: max_value }),
  date: () => gettext("Enter a date."),
  email: () => gettext("Enter a valid email address."),
  option: () => gettext("Choose one of the options."),
  phone: ({ example, region }) =>
    interpolate(gettext("Enter a phone number, such as %(example)s (%(country)s), or one starting with + and its country code."), {
      example,
      country: countryName(region),
    }),
};

function countryName(region) {
  try {
    return new Intl.DisplayNames([language()], { type: "region" }).of(region) || region;
  } catch {
    return region;
  }
}

/* Empty as the server means it: nothing, text of spaces only, or no choice. Zero and false are values. */
export function isEmpty(value) {
  if (value == null) return true;
  if (typeof value === "string") return pyStrip(value) === "";
  return Array.isArray(value) && value.length === 0;
}

const refused = (code, message) => ({ code, message });
const regexps = new Map();
/* A published pattern matched whole, as the server's re.fullmatch does. */
function fullMatch(pattern, text) {
  if (!regexps.has(pattern)) regexps.set(pattern, new RegExp(`^(?:${pattern})$`, "u"));
  return regexps.get(pattern).test(text);
}

function cleanText(rules, value) {
  const text = pyStrip(value);
  return rules.max_length != null && pyLength(text) > rules.max_length ? refused("max_length", MESSAGES.tooLong(rules.max_length)) : { value: text };
}

/* The number the rep typed, read as the server reads it: spaces (and French narrow ones) between digits ignored. */
function typedNumber(value, decimalComma) {
  let text = pyStrip(value).replace(/[ \u202f]/g, "");
  if (decimalComma && typeof value === "string" && text.split(",").length === 2 && !text.includes(".")) text = text.replace(",", ".");
  const number = parseDecimal(text);
  return number && !number.special ? number : null;
}

function cleanInteger(rules, value) {
  const number = typeof value === "boolean" ? null : typedNumber(value, false);
  if (!number || !isIntegral(number)) return refused("invalid", MESSAGES.integer());
  if (rules.min == null || rules.max == null) return { value: Number(toBigInt(number)) };
  // A number past the bounds' digits is out of range before it is ever worked out.
  const tooBig = adjusted(number) > String(rules.max).length;
  const whole = tooBig ? null : toBigInt(number);
  if (tooBig || whole < BigInt(rules.min) || whole > BigInt(rules.max)) return refused("range", MESSAGES.integerRange(rules));
  return outOfBounds(rules, number) || { value: Number(whole) };
}

/* The field's own bounds (an activity field's `min_value` and `max_value`, inclusive), or null within them. */
function outOfBounds(rules, number) {
  if (rules.min_value != null && compare(number, parseDecimal(String(rules.min_value))) < 0) return refused("min_value", MESSAGES.belowMinimum(rules));
  if (rules.max_value != null && compare(number, parseDecimal(String(rules.max_value))) > 0) return refused("max_value", MESSAGES.aboveMaximum(rules));
  return null;
}

function cleanDecimal(rules, value) {
  const number = typeof value === "boolean" ? null : typedNumber(value, true);
  if (!number) return refused("invalid", MESSAGES.decimal());
  if (rules.max_digits != null && (digitCount(number) > rules.max_digits || Math.abs(adjusted(number)) > rules.max_digits)) {
    return refused("max_digits", MESSAGES.decimalDigits(rules));
  }
  const bounded = outOfBounds(rules, number);
  if (bounded) return bounded;
  if (number.coefficient === 0n) return { value: "0" };
  const plain = plainText(number);
  return { value: plain.includes(".") ? plain.replace(/0+$/, "").replace(/\.$/, "") : plain };
}

const daysIn = (year, month) => [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

function cleanDate(rules, value) {
  if (typeof value !== "string") return refused("invalid", MESSAGES.date());
  const text = pyStrip(value);
  for (const [pattern, order] of rules.formats || []) {
    if (!regexps.has(pattern)) regexps.set(pattern, new RegExp(`^(?:${pattern})$`, "u"));
    const match = regexps.get(pattern).exec(text);
    if (!match) continue;
    const parts = Object.fromEntries([...order].map((part, index) => [part, Number.parseInt(match[index + 1], 10)]));
    // A real day of the calendar Python's dates know (years 1 to 9999).
    if (parts.y >= 1 && parts.d <= daysIn(parts.y, parts.m)) {
      return { value: `${String(parts.y).padStart(4, "0")}-${String(parts.m).padStart(2, "0")}-${String(parts.d).padStart(2, "0")}` };
    }
  }
  return refused("invalid", MESSAGES.date());
}

function cleanEmail(rules, value) {
  if (typeof value !== "string") return refused("invalid", MESSAGES.email());
  const text = pyStrip(value);
  if ((rules.max_length != null && pyLength(text) > rules.max_length) || (rules.pattern && !fullMatch(rules.pattern, text))) {
    return refused("invalid", MESSAGES.email());
  }
  const at = text.lastIndexOf("@");
  return { value: at < 0 ? text : `${text.slice(0, at)}@${text.slice(at + 1).toLowerCase()}` };
}

/* A choice as the server matches it: the option itself, or one that differs only in case, accents and spaces. */
function fold(text) {
  return pySplit(String(text).toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "")).join(" ");
}

function matchOption(attribute, item) {
  const text = typeof item === "string" || typeof item === "number" ? pyStrip(String(item)) : null;
  if (text === null) return null;
  const options = attribute.options || [];
  return options.includes(text) ? text : (options.find((option) => fold(option) === fold(text)) ?? null);
}

function cleanChoice(attribute, value) {
  const option = matchOption(attribute, value);
  return option === null ? refused("invalid_choice", MESSAGES.option()) : { value: option };
}

function cleanMultipleChoice(attribute, value) {
  if (!Array.isArray(value)) return refused("invalid_choice", MESSAGES.option());
  const chosen = value.filter((item) => !isEmpty(item)).map((item) => matchOption(attribute, item));
  if (chosen.includes(null)) return refused("invalid_choice", MESSAGES.option());
  const ordered = (attribute.options || []).filter((option) => chosen.includes(option));
  return { value: ordered.length ? ordered : null };
}

/* A phone number of the list's country in E.164; another country's as typed, for the server to decide. */
export function cleanPhone(rules, value) {
  if (!rules.phone) return { value: pyStrip(value) };
  const read = readPhone(value, rules.phone);
  if (read.valid === false) return refused("invalid", MESSAGES.phone(rules.phone));
  return { value: read.valid ? read.e164 : pyStrip(value) };
}

const CLEANERS = {
  text: (attribute, value) => cleanText(attribute.rules || {}, value),
  long_text: (attribute, value) => cleanText(attribute.rules || {}, value),
  integer: (attribute, value) => cleanInteger(attribute.rules || {}, value),
  decimal: (attribute, value) => cleanDecimal(attribute.rules || {}, value),
  date: (attribute, value) => cleanDate(attribute.rules || {}, value),
  email: (attribute, value) => cleanEmail(attribute.rules || {}, value),
  phone: (attribute, value) => cleanPhone(attribute.rules || {}, value),
  choice: cleanChoice,
  multiple_choice: cleanMultipleChoice,
};

/* The value as the server stores it ({ value }, null when empty), or why it refuses it ({ code, message }, the
   server's error code): clients.schema.clean_value, the attribute's `required` aside. */
export function cleanValue(attribute, value) {
  if (isEmpty(value)) return { value: null };
  const cleaner = CLEANERS[attribute.type];
  return cleaner ? cleaner(attribute, value) : { value };
}

/* The error message for one attribute value, or "" when it is valid. */
export function attributeError(attribute, value) {
  if (isEmpty(value)) return attribute.required ? MESSAGES.required() : "";
  return cleanValue(attribute, value).message || "";
}

/* The value as the server stores it (clients/schema.py's canonical form); a refused one as typed. */
export function canonical(attribute, value) {
  const cleaned = cleanValue(attribute, value);
  return "code" in cleaned ? value : cleaned.value;
}

/* The client's name: required, at most as long as the list's rules say (`rules`: the list record's `rules`). */
export function nameError(name, rules) {
  const text = pyStrip(name ?? "");
  if (!text) return MESSAGES.required();
  const max = rules?.name?.max_length;
  return max != null && pyLength(text) > max ? MESSAGES.tooLong(max) : "";
}

/* The client's phone: optional, a number the server reads in the list's country (`rules`: the list's `rules`). */
export function phoneError(phone, rules) {
  if (isEmpty(phone)) return "";
  return cleanPhone(rules || {}, phone).message || "";
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
