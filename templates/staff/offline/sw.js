/* Omni staff screens' service worker (scope /staff/). It keeps the offline till page and its
   files, so the till opens with no network, and when a staff page cannot be reached it shows
   the offline till instead. Sales themselves are kept in IndexedDB by offline.js, not here. */
"use strict";
const CACHE = "omni-staff-{{ version }}";
const PRECACHE = {{ precache|safe }};
const TILL = "{{ till|escapejs }}";

self.addEventListener("install", (event) => {
  // Each kept if it comes (a visitor not signed in, or not at a store yet, is sent elsewhere:
  // that page is not the till, and the till is kept on its first visit instead).
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(PRECACHE.map((url) =>
        fetch(new Request(url, { credentials: "same-origin", cache: "reload" }))
          .then((response) => (response.ok && !response.redirected ? cache.put(url, response) : null))
          .catch(() => null))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("omni-staff-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function kept(url) {
  return PRECACHE.includes(url.pathname);
}

// The network first (always the newest page and files when online), the copy kept when not.
async function networkFirst(request, fallback) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    const url = new URL(request.url);
    // Keep a fresh copy of what the till needs (a sign-in redirect is not the till page).
    if (kept(url) && response.ok && !response.redirected) {
      await cache.put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    const url = new URL(request.url);
    const copy = await cache.match(url.pathname);
    if (copy) return copy;
    if (fallback) {
      const till = await cache.match(TILL);
      if (till) return till;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/staff/")) {
    event.respondWith(networkFirst(request, true));
  } else if (kept(url)) {
    event.respondWith(networkFirst(request, false));
  }
});
