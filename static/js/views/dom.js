/* Appends `children` to `node`: nested arrays flattened, text set as text, and null, undefined and false skipped, so
   that a part a screen shows only sometimes can be written `condition ? part : null`. */
function appendAll(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/* Replaces what `parent` holds with `children`, by `el`'s rule: a screen fills its <main> with this, never with
   `append`, which would write a skipped part as the text "null". */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return appendAll(parent, children);
}

/* A small element builder: el("button", { class: "x", onclick }, [children]). Text is always set as text. */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key in node && key !== "list" && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  return appendAll(node, children);
}

/* A sheet over the screen (a native <dialog>): closes on Escape or a tap outside. */
export function sheet(title, content, { onClose = null } = {}) {
  const dialog = el("dialog", { class: "sheet", "aria-label": title }, [el("h2", {}, title), content]);
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (onClose) onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/* A short message that does not block the rep (an alert() would), read out by screen readers. */
export function toast(message) {
  const node = el("p", { class: "toast", role: "status" }, message);
  document.body.append(node);
  setTimeout(() => node.remove(), 4000);
}

const ICONS = {
  search: "M10 2a8 8 0 0 1 6.32 12.9l5.39 5.39-1.42 1.42-5.39-5.39A8 8 0 1 1 10 2zm0 2a6 6 0 1 0 0 12 6 6 0 0 0 0-12z",
  trash: "M9 3h6l1 2h5v2H3V5h5l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h2v-8h-2zm4 0v8h2v-8h-2z",
  back: "M20 11H7.83l5.59-5.59L12 4l-8 8 8 8 1.41-1.41L7.83 13H20v-2z",
  pin: "M12 2a7 7 0 0 1 7 7c0 5.25-7 13-7 13S5 14.25 5 9a7 7 0 0 1 7-7zm0 4.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z",
};

/* An icon drawn by the app itself (no icon font, no emoji: a cheap phone may lack both). */
export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "22");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}
