/* An activity field's own bounds on the phone (clients.schema.attribute_rules publishes them as `min_value` and
   `max_value`): inclusive, compared as Python's Decimal compares ("99.90" is 99.9), after the type's own rules. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { compare, parseDecimal } from "../../static/js/lib/decimal.js";
import { MESSAGES, attributeError, cleanValue } from "../../static/js/lib/schema.js";

const share = { key: "part", type: "integer", required: true, rules: { min: -(2 ** 53), max: 2 ** 53, min_value: 0, max_value: 100 } };
const price = { key: "prix", type: "decimal", required: false, rules: { max_digits: 15, min_value: "0.5", max_value: "99.9" } };

describe("compare", () => {
  test("orders decimals by value, whatever their digits and signs", () => {
    const cases = [
      ["1.50", "1.5", 0],
      ["-0", "0", 0],
      ["0.49", "0.5", -1],
      ["100", "99.99", 1],
      ["-2", "-10", 1],
      ["1e2", "100.0", 0],
    ];
    for (const [a, b, expected] of cases) assert.equal(compare(parseDecimal(a), parseDecimal(b)), expected, `${a} vs ${b}`);
  });
});

describe("bounds", () => {
  test("a whole number within its bounds is kept, the bounds themselves included", () => {
    for (const [typed, kept] of [["0", 0], ["100", 100], [" 42 ", 42]]) assert.deepEqual(cleanValue(share, typed), { value: kept });
  });

  test("a whole number beyond them is refused, naming the bound", () => {
    assert.deepEqual(cleanValue(share, "101"), { code: "max_value", message: MESSAGES.aboveMaximum(share.rules) });
    assert.deepEqual(cleanValue(share, "-1"), { code: "min_value", message: MESSAGES.belowMinimum(share.rules) });
    assert.equal(attributeError(share, "101"), "Enter a number of at most 100.");
  });

  test("a decimal is compared exactly, French comma and trailing zeros alike", () => {
    assert.deepEqual(cleanValue(price, "99,90"), { value: "99.9" });
    assert.deepEqual(cleanValue(price, "0.5"), { value: "0.5" });
    assert.equal(cleanValue(price, "0.4999").code, "min_value");
    assert.equal(cleanValue(price, "99.91").code, "max_value");
    assert.equal(attributeError(price, "0,4"), "Enter a number of at least 0.5.");
  });

  test("a field without bounds keeps the type's own rules only", () => {
    const plain = { key: "n", type: "integer", rules: { min: -(2 ** 53), max: 2 ** 53 } };
    assert.deepEqual(cleanValue(plain, "-5000"), { value: -5000 });
  });
});
