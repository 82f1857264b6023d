// Stock: the scan field keeps the focus and its text selected, so the next scan (a burst of
// digits and Enter from a keyboard-wedge scanner) replaces the last one.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector("[data-scan-field]");
  if (!field) return;
  const error = document.querySelector(".transfer-form [role=alert]");
  if (error) {
    const form = error.closest("form");
    const quantity = form && form.querySelector("input[name=quantity]");
    if (quantity) { quantity.focus(); quantity.select(); }
    return;
  }
  field.focus();
  field.select();
});
