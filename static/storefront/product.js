/* The product page: the price in the bar at the foot of a phone's screen follows the option
   chosen (each option's radio carries its price, formatted by the server). A static file: the
   Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  document.querySelectorAll("form.add").forEach(function (form) {
    var price = form.querySelector(".buybar-price");
    if (!price) {
      return;
    }
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name === "sku" && input.checked && input.dataset.price) {
        price.textContent = input.dataset.price;
      }
    });
  });
})();
