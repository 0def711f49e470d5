/* What is still only on this phone, by kind, for Settings to say whether the rep may sign out or change phone. */

// The kinds of record a rep knows, by the op types that carry them. A visit is one record whatever number of its ops
// wait (check-in, activities, end); a client edit counts once per client.
const KIND_OF_OP = {
  "client.create": "newClient",
  "client.update": "clientEdit",
  "client.archive": "deletion",
  "visit.checkin": "visit",
  "activity.submit": "visit",
  "visit.end": "visit",
  "note.create": "note",
  "statement.send": "statement",
};

// The order the kinds are named in: what costs a rep most to do again first.
export const KINDS = ["visit", "newClient", "clientEdit", "deletion", "note", "statement", "photo"];

/* The ids of the photos an op names: a client's photo, those of photo fields and of activities. */
function photosOf(op) {
  return [op.data?.photo, ...(op.photos || [])].filter(Boolean);
}

/* `outbox`: the queued ops; `unsentPhotos`: ids of the photos not uploaded yet. Returns the count of each kind that
   waits (kinds with none left out) and the ids of the clients they belong to, in the order they were made. Photos
   count only when a queued op names them: a photo whose op was discarded is no longer the rep's work. */
export function waitingWork(outbox, unsentPhotos = []) {
  const records = Object.fromEntries(KINDS.map((kind) => [kind, new Set()]));
  const clients = new Set();
  const unsent = new Set(unsentPhotos);
  for (const op of outbox) {
    const kind = KIND_OF_OP[op.type];
    if (kind) records[kind].add(kind === "visit" ? String(op.visit ?? op.entity_id) : kind === "clientEdit" ? op.entity_id : op.op_id);
    for (const id of photosOf(op)) if (unsent.has(id)) records.photo.add(id);
    if (op.client) clients.add(op.client);
  }
  const counts = Object.fromEntries(KINDS.filter((kind) => records[kind].size).map((kind) => [kind, records[kind].size]));
  return { counts, clients: [...clients] };
}
