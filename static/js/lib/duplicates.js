/* The duplicate-outlet warning: while a rep creates a client, the clients of the rep's lists that look like the same
   point of sale. A similar name (accents, case and punctuation aside, within the server's number of edits) within the
   server's radius of the new client's point, or the same phone. The figures are the server's (clients/duplicates.py,
   in the pull's rules as `state.rules.duplicates`): without them, nothing is a duplicate.

   Run on every pause in the rep's typing over thousands of clients on a slow phone, so each client is first judged by
   what costs nothing (a box of latitudes and longitudes, a few digits in its stored text) before the distance and the
   edit distance are worked out. */
import { EARTH_RADIUS_M, distanceM } from "./geo.js";
import { fold } from "./text.js";

// A degree of latitude, in metres, on the sphere geo.js measures on.
const METRES_PER_DEGREE = (EARTH_RADIUS_M * Math.PI) / 180;
// The box is a little wider than the circle: the true distance (haversine) decides at its edge.
const BOX_MARGIN = 1.05;
// Fewer digits than this are no phone number yet (the rep is still typing it): nothing to compare.
const MIN_PHONE_DIGITS = 7;
// E.164: a country code of one to three digits, then the national significant number.
const MAX_COUNTRY_CODE = 3;

/* A name as duplicates are judged by it: without accents, case or punctuation, one space between words. */
export function foldName(name) {
  return fold(name)
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/* The edit distance (Levenshtein) of `a` and `b` when it is at most `max`, else `max + 1`: only the band of the
   table within `max` of its diagonal is worked out, and the work stops once a whole row is beyond `max`. */
export function editDistance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const tooFar = max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => (j <= max ? j : tooFar));
  for (let i = 1; i <= a.length; i++) {
    const current = new Array(b.length + 1).fill(tooFar);
    current[0] = i <= max ? i : tooFar;
    let best = current[0];
    for (let j = Math.max(1, i - max); j <= Math.min(b.length, i + max); j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, previous[j] + 1, current[j - 1] + 1, tooFar);
      best = Math.min(best, current[j]);
    }
    if (best > max) return tooFar;
    previous = current;
  }
  return Math.min(previous[b.length], tooFar);
}

/* The national numbers a phone typed by the rep may be, as digits: the number typed as the country writes it, with
   or without its trunk prefix ("07 01 02 03 04" is 0701020304 in Côte d'Ivoire, where the 0 stays, and 701020304 in
   a country that drops it). A number typed with + or 00 is the whole international number instead. */
export function phoneKeys(typed) {
  const text = String(typed ?? "").trim();
  let digits = text.replace(/\D/g, "");
  const international = text.startsWith("+") || digits.startsWith("00");
  if (international && !text.startsWith("+")) digits = digits.slice(2);
  if (digits.length < MIN_PHONE_DIGITS) return null;
  const national = international ? [] : [digits, digits.replace(/^0/, "")].filter((key) => key.length >= MIN_PHONE_DIGITS);
  return { international: international ? digits : null, national: [...new Set(national)], tail: digits.slice(-MIN_PHONE_DIGITS) };
}

/* Whether a stored phone (E.164, as the server keeps it) is the number of `keys`: the same national significant
   digits after a country code of one to three digits. */
export function samePhone(keys, stored) {
  if (!keys || !stored) return false;
  const digits = String(stored).replace(/\D/g, "");
  if (keys.international) return digits === keys.international;
  return keys.national.some((key) => {
    const code = digits.length - key.length;
    return digits.endsWith(key) && (code === 0 || (code >= 1 && code <= MAX_COUNTRY_CODE));
  });
}

/* The stored phone of a client row (lib/projection.js), read only when its stored text holds the number's last digits:
   a client whose record the phone keeps as JSON text is not decoded for nothing. */
function storedPhone(row, keys) {
  const text = row.own ? null : row.record?.json;
  if (text != null && !text.includes(keys.tail)) return null;
  return row.fields?.phone || null;
}

/* Whether `row` lies in the box of `radius` metres around `point`: two subtractions, before the true distance. */
function nearBox(row, point, radius) {
  if (row.lat == null || row.lng == null) return false;
  const box = radius * BOX_MARGIN;
  if (Math.abs(row.lat - point.lat) * METRES_PER_DEGREE > box) return false;
  return Math.abs(row.lng - point.lng) * METRES_PER_DEGREE * Math.cos((point.lat * Math.PI) / 180) <= box;
}

function nameMatch(row, draft, rules) {
  const name = foldName(row.name);
  return name !== "" && editDistance(name, draft, rules.max_edits) <= rules.max_edits;
}

/* What makes `row` a likely duplicate of the draft, or null: its distance and reasons ("name", "phone"). */
function judge(row, draft, keys, rules) {
  const near = draft.point && draft.name && nearBox(row, draft.point, rules.radius_m);
  const distance = near ? distanceM(draft.point, row) : null;
  const reasons = [];
  if (distance != null && distance <= rules.radius_m && nameMatch(row, draft.name, rules)) reasons.push("name");
  if (keys && samePhone(keys, storedPhone(row, keys))) reasons.push("phone");
  if (!reasons.length) return null;
  return { id: row.id, name: row.name, distance_m: distance ?? distanceM(draft.point, row), reasons };
}

/* The clients among `rows` (state.clients' values) that look like the new client `draft` ({name, phone, point:
   {lat, lng} or null}), by the server's `rules` ({radius_m, max_edits}, or null: none). Those matching on both
   first, then the nearest; at most `limit`. */
export function findDuplicates(rows, draft, rules, { limit = 3 } = {}) {
  if (!rules || rules.radius_m == null || rules.max_edits == null) return [];
  const point = draft.point?.lat != null && draft.point?.lng != null ? draft.point : null;
  const folded = { name: foldName(draft.name), point };
  const keys = phoneKeys(draft.phone);
  if (!folded.name && !keys) return [];
  const found = [];
  for (const row of rows) {
    const match = judge(row, folded, keys, rules);
    if (match) found.push(match);
  }
  const far = Number.POSITIVE_INFINITY;
  found.sort((a, b) => b.reasons.length - a.reasons.length || (a.distance_m ?? far) - (b.distance_m ?? far));
  return found.slice(0, limit);
}
