/* The list schema's rules on the phone, read from what the server publishes with each attribute (the figures below
   stand for the pull's; tests/sync/test_rule_parity.py runs the server's own against the app). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MESSAGES, attributeError, canonical, isEmpty, nameError, phoneError } from "../../static/js/lib/schema.js";

// Côte d'Ivoire's numbers, as clients.phones.phone_rules("CI") publishes them.
const CI = {
  region: "CI",
  country_code: 225,
  international_prefix: "00",
  national_prefix: null,
  national_prefix_transform: null,
  general: ["[02]\\d{9}", [10]],
  local_lengths: [],
  regions: [{ region: "CI", leading_digits: null, general: ["[02]\\d{9}", [10]], types: [["2[15]\\d{8}", [10]], ["0[157]\\d{8}", [10]]] }],
  example: "01 23 45 6789",
};
const RULES = {
  text: { max_length: 255 },
  long_text: { max_length: 5000 },
  integer: { min: -(2 ** 53), max: 2 ** 53 },
  decimal: { max_digits: 15 },
  date: { formats: [["([0-9]{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12][0-9]|0[1-9]|[1-9])", "ymd"], ["(3[01]|[12][0-9]|0[1-9]|[1-9])/(1[0-2]|0[1-9]|[1-9])/([0-9]{4})", "dmy"]] },
  email: { pattern: "[A-Za-z.]+@[A-Za-z]+(?:\\.[A-Za-z]{2,})+", max_length: 320 },
  phone: { phone: CI },
};
const attribute = (type, extra = {}) => ({ key: "x", type, required: false, rules: RULES[type], ...extra });

describe("isEmpty", () => {
  test("null, undefined, text of spaces only and an empty list are empty; zero and false are values", () => {
    for (const value of [null, undefined, "", " \u00a0", []]) assert.equal(isEmpty(value), true, String(value));
    for (const value of [0, false, " x", ["a"]]) assert.equal(isEmpty(value), false, String(value));
  });
});

describe("attributeError", () => {
  test("an empty value is an error only where the attribute is required", () => {
    assert.equal(attributeError(attribute("text", { required: true }), ""), MESSAGES.required());
    assert.equal(attributeError(attribute("text"), ""), "");
  });

  const cases = [
    ["text", "x".repeat(255), true],
    ["text", ` ${"x".repeat(255)} `, true],
    ["text", "x".repeat(256), false],
    ["text", "😀".repeat(255), true],
    ["long_text", "x".repeat(5000), true],
    ["long_text", "x".repeat(5001), false],
    ["integer", "42", true],
    ["integer", " -7 ", true],
    ["integer", "4.2", false],
    ["integer", "4.0", true],
    ["integer", "1e3", true],
    ["integer", "1,5", false],
    ["integer", String(2 ** 53), true],
    ["integer", "9007199254740993", false],
    ["decimal", "12,50", true],
    ["decimal", "-0.5", true],
    ["decimal", "1.2.3", false],
    ["decimal", "1".repeat(15), true],
    ["decimal", "1".repeat(16), false],
    ["decimal", "1.1234567890123456", false],
    ["decimal", "0.0000000000000001", false],
    ["date", "2025-02-28", true],
    ["date", "28/02/2025", true],
    ["date", "2026-02-30", false],
    ["date", "2025-13-01", false],
    ["email", "awa@example.ci", true],
    ["email", "awa@example", false],
    ["phone", "07 01 02 03 04", true],
    ["phone", "+225 07 01 02 03 04", true],
    ["phone", "0601020304", false],
    ["phone", "07 01 02 03", false],
    ["phone", "+33 6 12 34 56 78", true], // another country's: the server's to decide
    ["phone", "Tel: 07 01 02 03 04", false],
  ];
  for (const [type, value, valid] of cases) {
    test(`${type} ${JSON.stringify(value).slice(0, 30)} is ${valid ? "valid" : "refused"}`, () => {
      assert.equal(attributeError(attribute(type), value) === "", valid);
    });
  }

  test("an attribute pulled before the server published its rules is left to the server", () => {
    assert.equal(attributeError({ key: "x", type: "text" }, "x".repeat(9999)), "");
    assert.equal(attributeError({ key: "x", type: "phone" }, "123"), "");
  });

  test("choices must be among the options, each of them for a multiple choice", () => {
    const options = ["Kiosque", "Boutique"];
    assert.equal(attributeError(attribute("choice", { options }), "Kiosque"), "");
    assert.equal(attributeError(attribute("choice", { options }), "Autre"), MESSAGES.option());
    assert.equal(attributeError(attribute("multiple_choice", { options }), ["Kiosque", "Boutique"]), "");
    assert.equal(attributeError(attribute("multiple_choice", { options }), ["Kiosque", "Autre"]), MESSAGES.option());
  });

  test("the error says the published limit", () => {
    assert.equal(attributeError(attribute("text"), "x".repeat(300)), "Enter at most 255 characters.");
    assert.equal(attributeError(attribute("text", { rules: { max_length: 20 } }), "x".repeat(21)), "Enter at most 20 characters.");
    assert.equal(attributeError(attribute("decimal"), "1".repeat(16)), "Enter a number with at most 15 digits.");
    assert.match(attributeError(attribute("phone"), "0601020304"), /such as 01 23 45 6789 \(.*Ivoire\)/);
  });
});

describe("canonical", () => {
  test("each type as the server stores it", () => {
    assert.equal(canonical(attribute("integer"), " 42 "), 42);
    assert.equal(canonical(attribute("integer"), "1e3"), 1000);
    assert.equal(canonical(attribute("decimal"), " 12,50 "), "12.5");
    assert.equal(canonical(attribute("decimal"), "1 234,50"), "1234.5");
    assert.equal(canonical(attribute("decimal"), "-0.00"), "0");
    assert.equal(canonical(attribute("date"), "3/4/2026"), "2026-04-03");
    assert.equal(canonical(attribute("text"), "  Cocody "), "Cocody");
    assert.equal(canonical(attribute("phone"), " 07 01 02 03 04 "), "+2250701020304");
    assert.equal(canonical(attribute("phone"), "00225 0701020304"), "+2250701020304");
    assert.equal(canonical(attribute("phone"), "+33 6 12 34 56 78"), "+33 6 12 34 56 78");
    assert.equal(canonical(attribute("email"), " Awa.K@Example.CI "), "Awa.K@example.ci");
    assert.equal(canonical(attribute("choice", { options: ["Épicerie"] }), "epicerie"), "Épicerie");
    assert.deepEqual(canonical(attribute("multiple_choice", { options: ["a", "b"] }), ["b", "a"]), ["a", "b"]);
    assert.equal(canonical(attribute("boolean"), false), false);
  });

  test("an empty value is null, whatever the type", () => {
    for (const type of ["integer", "text", "email", "multiple_choice"]) assert.equal(canonical(attribute(type), type === "multiple_choice" ? [] : ""), null);
  });
});

describe("the client's own fields", () => {
  const list = { name: { max_length: 200 }, phone: CI };

  test("a client needs a name of at most the list's limit, spaces around it aside", () => {
    assert.equal(nameError("   ", list), MESSAGES.required());
    assert.equal(nameError(null, list), MESSAGES.required());
    assert.equal(nameError(` ${"n".repeat(200)} `, list), "");
    assert.equal(nameError("n".repeat(201), list), MESSAGES.tooLong(200));
  });

  test("a phone is optional, and a number of the list's country", () => {
    assert.equal(phoneError("", list), "");
    assert.equal(phoneError("07 01 02 03 04", list), "");
    assert.notEqual(phoneError("0601020304", list), "");
  });
});
