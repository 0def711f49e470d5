/* What a cold start can do before the app's modules have loaded, in a classic script at the end of the page:
   1. paint the clients list as the rep last left it (views/list.js keeps a copy of its first screen), so the first
      rows show before any module has run, however slow the phone;
   2. start reading what the list needs from IndexedDB, so that the read overlaps the modules' loading. The app
      (lib/state.js) takes that read if it has one; the KPI cards, visits and notes are read later, or on demand. */
// A block, not a function: its names stay out of the page's global scope.
{
  // The names are the app's: views/list.js (FIRST_SCREEN_KEY); the stores to read, lib/db.js's LIST_STORES, which
  // the app keeps in the database's meta store under this key.
  const FIRST_SCREEN_KEY = "fieldsales.firstScreen";
  const LIST_STORES_KEY = "listStores";
  const CHUNK = 500;

  const paintFirstScreen = () => {
    if ((location.hash || "#/clients") !== "#/clients") return;
    let html = null;
    try {
      html = localStorage.getItem(FIRST_SCREEN_KEY);
    } catch {
      return;
    }
    if (!html) return;
    const app = document.getElementById("app");
    // The copy was made by the app from its own DOM: markup the browser serialised, with every text escaped.
    app.innerHTML = html;
    window.fieldsalesPainted = true;
    // Painted means on screen: the mark is set in the frame after the rows went in.
    requestAnimationFrame(() => setTimeout(() => performance.mark("fieldsales-first-rows"), 0));
  };

  const readLocalData = () => {
    return new Promise((resolve) => {
      if (!("indexedDB" in window)) return resolve(null);
      const request = indexedDB.open("fieldsales");
      // No database yet: leave its creation to the app, which knows its stores.
      request.onupgradeneeded = () => request.transaction.abort();
      request.onerror = () => resolve(null);
      request.onsuccess = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("meta")) {
          db.close();
          return resolve(null);
        }
        const read = {};
        // One transaction over every store: the names to read come from its first answer.
        const tx = db.transaction([...db.objectStoreNames], "readonly");
        // A few hundred records an answer: each answer is decoded in a task of its own, so that 10,000 clients never
        // hold the page still for long, and the first screen painted above stays responsive.
        const readAll = (store, name, after) => {
          const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
          const request = store.getAll(range, CHUNK);
          request.onsuccess = () => {
            const found = request.result;
            read[name] = read[name] ? read[name].concat(found) : found;
            if (found.length === CHUNK) readAll(store, name, store.keyPath ? found[found.length - 1][store.keyPath] : undefined);
          };
        };
        const listed = tx.objectStore("meta").get(LIST_STORES_KEY);
        listed.onsuccess = () => {
          // None kept (a database this version of the app has not opened yet): the app reads what it needs itself.
          const names = (listed.result || []).filter((name) => db.objectStoreNames.contains(name));
          for (const name of names) readAll(tx.objectStore(name), name);
        };
        tx.oncomplete = () => {
          db.close();
          resolve({ version: db.version, stores: read });
        };
        tx.onerror = () => {
          db.close();
          resolve(null);
        };
      };
    });
  };

  paintFirstScreen();
  window.fieldsalesEarly = readLocalData();
}
