/* The duplicate-outlet warning's matching: similar names near the new client, the same phone, fast on 3,000 clients. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { editDistance, findDuplicates, foldName, phoneKeys, samePhone } from "../../static/js/lib/duplicates.js";

const RULES = { radius_m: 150, max_edits: 2 };
const ABIDJAN = { lat: 5.3599, lng: -4.0083 };

/* A point `north` metres north and `east` metres east of Abidjan's centre. */
function at(north, east = 0) {
  const perDegree = (6371008.8 * Math.PI) / 180;
  return { lat: ABIDJAN.lat + north / perDegree, lng: ABIDJAN.lng + east / (perDegree * Math.cos((ABIDJAN.lat * Math.PI) / 180)) };
}

/* A client row as lib/projection.js makes it: name and position at hand, the rest in the record's JSON text. */
function row(id, name, point, phone = "") {
  const data = { name, ...point, phone };
  return { id, name, lat: point?.lat ?? null, lng: point?.lng ?? null, own: null, record: { json: JSON.stringify(data) }, fields: data };
}

test("names fold accents, case and punctuation away", () => {
  assert.equal(foldName("Boutique  Chez Awá!"), "boutique chez awa");
  assert.equal(foldName("Épicerie-du-Coin (Treichville)"), "epicerie du coin treichville");
  assert.equal(foldName("  "), "");
});

test("the edit distance is exact up to its bound, and the bound plus one beyond", () => {
  assert.equal(editDistance("kitten", "sitting", 3), 3);
  assert.equal(editDistance("kitten", "sitting", 2), 3);
  assert.equal(editDistance("boutique awa", "boutique ava", 2), 1);
  assert.equal(editDistance("abc", "abc", 0), 0);
  assert.equal(editDistance("", "ab", 2), 2);
  assert.equal(editDistance("abcdef", "ab", 2), 3);
  assert.equal(editDistance("flaw", "lawn", 2), 2);
});

test("a similar name within the radius is a duplicate; the same name farther away is not", () => {
  const rows = [row("near", "Boutique Chez Awa", at(60)), row("far", "Boutique Chez Awa", at(400)), row("other", "Pharmacie du Port", at(10))];

  const found = findDuplicates(rows, { name: "boutique chez awá", phone: "", point: ABIDJAN }, RULES);

  assert.deepEqual(found.map((match) => [match.id, match.reasons]), [["near", ["name"]]]);
  assert.ok(Math.abs(found[0].distance_m - 60) < 1, found[0].distance_m);
});

test("names two edits apart match, three do not; the radius and the edits are the server's", () => {
  const rows = [row("two", "Boutique Chez Ama", at(20, 20))];
  const draft = { name: "Boutique Chez Awa!!", phone: "", point: ABIDJAN };
  assert.equal(findDuplicates(rows, { ...draft, name: "Boutik Chez Awa" }, RULES).length, 0);
  assert.equal(findDuplicates(rows, draft, RULES).length, 1);
  assert.equal(findDuplicates(rows, draft, { ...RULES, max_edits: 0 }).length, 0);
  assert.equal(findDuplicates(rows, draft, { ...RULES, radius_m: 20 }).length, 0);
});

test("without the server's rules, or without a position, nothing is judged by name", () => {
  const rows = [row("near", "Boutique Chez Awa", at(10), "+2250701020304")];
  assert.deepEqual(findDuplicates(rows, { name: "Boutique Chez Awa", phone: "0701020304", point: ABIDJAN }, null), []);
  assert.deepEqual(findDuplicates(rows, { name: "Boutique Chez Awa", phone: "", point: null }, RULES), []);
});

test("a phone typed in the national form is the stored E.164 one, whatever the distance", () => {
  const rows = [row("same", "Kiosque Bleu", at(5000), "+2250701020304"), row("other", "Kiosque Rouge", at(10), "+2250701020399")];

  const found = findDuplicates(rows, { name: "Nouveau Kiosque", phone: "07 01 02 03 04", point: ABIDJAN }, RULES);

  assert.deepEqual(found.map((match) => [match.id, match.reasons]), [["same", ["phone"]]]);
});

test("phones compare on their national significant digits", () => {
  // Côte d'Ivoire keeps the leading 0 in the number; France drops it after +33; a number typed with + or 00.
  assert.ok(samePhone(phoneKeys("07 01 02 03 04"), "+2250701020304"));
  assert.ok(samePhone(phoneKeys("06 12 34 56 78"), "+33612345678"));
  assert.ok(samePhone(phoneKeys("+225 07 01 02 03 04"), "+2250701020304"));
  assert.ok(samePhone(phoneKeys("00225 0701020304"), "+2250701020304"));
  assert.ok(!samePhone(phoneKeys("+33 7 01 02 03 04"), "+2250701020304"));
  assert.ok(!samePhone(phoneKeys("07 01 02 03 05"), "+2250701020304"));
  // A number still being typed is no number yet; its end alone is not the stored one.
  assert.equal(phoneKeys("07 01 0"), null);
  assert.ok(!samePhone(phoneKeys("01 02 03 04"), "+2250701020304"));
  assert.ok(!samePhone(phoneKeys("0701020304"), ""));
});

test("a pending client of the phone (its own fields, no record) is judged too", () => {
  const pending = { id: "new", name: "Cave Awa", lat: ABIDJAN.lat, lng: ABIDJAN.lng, own: { phone: "0701020304" }, record: null, fields: { phone: "0701020304" } };
  const found = findDuplicates([pending], { name: "Cave Awa", phone: "07 01 02 03 04", point: ABIDJAN }, RULES);
  assert.deepEqual(found.map((match) => match.reasons), [["name", "phone"]]);
});

test("matches on name and phone come first, then the nearest, at most three", () => {
  const rows = [
    row("a", "Boutique Awa", at(100)),
    row("b", "Boutique Awa", at(30), "+2250701020304"),
    row("c", "Boutique Awa", at(50)),
    row("d", "Boutique Ava", at(10)),
  ];
  const found = findDuplicates(rows, { name: "Boutique Awa", phone: "0701020304", point: ABIDJAN }, RULES);
  assert.deepEqual(
    found.map((match) => match.id),
    ["b", "d", "c"],
  );
});

test("3,000 clients are judged in a few milliseconds, decoding only those that may match", () => {
  // Names three edits apart at least (each digit of the number written three times), 40 m apart on a grid.
  const name = (i) => `Boutique ${[...String(i).padStart(4, "0")].map((digit) => digit.repeat(3)).join("")}`;
  const rows = [];
  for (let i = 0; i < 3000; i++) rows.push(row(`c${i}`, name(i), at((i % 60) * 40, Math.floor(i / 60) * 40), `+22507${10000000 + i}`));
  const decoded = new Set();
  for (const client of rows) {
    const fields = client.fields;
    Object.defineProperty(client, "fields", { get: () => (decoded.add(client.id), fields) });
  }
  const draft = { name: name(7), phone: "07 10 00 01 23", point: at(280) };
  findDuplicates(rows, draft, RULES);
  const start = performance.now();
  const runs = 20;
  let found = [];
  for (let run = 0; run < runs; run++) found = findDuplicates(rows, draft, RULES);
  const each = (performance.now() - start) / runs;

  assert.deepEqual(found.map((match) => match.id).sort(), ["c123", "c7"]);
  assert.ok(each < 15, `${each.toFixed(2)} ms a run`);
  assert.ok(decoded.size <= 3, `decoded ${decoded.size} clients`);
});
