// Logis, resident portal, « Payer le solde »: keep the total in step with the ticked invoices (the server
// computes the amount again; without JavaScript the total shown is that of all the invoices).
(function () {
  "use strict";
  var form = document.getElementById("balance-form");
  var total = document.getElementById("balance-total");
  if (!form || !total) {
    return;
  }
  var lang = (document.documentElement.lang || "fr").slice(0, 2) === "en" ? "en-CA" : "fr-CA";
  var format = new Intl.NumberFormat(lang, { style: "currency", currency: "CAD" });
  form.addEventListener("change", function () {
    var cents = 0; // in cents: no floating-point sum of amounts
    form.querySelectorAll("input[name=invoices]:checked").forEach(function (box) {
      cents += Math.round(parseFloat(box.getAttribute("data-amount")) * 100);
    });
    total.textContent = format.format(cents / 100);
  });
})();
