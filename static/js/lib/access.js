/* What the rep may do: the rights the server sends with each list (the server checks them again), and the phone's
   own rule that no activity starts on a client with a sync alert. */
import { state } from "./state.js";

function accessOf(listId) {
  return state.lists.get(String(listId))?.data.access || { create: false, edit: false, archive: false };
}

export function canCreate() {
  return [...state.lists.values()].some((list) => list.data.access?.create);
}

export function canEdit(row) {
  return accessOf(row.fields.list).edit;
}

export function canArchive(row) {
  return accessOf(row.fields.list).archive;
}

/* The seed's rule: no activity on a client whose sync failed. */
export function activityBlocked(clientId) {
  return [...state.alerts.values()].some((alert) => alert.client === clientId);
}
