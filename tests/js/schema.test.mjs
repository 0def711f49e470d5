/* The list schema's rules on the phone: the same as clients/schema.py, so that Submit waits for what the server takes. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MESSAGES, attributeError, canonical, isEmpty, nameError } from "../../static/js/lib/schema.js";

const attribute = (type, extra = {}) => ({ key: "x", type, required: false, ...extra });

describe("isEmpty", () => {
  test("null, undefined, empty text and an empty list are empty; zero and false are values", () => {
    for (const value of [null, undefined, "", []]) assert.equal(isEmpty(value), true, String(value));
    for (const value of [0, false, " ", ["a"]]) assert.equal(isEmpty(value), false, String(value));
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
    ["long_text", "x".repeat(5000), true],
    ["long_text", "x".repeat(5001), false],
    ["integer", "42", true],
    ["integer", " -7 ", true],
    ["integer", "4.2", false],
    ["integer", "1e3", false],
    ["integer", String(2 ** 53 + 2), false],
    ["decimal", "12,50", true],
    ["decimal", "-0.5", true],
    ["decimal", "1.2.3", false],
    ["decimal", "1".repeat(16), false],
    ["date", "2025-02-28", true],
    ["date", "2025-13-01", false],
    ["date", "28/02/2025", false],
    ["email", "awa@example.ci", true],
    ["email", "awa@example", false],
  ];
  for (const [type, value, valid] of cases) {
    test(`${type} ${JSON.stringify(value).slice(0, 30)} is ${valid ? "valid" : "refused"}`, () => {
      assert.equal(attributeError(attribute(type), value) === "", valid);
    });
  }

  test("choices must be among the options, each of them for a multiple choice", () => {
    const options = ["Kiosque", "Boutique"];
    assert.equal(attributeError(attribute("choice", { options }), "Kiosque"), "");
    assert.equal(attributeError(attribute("choice", { options }), "Autre"), MESSAGES.option());
    assert.equal(attributeError(attribute("multiple_choice", { options }), ["Kiosque", "Boutique"]), "");
    assert.equal(attributeError(attribute("multiple_choice", { options }), ["Kiosque", "Autre"]), MESSAGES.option());
  });

  test("the error says the limit", () => {
    assert.equal(attributeError(attribute("text"), "x".repeat(300)), "Enter at most 255 characters.");
  });
});

describe("canonical", () => {
  test("each type as the server stores it", () => {
    assert.equal(canonical(attribute("integer"), " 42 "), 42);
    assert.equal(canonical(attribute("decimal"), " 12,50 "), "12.50");
    assert.equal(canonical(attribute("text"), "  Cocody "), "Cocody");
    assert.equal(canonical(attribute("phone"), " +225 07 "), "+225 07");
    assert.equal(canonical(attribute("email"), " Awa.K@Example.CI "), "Awa.K@example.ci");
    assert.deepEqual(canonical(attribute("multiple_choice"), ["a"]), ["a"]);
    assert.equal(canonical(attribute("boolean"), false), false);
  });

  test("an empty value is null, whatever the type", () => {
    for (const type of ["integer", "text", "email", "multiple_choice"]) assert.equal(canonical(attribute(type), type === "multiple_choice" ? [] : ""), null);
  });
});

describe("nameError", () => {
  test("a client needs a name of at most 200 characters, spaces around it aside", () => {
    assert.equal(nameError("   "), MESSAGES.required());
    assert.equal(nameError(null), MESSAGES.required());
    assert.equal(nameError(` ${"n".repeat(200)} `), "");
    assert.equal(nameError("n".repeat(201)), MESSAGES.tooLong(200));
  });
});
