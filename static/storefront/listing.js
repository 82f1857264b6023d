/* The category and search pages: on a phone the filters wait behind their button (a closed
   <details>), so the products come first; where there is room beside the products (the CSS's
   48rem) they are open and the button is hidden. A static file: the Content-Security-Policy
   allows no inline script. */
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48rem)");
  function follow() {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = wide.matches;
    });
  }
  follow();
  wide.addEventListener("change", follow);
})();
