/* A client's phone number as a link the rep taps to call. */
import { el } from "./dom.js";

/* What a `tel:` link dials: the number as the server stores it, in E.164 (clients/phones.py), which any phone dials
   from anywhere; a number typed on the phone and not yet synced loses its spaces and dots. */
export function dialable(phone) {
  return String(phone).replace(/[^+0-9]/g, "");
}

/* The number as people of the list's country read it: its own numbers without the country code, after the national
   prefix ("+2250701020304" → "07 01 02 03 04" in Côte d'Ivoire), other countries' numbers as stored. `rule` is the
   phone rule the server publishes with the list (clients/phones.py phone_rules: its country code and national
   prefix); without one, as stored. */
export function phoneText(phone, rule = null) {
  const code = rule?.country_code ? `+${rule.country_code}` : null;
  const number = dialable(phone);
  const prefix = rule?.national_prefix || "";
  // A prefix the metadata gives as a pattern (several prefixes) cannot be written out: the number stays as stored.
  if (!code || !number.startsWith(code) || !/^\d*$/.test(prefix)) return String(phone);
  const national = `${prefix}${number.slice(code.length)}`;
  // Côte d'Ivoire, France and most countries of ten-digit numbers read them in pairs; others are left whole rather
  // than cut where their people would not.
  return national.length === 10 ? national.replace(/\B(?=(\d{2})+$)/g, " ") : national;
}

export function phoneLink(phone, rule = null) {
  return el("a", { class: "phone", href: `tel:${dialable(phone)}` }, phoneText(phone, rule));
}

/* The phone rule of the client's list, as the pull brings it with the list (null before a pull brought one). */
export function phoneRule(row) {
  return row?.list?.data.rules?.phone || null;
}
