// The card step's instalments: when the card number has its first six digits (the BIN), ask
// for the card's instalment options (an htmx partial, storefront:pay-instalments). Only the
// BIN leaves the page: it is copied into the hidden "bin" input, which the partial's request
// includes; the number itself is sent only with the payment form.
(function () {
  "use strict";

  function setup(form) {
    var number = form.querySelector("[name=number]");
    var bin = form.querySelector("[name=bin]");
    var box = form.querySelector("[data-instalments]");
    if (!number || !bin || !box || !window.htmx) {
      return;
    }
    var asked = "";
    // This runs on DOMContentLoaded before htmx's own set-up (its script comes later in the
    // page): bind the box's "instalments" trigger now, or a number typed before the page was
    // ready asks for its options before anyone listens (processing twice is harmless).
    window.htmx.process(box);

    function ask(again) {
      var digits = number.value.replace(/\D/g, "").slice(0, 6);
      if (digits.length < 6) {
        if (asked) {
          asked = "";
          bin.value = "";
          box.replaceChildren();
        }
        return;
      }
      if (digits === asked && !again) {
        return;
      }
      asked = digits;
      bin.value = digits;
      window.htmx.trigger(box, "instalments");
    }

    number.addEventListener("input", function () { ask(false); });
    form.querySelectorAll("[name=gateway]").forEach(function (radio) {
      radio.addEventListener("change", function () { ask(true); });
    });
    ask(false); // a number typed before the page was ready, or kept after a refusal
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-card-form]").forEach(setup);
  });
})();
