/* Send account statement: WhatsApp, SMS or email through the server (queued as `statement.send`, so it goes
   out when the phone is back online), or the phone's share sheet with the PDF where the browser can share files. */
import { gettext } from "../lib/i18n.js";
import { sendStatement } from "../lib/outbox.js";
import { state } from "../lib/state.js";
import { api, syncNow } from "../lib/sync.js";
import { el, sheet, toast } from "./dom.js";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function emailOf(row) {
  const attributes = row.list?.data.attributes || [];
  const email = attributes.find((a) => a.type === "email" && row.fields.attributes?.[a.key]);
  return email ? row.fields.attributes[email.key] : "";
}

async function share(row, status) {
  status.textContent = gettext("Preparing the statement…");
  try {
    const response = await api(`/api/clients/${row.id}/statement.pdf`);
    const blob = await response.blob();
    const file = new File([blob], `${row.fields.name}.pdf`, { type: "application/pdf" });
    if (navigator.canShare?.({ files: [file] })) {
      await navigator.share({ files: [file], title: gettext("Account statement") });
      status.textContent = "";
    } else {
      // No file sharing here: open the PDF, which the rep can share from the viewer.
      window.open(URL.createObjectURL(file), "_blank", "noopener");
      status.textContent = "";
    }
  } catch (error) {
    status.textContent = navigator.onLine ? gettext("The statement could not be prepared. Try again.") : gettext("Sharing needs a network; WhatsApp, SMS and email are sent when you are back online.");
  }
}

export function openStatement(clientId) {
  const row = state.clients.get(clientId);
  if (!row || !row.fields.statement_enabled) return null;
  let dialog = null;
  const channels = [
    ["whatsapp", gettext("WhatsApp"), row.fields.phone || ""],
    ["sms", gettext("SMS"), row.fields.phone || ""],
    ["email", gettext("Email"), emailOf(row)],
  ];
  const recipient = el("input", { id: "statement-recipient", name: "recipient", type: "tel", value: channels[0][2] });
  const error = el("p", { class: "error", "aria-live": "polite" });
  const status = el("p", { class: "hint", role: "status" });
  const send = el("button", { type: "submit", class: "primary" }, gettext("Send"));
  const form = el("form", { class: "client-form", novalidate: true }, [
    el("fieldset", { class: "choices" }, [
      el("legend", {}, gettext("Channel")),
      ...channels.map(([value, label, address], index) =>
        el("label", { class: "choice" }, [
          el("input", {
            type: "radio",
            name: "channel",
            value,
            checked: index === 0,
            onchange: () => {
              recipient.type = value === "email" ? "email" : "tel";
              recipient.value = address;
              error.textContent = "";
            },
          }),
          label,
        ]),
      ),
    ]),
    el("div", { class: "field" }, [el("label", { for: "statement-recipient" }, gettext("Recipient")), recipient, error]),
    el("div", { class: "actions" }, [
      el("button", { type: "button", class: "secondary", onclick: () => share(row, status) }, gettext("Share…")),
      send,
    ]),
    status,
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const channel = form.elements.channel.value;
    const to = recipient.value.trim();
    // A phone number is judged by the server (clients/phones.py): one it refuses comes back as a sync alert.
    const ok = channel === "email" ? EMAIL_RE.test(to) : to !== "";
    if (!ok) {
      error.textContent = channel === "email" ? gettext("Enter a valid email address.") : gettext("This field is required.");
      recipient.setAttribute("aria-invalid", "true");
      return;
    }
    send.disabled = true;
    await sendStatement({ client: row.id, channel, recipient: to });
    syncNow();
    dialog.close();
    toast(navigator.onLine ? gettext("The statement is on its way.") : gettext("The statement will be sent when you are back online."));
  });
  dialog = sheet(gettext("Send account statement"), form);
  return dialog;
}
