/* Search folds case and accents: a rep typing "epicerie" finds "Épicerie". */
export function fold(value) {
  return String(value ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .trim();
}

export function uuid() {
  return crypto.randomUUID();
}
