/* No function of the app's JavaScript is over 60 lines: a longer one is split into named parts. */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { functionLengths, functionLengthsOf } from "./functions.mjs";

const MAX_LINES = 60;
const ROOT = fileURLToPath(new URL("../../static/js/", import.meta.url));

function sources(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

test("no function in static/js is over 60 lines", () => {
  const files = sources(ROOT);
  assert.ok(files.length > 20, `found ${files.length} files`);
  const long = files.flatMap(functionLengthsOf).filter((fn) => fn.lines > MAX_LINES);
  assert.deepEqual(
    long.map((fn) => `${fn.path.slice(ROOT.length)}:${fn.line} ${fn.name} (${fn.lines} lines)`),
    [],
  );
});

describe("the scan", () => {
  const body = (lines) => Array.from({ length: lines }, (_, index) => `  step(${index});`).join("\n");

  test("finds declared, arrow and method functions and counts their lines", () => {
    const source = `function a() {\n${body(3)}\n}\nconst b = (x) => {\n${body(1)}\n};\nclass C {\n  get d() {\n    return 1;\n  }\n}\n`;
    assert.deepEqual(
      functionLengths(source).map((fn) => [fn.name, fn.line, fn.lines]),
      [
        ["a", 1, 5],
        ["b", 6, 3],
        ["d", 10, 3],
      ],
    );
  });

  test("counts an outer function whole, nested ones too", () => {
    const source = `export function render() {\n  const draw = () => {\n${body(60)}\n  };\n}\n`;
    assert.deepEqual(functionLengths(source).map((fn) => [fn.name, fn.lines]), [["draw", 62], ["render", 64]]);
  });

  test("blocks of if, for, while, switch and catch, objects and classes are not functions", () => {
    const source = "if (a) {\n}\nfor (;;) {\n}\nwhile (b) {\n}\nswitch (c) {\n}\ntry {\n} catch (e) {\n}\nconst o = { k: 1 };\nclass K {\n}\n{\n}\n";
    assert.deepEqual(functionLengths(source), []);
  });

  test("braces in strings, template literals, comments and regular expressions do not count", () => {
    const source = 'function a() {\n  const s = "}{";\n  const t = `${"{"}}`;\n  // }\n  /* } */\n  const r = /[}{]/g;\n  return s + t;\n}\n';
    assert.deepEqual(functionLengths(source).map((fn) => [fn.name, fn.lines]), [["a", 8]]);
  });
});
