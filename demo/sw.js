/**
 * The demo's service worker: caches every file of the build on install, then serves pages from
 * the network when it can and from the cache when it cannot, and the other files from the cache.
 * The lists below are filled in at build time (demo/vite.config.ts).
 */
const PRECACHE = self.__PRECACHE__;
const CACHE = `idb-checkpoint-demo-${self.__VERSION__}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("idb-checkpoint-demo-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Network first for the page, so a new deploy shows up; the cached page when offline.
    event.respondWith(
      fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match("./", { ignoreVary: true }).then((hit) => hit ?? Response.error()))),
    );
    return;
  }
  // Built files have hashed names: a cached copy is never stale. ignoreVary: servers answer with
  // `Vary: Origin`, and a module script's request carries an Origin the install request did not.
  event.respondWith(caches.match(request, { ignoreVary: true }).then((hit) => hit ?? fetch(request)));
});
