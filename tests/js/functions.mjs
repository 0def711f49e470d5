/* The functions of a JavaScript source and how many lines each spans, found without a parser (none ships with Node):
   a scan that skips comments, strings, template literals and regular expressions, and takes a `{` for a function's
   body when it follows `=>`, or a parameter list that no `if`, `for`, `while`, `switch` or `catch` opens.
   Run it on files to list the longest: node tests/js/functions.mjs static/js/**.js */
import { readFileSync } from "node:fs";

const NOT_FUNCTIONS = new Set(["if", "for", "while", "switch", "catch", "with"]);
// After one of these, a `/` starts a regular expression; after anything else it divides.
const BEFORE_REGEX = new Set(["(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^", "return", "typeof", "case", "of", "in", "=>", ""]);

/* The source's tokens that matter here: punctuation and words, with their line; strings, comments and regular
   expressions are skipped, a template literal's `${…}` parts are scanned as code. */
function tokens(source) {
  const found = [];
  let line = 1;
  let i = 0;
  const braces = []; // For each open `{`: whether it opened a template literal's `${`.
  const previous = () => (found.length ? found[found.length - 1].text : "");
  const skipTemplate = () => {
    // From inside a template literal to its end, or to a `${`, which is pushed as code.
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") return void (i += 1);
      else if (c === "$" && source[i + 1] === "{") {
        braces.push(true);
        i += 2;
        return;
      } else {
        if (c === "\n") line += 1;
        i += 1;
      }
    }
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "\n") {
      line += 1;
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i += 1;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      line += (source.slice(i, end).match(/\n/g) || []).length;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      i += 1;
      while (source[i] !== c) i += source[i] === "\\" ? 2 : 1;
      i += 1;
    } else if (c === "`") {
      i += 1;
      skipTemplate();
    } else if (c === "/" && BEFORE_REGEX.has(previous())) {
      let inClass = false;
      i += 1;
      while (inClass || source[i] !== "/") {
        if (source[i] === "\\") i += 1;
        else if (source[i] === "[") inClass = true;
        else if (source[i] === "]") inClass = false;
        i += 1;
      }
      i += 1;
      while (/[a-z]/.test(source[i])) i += 1;
      found.push({ text: "regex", line });
    } else if (/[\w$]/.test(c)) {
      const word = /^[\w$]+/.exec(source.slice(i, i + 100))[0];
      found.push({ text: word, line });
      i += word.length;
    } else if (c === "=" && next === ">") {
      found.push({ text: "=>", line });
      i += 2;
    } else if (c === "{") {
      braces.push(false);
      found.push({ text: "{", line });
      i += 1;
    } else if (c === "}" && braces.pop()) {
      // The end of a template literal's `${…}`: the literal goes on.
      i += 1;
      skipTemplate();
    } else {
      found.push({ text: c, line });
      i += 1;
    }
  }
  return found;
}

/* Whether the `{` at `index` opens a function's body, and the function's name when it does. */
function functionAt(list, index) {
  const before = list[index - 1]?.text;
  if (before === "=>") {
    const assigned = list.slice(0, index).reverse().findIndex((token) => token.text === "=" || token.text === ":");
    return { name: assigned >= 0 ? list[index - 2 - assigned]?.text || "(arrow)" : "(arrow)" };
  }
  if (before !== ")") return null;
  let depth = 0;
  let open = index - 1;
  for (; open >= 0; open -= 1) {
    if (list[open].text === ")") depth += 1;
    if (list[open].text === "(") depth -= 1;
    if (depth === 0) break;
  }
  const name = list[open - 1]?.text;
  if (!name || NOT_FUNCTIONS.has(name)) return null;
  return { name: name === "function" ? "(function)" : name };
}

/* Every function of `source` with its first line and the number of lines it spans (its body's braces included). */
export function functionLengths(source) {
  const list = tokens(source);
  const open = [];
  const functions = [];
  list.forEach((token, index) => {
    if (token.text === "{") open.push({ index, fn: functionAt(list, index) });
    if (token.text === "}") {
      const start = open.pop();
      if (start?.fn) functions.push({ name: start.fn.name, line: list[start.index].line, lines: token.line - list[start.index].line + 1 });
    }
  });
  return functions;
}

export function functionLengthsOf(path) {
  return functionLengths(readFileSync(path, "utf8")).map((fn) => ({ ...fn, path }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const all = process.argv.slice(2).flatMap(functionLengthsOf);
  for (const fn of all.sort((a, b) => b.lines - a.lines).slice(0, 25)) console.log(`${fn.lines}\t${fn.path}:${fn.line}\t${fn.name}`);
}
