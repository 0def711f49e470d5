/* Decimal numbers as the server's Python reads, compares and rounds them (its `decimal` module), exactly: no binary
   floating point between the rep's text and the figure the server would store. The rules themselves (how many
   digits, which rounding) are the server's, published in the pull; this module only reads numbers the same way.

   A number is { negative, coefficient (BigInt, never negative), exponent (a Number) }: its value is
   ±coefficient × 10^exponent, as Python's Decimal keeps it ("12.50" is 1250 × 10^-2). */

// The characters Python's str.strip() (and Decimal()) take for whitespace: JavaScript's trim() takes others.
const PY_SPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");
const PY_SPACES = new RegExp(`[${PY_SPACE}]+`);
// Python's Decimal grammar, once its underscores are gone: ASCII digits only (it also reads other scripts' digits,
// which a phone's number pad never types).
const NUMBER = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const SPECIAL = /^[+-]?(?:inf(?:inity)?|s?nan\d*)$/i;

/* Text with Python's whitespace at either end removed, as `str.strip()` does. */
export function pyStrip(text) {
  return String(text).replace(PY_STRIP, "");
}

/* Text split at runs of Python's whitespace, empty parts left out, as `str.split()` does. */
export function pySplit(text) {
  return pyStrip(text).split(PY_SPACES).filter(Boolean);
}

/* How many characters Python counts in `text` (code points: an emoji is one, not two). */
export function pyLength(text) {
  return [...String(text)].length;
}

/* `text` as Python's Decimal(text) reads it: a number, { special: true } for an infinity or a NaN, or null when it
   is no number. */
export function parseDecimal(text) {
  const plain = pyStrip(String(text).replaceAll("_", ""));
  if (SPECIAL.test(plain)) return { special: true };
  const match = NUMBER.exec(plain);
  if (!match) return null;
  const [, sign, whole = "", afterPoint, onlyFraction, exponent = "0"] = match;
  const fraction = afterPoint ?? onlyFraction ?? "";
  return { negative: sign === "-", coefficient: BigInt(whole + fraction), exponent: Number(exponent) - fraction.length };
}

/* The number's significant digits as Python's Decimal.as_tuple() counts them (trailing zeros kept, "0" for zero). */
export function digitCount(number) {
  return number.coefficient.toString().length;
}

/* The exponent of the number's first digit (Decimal.adjusted()): 2 for 123.4, -2 for 0.012. */
export function adjusted(number) {
  return number.exponent + digitCount(number) - 1;
}

/* Whether the number has no fractional part (Decimal's `d == d.to_integral_value()`). */
export function isIntegral(number) {
  if (number.exponent >= 0 || number.coefficient === 0n) return true;
  return number.coefficient % 10n ** BigInt(-number.exponent) === 0n;
}

/* The number as a BigInt, once it is integral (a huge exponent is the caller's to refuse first). */
export function toBigInt(number) {
  const magnitude = number.exponent >= 0 ? number.coefficient * 10n ** BigInt(number.exponent) : number.coefficient / 10n ** BigInt(-number.exponent);
  return number.negative ? -magnitude : magnitude;
}

/* The number in plain notation with as many decimal places as it has ("12.50", "1000", "-0.5"). */
export function plainText(number) {
  const digits = number.coefficient.toString();
  let text;
  if (number.exponent >= 0) text = number.coefficient === 0n ? "0" : digits + "0".repeat(number.exponent);
  else {
    const padded = digits.padStart(-number.exponent + 1, "0");
    text = `${padded.slice(0, number.exponent)}.${padded.slice(number.exponent)}`;
  }
  return number.negative ? `-${text}` : text;
}

export function multiply(a, b) {
  return { negative: a.negative !== b.negative, coefficient: a.coefficient * b.coefficient, exponent: a.exponent + b.exponent };
}

/* -1, 0 or 1 as `a` is below, equal to or above `b` (Decimal's comparison: 1.50 equals 1.5). */
export function compare(a, b) {
  const difference = add(a, { ...b, negative: !b.negative });
  if (difference.coefficient === 0n) return 0;
  return difference.negative ? -1 : 1;
}

export function add(a, b) {
  const exponent = Math.min(a.exponent, b.exponent);
  const scaled = (n) => (n.negative ? -1n : 1n) * n.coefficient * 10n ** BigInt(n.exponent - exponent);
  const sum = scaled(a) + scaled(b);
  return { negative: sum < 0n, coefficient: sum < 0n ? -sum : sum, exponent };
}

// Whether to round the magnitude away from zero, by Python's rounding mode: `half` compares the part dropped with
// one half (-1 below, 0 at, 1 above), `odd` says whether the digit kept is odd.
const ROUND_UP = {
  half_even: (half, odd) => half > 0 || (half === 0 && odd),
  half_up: (half) => half >= 0,
  half_down: (half) => half > 0,
  up: () => true,
  down: () => false,
  ceiling: (half, odd, negative) => !negative,
  floor: (half, odd, negative) => negative,
};

/* The number rounded to `places` decimal places with Python's `rounding` mode ("half_even", as published), as
   Decimal.quantize(Decimal(10) ** -places, rounding=...) does. */
export function quantize(number, places, rounding) {
  const drop = -places - number.exponent;
  if (drop <= 0) return { ...number, coefficient: number.coefficient * 10n ** BigInt(-drop), exponent: -places };
  const unit = 10n ** BigInt(drop);
  let kept = number.coefficient / unit;
  const rest = number.coefficient % unit;
  if (rest !== 0n) {
    const twice = rest * 2n;
    const half = twice < unit ? -1 : twice === unit ? 0 : 1;
    const roundUp = ROUND_UP[rounding];
    if (!roundUp) throw new Error(`unknown rounding ${rounding}`);
    if (roundUp(half, kept % 2n === 1n, number.negative)) kept += 1n;
  }
  return { negative: number.negative, coefficient: kept, exponent: -places };
}
