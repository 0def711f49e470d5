/* The activity form builder in the admin (workflows/forms.py): adds a field row from the page's template and moves
   rows up and down, numbering their order again; the server reads the rows and judges them. It has no text of its
   own: the page gives it every word. Listens on the document, so rows of an activity added by Django's inlines work
   too. */

const TEMPLATE_ROW = "__row__";

/* The name the builder's inputs start with now: Django's inlines rename an added activity's inputs, not the
   builder's data attributes. */
function currentName(builder) {
  const marker = builder.querySelector("input[data-fields-name]");
  return marker.name.slice(0, -"-present".length);
}

/* The fields' rows: a <tbody> each (the field's parts, then its options and bounds). */
function rowsOf(builder) {
  return [...builder.querySelectorAll("[data-fields-rows] > tbody")];
}

function renumber(builder) {
  rowsOf(builder).forEach((row, index) => {
    row.querySelector("[data-fields-order]").value = String(index + 1);
  });
}

function nextIndex(builder) {
  const indexes = rowsOf(builder).map((row) => Number(row.dataset.fieldsIndex));
  return indexes.length ? Math.max(...indexes) + 1 : 0;
}

function renamed(value, from, to) {
  return value.split(from).join(to);
}

function addRow(builder) {
  const template = builder.querySelector("template[data-fields-template]");
  const row = template.content.querySelector("tbody").cloneNode(true);
  const index = nextIndex(builder);
  const from = `${builder.dataset.fieldsBuilder}-${TEMPLATE_ROW}-`;
  const to = `${currentName(builder)}-${index}-`;
  for (const element of row.querySelectorAll("[name], [id], [aria-describedby]")) {
    for (const attribute of ["name", "id", "aria-describedby"]) {
      if (element.hasAttribute(attribute)) element.setAttribute(attribute, renamed(element.getAttribute(attribute), from, to));
    }
  }
  row.dataset.fieldsIndex = String(index);
  builder.querySelector("[data-fields-rows]").append(row);
  builder.querySelector(".fields-builder-empty")?.remove();
  renumber(builder);
  row.querySelector("input[type=text]").focus();
}

function announce(builder, row) {
  const rows = rowsOf(builder);
  const text = builder.dataset.fieldsMoved.replace("{position}", String(rows.indexOf(row) + 1)).replace("{count}", String(rows.length));
  builder.querySelector("[data-fields-status]").textContent = text;
}

function move(builder, button, step) {
  const row = button.closest("tbody");
  const other = step < 0 ? row.previousElementSibling : row.nextElementSibling;
  if (!other) return;
  if (step < 0) other.before(row);
  else other.after(row);
  renumber(builder);
  button.focus();
  announce(builder, row);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fields-action]");
  const builder = button?.closest("[data-fields-builder]");
  if (!builder) return;
  const action = button.dataset.fieldsAction;
  if (action === "add") addRow(builder);
  else if (action === "up" || action === "down") move(builder, button, action === "up" ? -1 : 1);
});
