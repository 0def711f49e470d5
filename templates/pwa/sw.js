{% autoescape off %}/* FieldSales service worker: the shell and static files from the cache, API reads from the network first. */
const VERSION = "{{ version }}";
const PRECACHE = {{ precache }};
const SHELL_CACHE = `fieldsales-shell-${VERSION}`;
const API_CACHE = "fieldsales-api";
const API_TIMEOUT_MS = 4000;
const PRECACHED = new Set(PRECACHE);

async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(
    PRECACHE.map(async (url) => {
      // A redirect (to the sign-in page, say) must never be cached as the shell: the install fails and is retried.
      const response = await fetch(url, { cache: "no-cache", redirect: "manual" });
      if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
      await cache.put(url, response);
    }),
  );
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith("fieldsales-shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name)),
  );
}

async function cacheFirst(request, key) {
  // Precached answers are the same for every request of their URL, whatever their Vary header says.
  const cached = await caches.match(key || request, { cacheName: SHELL_CACHE, ignoreVary: true, ignoreSearch: Boolean(key) });
  return cached || fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), API_TIMEOUT_MS)),
    ]);
    if (response.status === 200) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  // Signing out forgets the signed-in user's API answers.
  if (event.data === "forget-user") event.waitUntil(caches.delete(API_CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The app's sync loop handles its own failures and retries: its pulls are never answered from a cache.
  if (url.pathname.startsWith("/api/sync/")) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(cacheFirst(request, "/"));
  } else if (PRECACHED.has(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request));
  }
});
{% endautoescape %}
