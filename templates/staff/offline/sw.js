/* Omni staff screens' service worker (scope /staff/). It keeps the offline till page and its
   files, so the till opens with no network, and when a staff page cannot be reached it shows
   the offline till instead. Sales themselves are kept in IndexedDB by offline.js, not here. */
"use strict";
const CACHE = "omni-staff-{{ version }}";
const PRECACHE = {{ precache|safe }};
const TILL = "{{ till|escapejs }}";

// Keep what the till needs that is not kept yet; true when all of it is. A page that is not
// the till (a visitor not signed in, or not at a store yet, is sent elsewhere) is not kept:
// offline.js asks again from every staff page ("keep"), so the till is kept on the first
// page opened signed in at a store.
async function keep() {
  const cache = await caches.open(CACHE);
  await Promise.all(PRECACHE.map(async (url) => {
    if (await cache.match(url)) return;
    try {
      // Never followed to the sign-in page: its answer would set the CSRF cookie of the
      // session the worker started in, over the one a sign-in just made (the pages' forms
      // would then be refused).
      const response = await fetch(new Request(url, { credentials: "same-origin", cache: "reload", redirect: "manual" }));
      if (response.ok && !response.redirected) await cache.put(url, response);
    } catch (error) { /* no network: kept another time */ }
  }));
  const found = await Promise.all(PRECACHE.map((url) => cache.match(url)));
  return found.every(Boolean);
}

self.addEventListener("install", (event) => {
  event.waitUntil(keep().then(() => self.skipWaiting()));
});

self.addEventListener("message", (event) => {
  if (event.data !== "keep") return;
  const port = event.ports && event.ports[0];
  event.waitUntil(keep().then((ready) => { if (port) port.postMessage(ready); }));
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
// Whatever fails on the way (no network, a network error answer, a cache that cannot be
// written) ends in the kept copy, and for a page in the till itself.
async function networkFirst(request, fallback) {
  const url = new URL(request.url);
  let response = null;
  try {
    response = await fetch(request);
    if (response.type === "error") response = null;
  } catch (error) {
    response = null;
  }
  if (response) {
    // Keep a fresh copy of what the till needs (a sign-in redirect is not the till page).
    if (kept(url) && response.ok && !response.redirected) {
      try {
        const cache = await caches.open(CACHE);
        await cache.put(url.pathname, response.clone());
      } catch (error) { /* the copy kept stays */ }
    }
    return response;
  }
  const copy = await caches.match(url.pathname, { cacheName: CACHE });
  if (copy) return copy;
  if (fallback) {
    const till = await caches.match(TILL, { cacheName: CACHE });
    if (till) return till;
  }
  return Response.error();
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
  } else if (url.pathname.startsWith("/staff/")) {
    // The screens' own requests (the price list, htmx) go to the network from here too, so
    // that they meet the same network as the worker (and fail alike when there is none).
    event.respondWith(fetch(request));
  }
});
