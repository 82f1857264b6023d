/* The offline till (/staff/offline/till/): sells from the store's price list kept in this
   browser, takes cash or the card terminal, and keeps each sale in IndexedDB (offline.js) with
   an id it makes itself BEFORE it shows the sale as done. Amounts are whole minor units
   (kuruş), never floats. */
(function () {
  "use strict";
  const root = document.getElementById("till");
  const offline = window.OmniOffline;
  if (!root || !offline) return;
  const msg = root.dataset;
  const store = msg.store;
  const currency = msg.currency;
  const $ = (id) => document.getElementById(id);
  const format = new Intl.NumberFormat(document.documentElement.lang || "tr", { style: "currency", currency, currencyDisplay: "narrowSymbol" });
  let items = new Map(); // barcode or SKU -> {barcode, sku, name, price (minor units)}
  let lines = []; // {sku, name, price, quantity}
  let done = false;

  function minor(text) {
    // "1.299,90" or "1299.90" or "1299" -> 129990; null when not an amount.
    let s = String(text || "").trim().replace(/\s/g, "");
    if (!s) return null;
    if (s.includes(",") && s.includes(".")) {
      s = s.lastIndexOf(",") > s.lastIndexOf(".") ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
    } else if (s.includes(",")) {
      s = s.replace(",", ".");
    }
    if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
    const [whole, frac = ""] = s.split(".");
    return parseInt(whole, 10) * 100 + parseInt((frac + "00").slice(0, 2), 10);
  }
  const decimal = (units) => (units / 100).toFixed(2);
  const money = (units) => format.format(units / 100);
  const total = () => lines.reduce((sum, l) => sum + l.price * l.quantity, 0);

  function say(text, bad) {
    const p = $("till-message");
    p.textContent = text;
    p.classList.toggle("error", !!bad);
  }

  // --- the price list ------------------------------------------------------------------------

  function catalogUse(catalog) {
    items = new Map();
    if (!catalog) {
      $("till-catalog").textContent = msg.msgNoCatalog;
      return;
    }
    const [b, s, n, p] = ["barcode", "sku", "name", "price"].map((f) => catalog.fields.indexOf(f));
    for (const row of catalog.items) {
      const item = { barcode: row[b], sku: row[s], name: row[n], price: minor(row[p]) };
      items.set(item.sku.toUpperCase(), item);
      if (item.barcode) items.set(item.barcode, item);
    }
    const when = new Date(catalog.generated_at).toLocaleString(document.documentElement.lang || "tr");
    $("till-catalog").textContent = msg.msgCatalog.replace("{count}", catalog.items.length).replace("{when}", when);
  }

  function catalogRefresh() {
    return fetch(msg.catalogUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((catalog) => offline.catalogPut(catalog).then(() => catalogUse(catalog)))
      .catch(() => offline.catalogGet(store).then((kept) => {
        catalogUse(kept);
        if (kept) $("till-catalog").textContent += " " + msg.msgCatalogFailed;
      }));
  }

  // --- the sale ------------------------------------------------------------------------------

  function button(label, text, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", action);
    return b;
  }

  function render() {
    const body = $("till-lines");
    body.replaceChildren();
    lines.forEach((line, index) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "sale-line");
      const name = document.createElement("td");
      name.textContent = line.name;
      const sku = document.createElement("span");
      sku.className = "muted sku";
      sku.textContent = line.sku;
      name.append(document.createElement("br"), sku);
      const price = document.createElement("td");
      price.className = "num";
      price.textContent = money(line.price);
      const qty = document.createElement("td");
      qty.className = "num qty";
      const count = document.createElement("span");
      count.textContent = String(line.quantity);
      count.className = "count";
      const controls = document.createElement("span");
      controls.className = "qty-controls";
      controls.append(
        button(msg.msgLess + " " + line.sku, "−", () => { if (line.quantity > 1) { line.quantity -= 1; render(); } }),
        count,
        button(msg.msgMore + " " + line.sku, "+", () => { if (line.quantity < 99) { line.quantity += 1; render(); } }),
      );
      qty.append(controls);
      const amount = document.createElement("td");
      amount.className = "num";
      amount.textContent = money(line.price * line.quantity);
      const remove = document.createElement("td");
      remove.append(button(msg.msgRemove + " " + line.sku, "×", () => { lines.splice(index, 1); render(); }));
      tr.append(name, price, qty, amount, remove);
      body.append(tr);
    });
    $("till-total").textContent = money(total());
    change();
  }

  function scan(event) {
    event.preventDefault();
    const field = $("till-code");
    const code = field.value.trim();
    field.value = "";
    field.focus();
    if (!code) return;
    if (done) fresh();
    const item = items.get(code) || items.get(code.toUpperCase());
    if (!item) {
      say(msg.msgUnknown + " " + code, true);
      return;
    }
    const line = lines.find((l) => l.sku === item.sku);
    if (line) line.quantity = Math.min(99, line.quantity + 1);
    else lines.push({ sku: item.sku, name: item.name, price: item.price, quantity: 1 });
    say(msg.msgAdded + " " + item.name, false);
    render();
  }

  // --- payment -------------------------------------------------------------------------------

  function method() {
    return document.querySelector("#till-pay input[name=method]:checked").value;
  }

  function change() {
    const received = minor($("till-received").value);
    $("till-change").textContent = received !== null && received >= total() ? money(received - total()) : "—";
  }

  function methodShown() {
    const cash = method() === "cash";
    $("till-cash").hidden = !cash;
    $("till-card").hidden = cash;
  }

  function complete(event) {
    event.preventDefault();
    const error = $("till-pay-error");
    error.textContent = "";
    if (!lines.length) { error.textContent = msg.msgEmpty; return; }
    const due = total();
    const how = method();
    const received = how === "cash" ? minor($("till-received").value) : due;
    if (how === "cash" && (received === null || received < due)) { error.textContent = msg.msgCashShort; $("till-received").focus(); return; }
    const slip = $("till-slip").value.trim();
    if (how === "terminal" && !slip) { error.textContent = msg.msgSlip; $("till-slip").focus(); return; }
    const id = crypto.randomUUID();
    const madeAt = new Date().toISOString();
    const sale = {
      id,
      made_at: madeAt,
      store,
      // What the server receives, as it was made: the same bytes on every resend.
      payload: {
        id,
        store,
        made_at: madeAt,
        currency,
        lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_price: decimal(l.price) })),
        total: decimal(due),
        payments: [{ method: how, amount: decimal(due), reference: how === "terminal" ? slip : "" }],
      },
      names: lines.map((l) => l.name),
      received: decimal(received),
      change: decimal(received - due),
    };
    const submit = $("till-complete");
    submit.disabled = true;
    // Kept first: only a sale safely in IndexedDB is shown as done.
    offline.saleKeep(sale).then(() => {
      done = true;
      receipt(sale);
      say(msg.msgSaved, false);
      offline.flush();
    }, () => {
      error.textContent = msg.msgNotSaved;
    }).finally(() => { submit.disabled = false; });
  }

  function receipt(sale) {
    $("receipt-id").textContent = sale.id;
    $("receipt-when").textContent = new Date(sale.made_at).toLocaleString(document.documentElement.lang || "tr");
    const body = $("receipt-lines");
    body.replaceChildren();
    sale.payload.lines.forEach((line, i) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = `${line.quantity} × ${sale.names[i]}`;
      const td = document.createElement("td");
      td.className = "num";
      td.textContent = money(minor(line.unit_price) * line.quantity);
      tr.append(th, td);
      body.append(tr);
    });
    const pay = sale.payload.payments[0];
    $("receipt-total").textContent = money(minor(sale.payload.total));
    $("receipt-method").textContent = pay.method === "cash" ? msg.msgCash : `${msg.msgTerminal} (${pay.reference})`;
    $("receipt-paid").textContent = money(minor(pay.method === "cash" ? sale.received : pay.amount));
    $("receipt-change-row").hidden = pay.method !== "cash";
    $("receipt-change").textContent = money(minor(sale.change));
    $("till-sale").hidden = true;
    $("till-receipt").hidden = false;
    $("till-new").focus();
  }

  function fresh() {
    lines = [];
    done = false;
    $("till-received").value = "";
    $("till-slip").value = "";
    $("till-receipt").hidden = true;
    $("till-sale").hidden = false;
    say("", false);
    render();
    $("till-code").focus();
  }

  // --- what waits ----------------------------------------------------------------------------

  function waitingShow(sales) {
    const list = $("till-waiting");
    list.replaceChildren();
    if (!sales.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = msg.msgNoneWaiting;
      list.append(li);
      return;
    }
    for (const sale of sales) {
      const li = document.createElement("li");
      li.setAttribute("data-testid", "waiting-sale");
      const when = new Date(sale.made_at).toLocaleString(document.documentElement.lang || "tr");
      const count = sale.payload.lines.reduce((n, l) => n + l.quantity, 0);
      li.textContent = `${when} · ${count} × · ${money(minor(sale.payload.total))} · ${sale.id.slice(0, 8)}`;
      if (sale.refused) {
        const why = document.createElement("span");
        why.className = "error";
        why.textContent = ` ${msg.msgRefused} ${sale.refused}`;
        li.append(why);
      }
      list.append(li);
    }
  }

  function sentShow() {
    const list = $("till-sent");
    list.replaceChildren();
    for (const sent of offline.sentList()) {
      const li = document.createElement("li");
      li.setAttribute("data-testid", "sent-sale");
      const when = new Date(sent.made_at).toLocaleString(document.documentElement.lang || "tr");
      li.textContent = `${when} · ${money(minor(sent.total))} · ${sent.id.slice(0, 8)} → `;
      const order = document.createElement("strong");
      order.textContent = sent.order;
      li.append(order);
      list.append(li);
    }
    $("till-sent-section").hidden = !list.children.length;
  }

  function network() {
    const badge = $("till-network");
    badge.textContent = navigator.onLine ? msg.msgOnline : msg.msgOffline;
    badge.className = navigator.onLine ? "badge good" : "badge warn";
  }

  function offlineReady(ready) {
    const badge = $("till-ready");
    badge.textContent = ready ? msg.msgReady : msg.msgNotReady;
    badge.className = ready ? "badge good" : "badge warn";
    badge.hidden = false;
  }

  $("till-scan").addEventListener("submit", scan);
  $("till-pay").addEventListener("submit", complete);
  $("till-received").addEventListener("input", change);
  document.querySelectorAll("#till-pay input[name=method]").forEach((r) => r.addEventListener("change", methodShown));
  $("till-new").addEventListener("click", fresh);
  $("till-print").addEventListener("click", () => window.print());
  $("till-catalog-refresh").addEventListener("click", catalogRefresh);
  window.addEventListener("online", () => { network(); catalogRefresh(); });
  window.addEventListener("offline", network);
  offline.onChange((sales) => { waitingShow(sales); sentShow(); });
  sentShow();
  offline.salesWaiting().then(waitingShow);
  offline.persist().then((kept) => { $("till-storage").textContent = kept ? msg.msgPersisted : msg.msgNotPersisted; });
  network();
  if (document.documentElement.dataset.offlineReady) offlineReady(true);
  document.addEventListener("omni:offline-ready", (event) => offlineReady(event.detail));
  methodShown();
  render();
  (navigator.onLine ? catalogRefresh() : offline.catalogGet(store).then(catalogUse));
})();
