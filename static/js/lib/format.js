/* Numbers and moments as the rep reads them, in the page's language unless `lang` says another. */

function pageLanguage() {
  return document.documentElement.lang;
}

/* An amount with two decimals ("1 234,50" in French); the currency is the caller's to add. */
export function formatMoney(amount, lang = pageLanguage()) {
  return Number(amount).toLocaleString(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/* An amount as the rep reads it, with its currency: "13 395 000,00 FCFA". `money` is the server's money rules
   (`state.rules.money`: places and currency, from the pull); before the first sync brings them, the bare number. */
export function formatAmount(amount, money = null, lang = pageLanguage()) {
  const places = money?.places;
  const digits = places == null ? { maximumFractionDigits: 20 } : { minimumFractionDigits: places, maximumFractionDigits: places };
  const text = Number(amount).toLocaleString(lang, digits);
  return money?.currency ? `${text}\u00a0${money.currency}` : text;
}

/* A date and time of the server's or the phone's ISO text; the text itself when it is not one. */
export function formatMoment(iso, lang = pageLanguage()) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

/* A moment as a list of changes names it: day, month and time ("3 déc., 14:05"; "Dec 3, 14:05"), with the year when
   it is not `now`'s. The text itself when it is not one. */
export function formatShortMoment(iso, lang = pageLanguage(), now = new Date()) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return iso ? String(iso) : "";
  const options = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (date.getFullYear() !== now.getFullYear()) options.year = "numeric";
  return date.toLocaleString(lang, options);
}

/* The first letters of a name's first two words, for a client's icon ("Boutique Awa" → "BA"); "?" for no name. */
export function initials(name) {
  return (name || "?")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0].toUpperCase())
    .join("");
}
