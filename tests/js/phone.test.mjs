/* A client's phone as Info and the ⋮ menu show it: dialled in E.164, read as the list's country writes it. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { dialable, phoneText } from "../../static/js/views/phone.js";

// The parts of clients/phones.py phone_rules() that the display reads.
const CI = { country_code: 225, national_prefix: null };
const FR = { country_code: 33, national_prefix: "0" };

test("a number of the list's country reads in its national form, in pairs", () => {
  assert.equal(phoneText("+2250701020304", CI), "07 01 02 03 04");
  assert.equal(phoneText("+33612345678", FR), "06 12 34 56 78");
});

test("another country's number, or no rule yet, shows as stored", () => {
  assert.equal(phoneText("+33612345678", CI), "+33612345678");
  assert.equal(phoneText("+2250701020304"), "+2250701020304");
  assert.equal(phoneText("+2250701020304", { country_code: 225, national_prefix: "0|1" }), "+2250701020304");
});

test("a number of another length is not cut into pairs", () => {
  assert.equal(phoneText("+221771234567", { country_code: 221, national_prefix: null }), "771234567");
});

test("the link dials the digits and the plus only", () => {
  assert.equal(dialable("+225 07.01.02.03.04"), "+2250701020304");
});
