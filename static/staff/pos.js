/* Counter sale (POS). The scan field always has focus: a keyboard-wedge scanner types the
   barcode and presses Enter; each scan is posted in turn (a fast burst is queued, never lost)
   and the sale fragment swapped in. The typeahead works with the arrow keys; the tablet's
   camera reads barcodes with the browser's BarcodeDetector, else the vendored ZXing library. */
(function () {
  "use strict";

  // htmx copies a settled element's old style attribute onto the new one, which the
  // Content-Security-Policy forbids (style-src 'self'): settle classes and sizes only.
  if (window.htmx) htmx.config.attributesToSettle = ["class", "width", "height"];

  var scanField = function () { return document.querySelector("[data-scan-field]"); };
  var queue = Promise.resolve();

  function refocus() {
    var field = scanField();
    var active = document.activeElement;
    if (!field) return;
    // Leave the clerk where they are when they are typing elsewhere (a search, a quantity).
    if (active && active !== document.body && active.matches("input:not([data-scan-field]), textarea, select")) return;
    field.focus();
  }

  // A refused scan (unknown barcode) answers 400 with the sale fragment and its message: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 404 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "sale") {
      var results = document.getElementById("search-results");
      if (results && event.detail.requestConfig && event.detail.requestConfig.elt && event.detail.requestConfig.elt.closest("[data-search-pick]")) {
        results.innerHTML = "";
        var search = document.querySelector("[data-typeahead]");
        if (search) search.value = "";
        var f = scanField(); if (f) f.focus();
        return;
      }
      refocus();
    }
  });

  function postScan(code) {
    var form = document.getElementById("scan-form");
    queue = queue.then(function () {
      var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
      return htmx.ajax("POST", form.dataset.scanUrl, {
        target: "#sale", swap: "outerHTML", values: { code: code }, headers: { "X-CSRFToken": csrf }
      });
    }).catch(function () {});
    return queue;
  }
  window.omniPosScan = postScan;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "scan-form" || !window.htmx) return;
    event.preventDefault();
    var field = scanField();
    var code = field.value.trim();
    field.value = "";
    field.focus();
    if (code) postScan(code);
  });

  // Typeahead: arrow keys move through the items found; Enter or a tap picks one.
  document.addEventListener("keydown", function (event) {
    var picks = Array.prototype.slice.call(document.querySelectorAll("#search-results button.pick:not([disabled])"));
    var active = document.activeElement;
    if (active && active.matches("[data-typeahead]")) {
      if (event.key === "ArrowDown" && picks.length) { event.preventDefault(); picks[0].focus(); }
      if (event.key === "Escape") { active.value = ""; document.getElementById("search-results").innerHTML = ""; refocusScan(); }
      return;
    }
    var index = picks.indexOf(active);
    if (index === -1) return;
    if (event.key === "ArrowDown") { event.preventDefault(); (picks[index + 1] || picks[index]).focus(); }
    if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index === 0) document.querySelector("[data-typeahead]").focus(); else picks[index - 1].focus();
    }
    if (event.key === "Escape") { document.querySelector("[data-typeahead]").focus(); }
  });
  function refocusScan() { var f = scanField(); if (f) f.focus(); }

  // A click on nothing in particular gives the focus back to the scan field.
  document.addEventListener("click", function (event) {
    if (!scanField()) return;
    if (event.target.closest("a, button, input, select, textarea, label, summary, video")) return;
    refocusScan();
  });

  // Cash: the change due as the cash received is typed.
  document.addEventListener("input", function (event) {
    var form = event.target.closest("[data-pay-form]");
    if (!form) return;
    var received = form.querySelector("[data-received]");
    var amount = form.querySelector("[data-amount]");
    var out = form.querySelector("[data-change]");
    if (!received || !amount || !out) return;
    var r = parseFloat(received.value.replace(",", "."));
    var a = parseFloat(amount.value.replace(",", "."));
    if (isNaN(r) || isNaN(a)) { out.textContent = "—"; return; }
    var change = Math.round((r - a) * 100) / 100;
    var text = Math.abs(change).toFixed(2);
    if ((document.documentElement.lang || "tr").indexOf("tr") === 0) text = text.replace(".", ",");
    out.textContent = change < 0 ? "−" + text : text;
    out.classList.toggle("error", change < 0);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // --- the camera ------------------------------------------------------------------------
  var stream = null, reader = null, running = false, lastCode = "", lastAt = 0;

  function found(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 2500) return; // the same barcode still in view
    lastCode = code; lastAt = now;
    var status = document.getElementById("camera-status");
    if (status) status.textContent = code;
    postScan(code);
  }

  function loadZxing(src) {
    return new Promise(function (resolve, reject) {
      if (window.ZXing) return resolve(window.ZXing);
      var script = document.createElement("script");
      script.src = src; script.onload = function () { resolve(window.ZXing); }; script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function detectLoop(detector, video) {
    if (!running) return;
    detector.detect(video).then(function (codes) {
      if (codes.length) found(codes[0].rawValue);
    }).catch(function () {}).then(function () {
      if (running) setTimeout(function () { detectLoop(detector, video); }, 200);
    });
  }

  function openCamera(button) {
    var panel = document.getElementById("camera");
    var video = document.getElementById("camera-video");
    var status = document.getElementById("camera-status");
    panel.hidden = false; running = true;
    if ("BarcodeDetector" in window) {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; return video.play();
      }).then(function () {
        detectLoop(new window.BarcodeDetector({ formats: ["ean_13", "ean_8", "code_128", "upc_a"] }), video);
      }).catch(function (error) { status.textContent = String(error); });
      return;
    }
    loadZxing(button.dataset.zxing).then(function (ZXing) {
      reader = new ZXing.BrowserMultiFormatReader();
      return reader.decodeFromVideoDevice(null, video, function (result) {
        if (result) found(result.getText());
      });
    }).catch(function (error) { status.textContent = String(error); });
  }

  function closeCamera() {
    running = false;
    if (reader) { reader.reset(); reader = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    var panel = document.getElementById("camera");
    if (panel) panel.hidden = true;
    refocusScan();
  }

  document.addEventListener("click", function (event) {
    var open = event.target.closest("#camera-open");
    if (open) { openCamera(open); return; }
    if (event.target.closest("#camera-close")) closeCamera();
  });
})();
