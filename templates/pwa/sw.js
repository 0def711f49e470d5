{% autoescape off %}/* FieldSales service worker: the shell and static files from the cache, API reads and the sign-in page from the network
   first. */
const VERSION = "{{ version }}";
const PRECACHE = {{ precache }};
const LATER = {{ later }};
const STATIC_PREFIX = {{ static_prefix }};
const IMMUTABLE = {{ immutable }};
const SIGN_IN = {{ sign_in }};
const SHELL_CACHE = `fieldsales-shell-${VERSION}`;
const API_CACHE = "fieldsales-api";
const API_TIMEOUT_MS = 4000;
const PRECACHED = new Set([...PRECACHE, ...LATER]);

async function fetchInto(cache, url, options = {}) {
  // A redirect (to the sign-in page, say) must never be cached as the shell: the install fails and is retried.
  // The shell page and unhashed files are checked with the server; hashed ones may come from the browser's cache.
  const fresh = url === "/" || !url.startsWith(STATIC_PREFIX) || !IMMUTABLE;
  const response = await fetch(url, { cache: fresh ? "no-cache" : "default", redirect: "manual", ...options });
  if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
  // Kept without its Vary header: the answer is the same whoever asks (the shell names no user), and the browser's
  // static routing matches on it, where the fetch handler could ignore it.
  const headers = new Headers(response.headers);
  headers.delete("Vary");
  await cache.put(url, new Response(response.body, { status: response.status, statusText: response.statusText, headers }));
}

async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  // The sign-in page's offline copy is asked without the session: it must name no one, as the shell names no one.
  await Promise.all([
    ...PRECACHE.map((url) => fetchInto(cache, url)),
    fetchInto(cache, SIGN_IN.copy, { credentials: "omit" }),
  ]);
}

/* The map's files, once the app asks (after a sync): what is missing only. */
async function cacheLater() {
  const cache = await caches.open(SHELL_CACHE);
  const missing = [];
  for (const url of LATER) if (!(await cache.match(url))) missing.push(url);
  await Promise.all(missing.map((url) => fetchInto(cache, url).catch(() => null)));
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith("fieldsales-shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name)),
  );
}

async function cacheFirst(request, key) {
  const cached = await caches.match(key || request, { cacheName: SHELL_CACHE, ignoreSearch: Boolean(key) });
  return cached || fetch(request);
}

/* The sign-in page from the server (its form carries a fresh CSRF token); without a network, the offline copy, which
   says what to do, rather than the browser's error page. Known offline, no request is tried (and logged as failed). */
async function signInPage(request) {
  const copy = () => caches.match(SIGN_IN.copy, { cacheName: SHELL_CACHE });
  if (!navigator.onLine) return (await copy()) || fetch(request);
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await copy();
    if (cached) return cached;
    throw error;
  }
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

/* The shell and the static files straight from the cache, without starting this worker: on a slow phone a cold start
   does not wait for the worker to boot (Chromium's static routing; elsewhere the fetch handler below does the same). */
function addRoutes(event) {
  if (!event.addRoutes) return Promise.resolve();
  const fromCache = { cacheName: SHELL_CACHE };
  return event
    .addRoutes([
      { condition: { requestMode: "navigate", urlPattern: { pathname: "/", search: "" } }, source: fromCache },
      { condition: { urlPattern: { pathname: `${STATIC_PREFIX}*` }, requestMethod: "GET" }, source: fromCache },
    ])
    .catch(console.error);
}

self.addEventListener("install", (event) => {
  event.waitUntil(Promise.all([addRoutes(event), precache()]).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  // Signing out forgets the signed-in user's API answers.
  if (event.data === "forget-user") event.waitUntil(caches.delete(API_CACHE));
  if (event.data === "cache-later") event.waitUntil(cacheLater());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The app's sync loop handles its own failures and retries: its pulls are never answered from a cache.
  if (url.pathname.startsWith("/api/sync/")) return;
  if (request.mode === "navigate" && url.pathname === "/") {
    event.respondWith(cacheFirst(request, "/"));
  } else if (request.mode === "navigate" && url.pathname === SIGN_IN.page) {
    event.respondWith(signInPage(request));
  } else if (PRECACHED.has(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request));
  }
});
{% endautoescape %}