/* Starts reading the phone's data while the app's modules load, so that a cold start overlaps the two.
   A classic script, run as soon as the shell is parsed; the app (lib/store.js) takes its result if it has one. */
(function readEarly() {
  window.fieldsalesEarly = new Promise((resolve) => {
    if (!("indexedDB" in window)) return resolve(null);
    const request = indexedDB.open("fieldsales");
    // No database yet: leave its creation to the app, which knows its stores.
    request.onupgradeneeded = () => request.transaction.abort();
    request.onerror = () => resolve(null);
    request.onsuccess = () => {
      const db = request.result;
      // Photos waiting for upload (blobs) and settings (meta) are not needed to draw the first screen.
      const names = [...db.objectStoreNames].filter((name) => name !== "blobs" && name !== "meta");
      const read = {};
      const tx = db.transaction(names, "readonly");
      for (const name of names) {
        const all = tx.objectStore(name).getAll();
        all.onsuccess = () => {
          read[name] = all.result;
        };
      }
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
})();
