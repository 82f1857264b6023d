/* Omni staff screens: the sales an offline till kept, on every staff page.

   - Registers the service worker (scope /staff/) that keeps the offline till page.
   - Keeps the till's sales in IndexedDB ("omni-staff", store "sales", keyed by the sale id the
     till made) and sends those waiting, oldest first, to the server with the id as their
     idempotency key: on load, when the browser comes online, and every 30 seconds. A sale is
     deleted here only after the server's 2xx, so it is never lost; the server records an id
     once, so it is never recorded twice. One tab sends at a time (Web Locks).
   - Shows how many sales wait in the bar (#waiting-sales [data-waiting-count]).
   The offline till page (till.js) uses the same store through window.OmniOffline. */
(function () {
  "use strict";
  const script = document.currentScript;
  const urls = {
    sw: script.dataset.sw,
    sales: script.dataset.sales,
    csrf: script.dataset.csrf,
    till: script.dataset.till,
  };
  const DB = "omni-staff";
  const SALES = "sales";
  const CATALOGS = "catalogs";
  const RETRY_MS = 30000;
  let dbPromise = null;
  const listeners = [];

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          const sales = db.createObjectStore(SALES, { keyPath: "id" });
          sales.createIndex("made_at", "made_at");
          db.createObjectStore(CATALOGS, { keyPath: "store" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  // One IndexedDB transaction; resolves when it has committed (durability "strict": on disk).
  function tx(store, mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const options = mode === "readwrite" ? { durability: "strict" } : undefined;
      const t = db.transaction(store, mode, options);
      let result;
      Promise.resolve(work(t.objectStore(store))).then((value) => { result = value; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error || new Error("aborted"));
    }));
  }

  function req(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function salesWaiting() {
    // Oldest first (made_at is an ISO time in UTC, so it sorts as text).
    return tx(SALES, "readonly", (store) => req(store.index("made_at").getAll()));
  }

  function saleKeep(sale) {
    // add(), not put(): an id is written once; the promise resolves only once it is stored.
    return tx(SALES, "readwrite", (store) => req(store.add(sale))).then(changed);
  }

  function saleUpdate(sale) {
    return tx(SALES, "readwrite", (store) => req(store.put(sale)));
  }

  function saleForget(id) {
    return tx(SALES, "readwrite", (store) => req(store.delete(id)));
  }

  function catalogGet(storeCode) {
    return tx(CATALOGS, "readonly", (store) => req(store.get(storeCode)));
  }

  function catalogPut(catalog) {
    return tx(CATALOGS, "readwrite", (store) => req(store.put(catalog)));
  }

  // The last sales sent from this browser with the order each became, so that the clerk can
  // write the order number on a receipt printed "to be confirmed" (a convenience only).
  const SENT = "omni-staff-sent";

  function sentList() {
    try { return JSON.parse(localStorage.getItem(SENT) || "[]"); } catch (error) { return []; }
  }

  function sentRemember(sale, order) {
    const list = [{ id: sale.id, order: order || "", made_at: sale.made_at, total: sale.payload.total }]
      .concat(sentList().filter((s) => s.id !== sale.id)).slice(0, 20);
    try { localStorage.setItem(SENT, JSON.stringify(list)); } catch (error) { /* full: skip */ }
  }

  function countShow(count) {
    const bar = document.getElementById("waiting-sales");
    if (!bar) return;
    const number = bar.querySelector("[data-waiting-count]");
    if (number) number.textContent = String(count);
    bar.hidden = count === 0;
    bar.classList.toggle("zero", count === 0);
    if (urls.till) bar.setAttribute("href", urls.till + "#waiting");
  }

  function changed() {
    return salesWaiting().then((sales) => {
      countShow(sales.length);
      listeners.forEach((listener) => listener(sales));
      return sales;
    });
  }

  function csrfToken() {
    return fetch(urls.csrf, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => (body ? body.csrf : null));
  }

  let sending = null;

  function sendOne(sale, token) {
    return fetch(urls.sales, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token,
        "Idempotency-Key": sale.id,
      },
      body: JSON.stringify(sale.payload),
    }).then((response) => {
      if (response.ok) {
        return response.json().catch(() => ({})).then((body) => {
          sentRemember(sale, body.order);
          return saleForget(sale.id).then(() => true);
        });
      }
      if (response.status === 400 || response.status === 409) {
        // The server will not take it as it is: kept, shown with the reason, for the manager.
        return response.json().catch(() => ({})).then((body) => {
          sale.refused = body.message || String(response.status);
          sale.refused_fields = body.fields || {};
          return saleUpdate(sale).then(() => false);
        });
      }
      throw new Error("not sent: " + response.status); // signed out, server down: later
    });
  }

  function flushNow() {
    return salesWaiting().then((sales) => {
      if (!sales.length) return sales;
      return csrfToken().then((token) => {
        if (!token) return sales;
        // One at a time, oldest first; a failure stops the round (the next one retries).
        return sales.reduce((chain, sale) => chain.then(() => sendOne(sale, token)), Promise.resolve());
      });
    }).catch(() => null).then(changed);
  }

  // A round asked for while one runs (the network came back while a round still waited for
  // its failure) runs again as soon as that one ends, rather than at the next 30 s tick.
  let again = false;

  function flush() {
    if (!urls.sales || !document.getElementById("waiting-sales")) return changed();
    if (sending) return sending;
    const run = navigator.locks
      ? navigator.locks.request("omni-staff-till-queue", flushNow)
      : flushNow();
    sending = run.finally(() => {
      sending = null;
      if (again) {
        again = false;
        return flush();
      }
      return null;
    });
    return sending;
  }

  function online() {
    if (sending) again = true;
    return flush();
  }

  function persist() {
    if (!(navigator.storage && navigator.storage.persist)) return Promise.resolve(false);
    return navigator.storage.persisted().then((done) => done || navigator.storage.persist());
  }

  window.OmniOffline = {
    saleKeep, salesWaiting, catalogGet, catalogPut, flush, persist, sentList,
    onChange(listener) { listeners.push(listener); },
  };

  // Registered from every staff page; once active it is asked to keep the till (it answers
  // whether the till can open offline: <html data-offline-ready>, and an "omni:offline-ready"
  // event for the till page).
  function keepTill(registration) {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data === true);
      registration.active.postMessage("keep", [channel.port2]);
    });
  }

  if ("serviceWorker" in navigator && urls.sw && window.isSecureContext) {
    navigator.serviceWorker.register(urls.sw, { scope: "/staff/" })
      .then(() => navigator.serviceWorker.ready)
      .then(keepTill)
      .then((ready) => {
        if (ready) document.documentElement.dataset.offlineReady = "true";
        document.dispatchEvent(new CustomEvent("omni:offline-ready", { detail: ready }));
      })
      .catch(() => null);
  }
  if (document.getElementById("waiting-sales")) {
    flush();
    window.addEventListener("online", online);
    setInterval(flush, RETRY_MS);
  }
})();
