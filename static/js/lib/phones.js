/* Phone numbers read as the server reads them (clients/phones.py, Google's libphonenumber), from the data of the
   list's country that the pull publishes with the list (clients.phones.phone_rules): whether a number is valid,
   and its E.164 form. These functions follow libphonenumber's parse() and is_valid_number() step by step, for
   what a rep types on a phone: digits, spaces, "-", ".", "(", ")", "/" and a leading "+".

   - A number written with another country's code (+33…, 0033…): the app holds no data of that country, so it
     cannot tell; it lets the number through as typed, and the server stores it in E.164 or refuses the op (a sync
     alert says why).
   - Anything else (a letter, "Tel:", "#"): libphonenumber may read it (a vanity number, an extension), the app
     refuses it and asks for the digits. It never lets through what the server would refuse. */
import { pyStrip } from "./decimal.js";

const TYPED = /^[0-9+ \u00a0\-.()/]*$/;
// libphonenumber's "viable phone number", for the characters above: two digits, or a leading "+" then at least three
// digits among its punctuation.
const VIABLE = /^(?:[0-9]{2}|\+*(?:[ \u00a0\-.()/]*[0-9]){3,}[ \u00a0\-.()/0-9]*)$/;
const MIN_NSN = 2;
const MAX_NSN = 17;
const MAX_INPUT = 250;

const compiled = new Map();
/* The published pattern as a RegExp anchored at the start (`whole`: at both ends), compiled once. */
function pattern(source, whole) {
  const key = `${whole}:${source}`;
  if (!compiled.has(key)) compiled.set(key, new RegExp(whole ? `^(?:${source})$` : `^(?:${source})`));
  return compiled.get(key);
}

const digitsOf = (text) => text.replace(/[^0-9]/g, "");

/* libphonenumber's _match_national_number: the description's pattern matches the whole number. */
function matchesPattern(number, desc) {
  return Boolean(desc) && pattern(desc[0], true).test(number);
}

/* _is_number_matching_desc: one of the description's lengths (any, when it lists none), and its pattern. */
function matchesDesc(number, desc) {
  if (!desc) return false;
  if (desc[1].length && !desc[1].includes(number.length)) return false;
  return matchesPattern(number, desc);
}

/* _test_number_length against the general description: "possible", "too_short", "too_long", "local_only" or
   "invalid_length". */
function lengthCheck(number, parsing) {
  const lengths = parsing.general[1];
  if (parsing.local_lengths.includes(number.length)) return "local_only";
  if (lengths[0] === number.length) return "possible";
  if (lengths[0] > number.length) return "too_short";
  if (lengths[lengths.length - 1] < number.length) return "too_long";
  return lengths.slice(1).includes(number.length) ? "possible" : "invalid_length";
}

/* _maybe_strip_national_prefix_carrier_code: the number without its national prefix ("0" in France), rewritten the
   way some countries read it, unless that would make a number that matched the general pattern stop matching. */
function stripNationalPrefix(number, parsing) {
  if (!number || !parsing.national_prefix) return number;
  const match = pattern(parsing.national_prefix, false).exec(number);
  if (!match) return number;
  const viable = matchesPattern(number, parsing.general);
  const transform = parsing.national_prefix_transform;
  const stripped = !transform || match[match.length - 1] === undefined ? number.slice(match[0].length) : number.replace(new RegExp(parsing.national_prefix), transform);
  return viable && !matchesPattern(stripped, parsing.general) ? number : stripped;
}

/* After a "+" or the international prefix: the national number of the list's country code, "other" for a number
   of another code the app cannot read, or null when libphonenumber refuses it (nothing after, a code of 0…). */
function afterInternationalPrefix(full, rules) {
  if (full.length <= MIN_NSN) return null;
  if (full.startsWith("0")) return "zero";
  const code = String(rules.country_code);
  return full.startsWith(code) ? { code: rules.country_code, national: full.slice(code.length) } : "other";
}

/* _maybe_extract_country_code: { code, national } when the number carries a country code, { code: 0 } when it does
   not, "other" for another country's, null when refused. `typed` starts with "+" or a digit. */
function extractCountryCode(typed, rules) {
  const plus = /^\++/.exec(typed);
  if (plus) {
    const found = afterInternationalPrefix(digitsOf(typed.slice(plus[0].length)), rules);
    if (found !== "zero") return found;
    // No country code starts with 0: libphonenumber reads what follows the "+" again as if typed without it.
    const again = extractCountryCode(typed.slice(plus[0].length), rules);
    return again && again.code === 0 ? null : again;
  }
  const number = digitsOf(typed);
  const idd = pattern(rules.international_prefix, false).exec(number);
  if (idd && number[idd[0].length] !== "0") {
    const found = afterInternationalPrefix(number.slice(idd[0].length), rules);
    return found === "zero" ? null : found;
  }
  const code = String(rules.country_code);
  if (number.startsWith(code)) {
    const national = stripNationalPrefix(number.slice(code.length), rules);
    if ((!matchesPattern(number, rules.general) && matchesPattern(national, rules.general)) || lengthCheck(number, rules) === "too_long") {
      return { code: rules.country_code, national };
    }
  }
  return { code: 0 };
}

/* _region_code_for_number_from_list, then _number_type_helper: valid when the number matches the general
   description and one of the number types of the region it belongs to. */
function isValidNational(national, rules) {
  const region = rules.regions.length === 1 ? rules.regions[0] : rules.regions.find((r) => (r.leading_digits ? pattern(r.leading_digits, false).test(national) : isOfRegion(national, r)));
  return Boolean(region) && isOfRegion(national, region);
}

function isOfRegion(national, region) {
  return matchesDesc(national, region.general) && region.types.some((desc) => matchesDesc(national, desc));
}

/* What the server makes of `value`, typed by the rep: { valid: true, e164 } when it stores it as `e164`,
   { valid: false } when it refuses it, { valid: null } when the app cannot tell (another country's code). */
export function readPhone(value, rules) {
  const text = pyStrip(value);
  if (text.length > MAX_INPUT || !TYPED.test(text)) return { valid: false };
  const start = text.search(/[+0-9]/);
  const typed = start < 0 ? "" : text.slice(start).replace(/[^0-9]+$/, "");
  if (typed.length < MIN_NSN || !VIABLE.test(typed)) return { valid: false };
  const extracted = extractCountryCode(typed, rules);
  if (extracted === "other") return { valid: null };
  if (!extracted) return { valid: false };
  // A number read with its country code follows the code's main region (+1: the US) when it is not the list's.
  const parsing = extracted.code && rules.main ? rules.main : rules;
  let national = extracted.code ? extracted.national : digitsOf(typed);
  // The national prefix is left on a number that is too short without it: it may be a short number.
  if (national.length < MIN_NSN) return { valid: false };
  const stripped = stripNationalPrefix(national, parsing);
  if (!["too_short", "local_only", "invalid_length"].includes(lengthCheck(stripped, parsing))) national = stripped;
  if (national.length > MAX_NSN || !isValidNational(national, rules)) return { valid: false };
  return { valid: true, e164: `+${rules.country_code}${national}` };
}
