/* Amounts, moments and initials as the rep reads them. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatAmount, formatMoment, formatMoney, initials } from "../../static/js/lib/format.js";

// Intl's French separators are narrow no-break spaces: compare with plain spaces.
const plain = (text) => text.replace(/[\u202f\u00a0]/g, " ");

test("money has two decimals in the language's own way", () => {
  assert.equal(formatMoney(1234.5, "en"), "1,234.50");
  assert.equal(plain(formatMoney("1234.5", "fr")), "1 234,50");
});

test("a moment reads as a date and time; what is not one reads as itself", () => {
  assert.equal(formatMoment("", "en"), "");
  assert.equal(formatMoment(null, "en"), "");
  assert.equal(formatMoment("soon", "en"), "soon");
  assert.match(formatMoment("2025-03-01T10:00:00Z", "en"), /Mar 1, 2025/);
});

test("initials are the first letters of the first two words", () => {
  assert.equal(initials("boutique  awa fils"), "BA");
  assert.equal(initials("Kiosque"), "K");
  assert.equal(initials(""), "?");
  assert.equal(initials(undefined), "?");
});

test("an amount carries the server's places and currency; without its rules, the bare number", () => {
  assert.equal(plain(formatAmount(13395000, { places: 2, currency: "FCFA" }, "fr")), "13 395 000,00 FCFA");
  assert.equal(formatAmount("12.5", { places: 0, currency: "€" }, "en"), "13\u00a0€");
  assert.equal(formatAmount("12.5", null, "en"), "12.5");
});
