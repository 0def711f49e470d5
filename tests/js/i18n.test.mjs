/* The app's strings without a catalogue loaded: the English text, with its placeholders filled. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { gettext, interpolate, localized, ngettext } from "../../static/js/lib/i18n.js";

test("a string with no translation is itself", () => {
  assert.equal(gettext("Sync now"), "Sync now");
});

test("placeholders are filled by name; a missing value leaves them empty", () => {
  assert.equal(interpolate("%(count)s of %(total)s", { count: 3, total: 10 }), "3 of 10");
  assert.equal(interpolate("Hello %(name)s", {}), "Hello ");
});

test("English plurals: one is singular, zero and more are plural", () => {
  assert.equal(ngettext("a photo", "photos", 1), "a photo");
  assert.equal(ngettext("a photo", "photos", 0), "photos");
  assert.equal(ngettext("a photo", "photos", 2), "photos");
});

test("a record's label in the app's language, else its plain or English label", () => {
  assert.equal(localized({ label_en: "Orders", label_fr: "Commandes" }), "Orders");
  assert.equal(localized({ name: "Visite", name_fr: "Visite FR" }, "name"), "Visite");
  assert.equal(localized({}), "");
});
