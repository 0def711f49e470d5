/* Search folds case and accents: a rep typing "epicerie" finds "Épicerie". */
import assert from "node:assert/strict";
import { test } from "node:test";

import { fold, uuid } from "../../static/js/lib/text.js";

test("case, accents and the spaces around are folded away", () => {
  assert.equal(fold("  Épicerie CHEZ Zoé "), "epicerie chez zoe");
  assert.equal(fold("Ça coûte"), "ca coute");
});

test("a composed and a decomposed accent fold the same", () => {
  assert.equal(fold("e\u0301"), fold("\u00e9"));
});

test("nothing folds to empty text; numbers to their digits", () => {
  assert.equal(fold(null), "");
  assert.equal(fold(undefined), "");
  assert.equal(fold(42), "42");
});

test("ids are version 4 UUIDs, each new", () => {
  assert.match(uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(uuid(), uuid());
});
