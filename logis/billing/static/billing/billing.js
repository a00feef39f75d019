// Batch and recurring dues forms: « Tout cocher / Tout décocher » and the count of checked units.
(function () {
  "use strict";
  function boxes() { return document.querySelectorAll("#unit-picker input[name=units]"); }
  function showCount() {
    var out = document.getElementById("unit-count");
    if (!out) { return; }
    var all = boxes(), checked = 0;
    for (var i = 0; i < all.length; i++) { if (all[i].checked) { checked++; } }
    out.textContent = checked + " / " + all.length;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-check-units]");
    if (!button) { return; }
    var on = button.getAttribute("data-check-units") === "all";
    var all = boxes();
    for (var i = 0; i < all.length; i++) { all[i].checked = on; }
    showCount();
  });
  document.addEventListener("change", function (event) {
    if (event.target.name !== "units") { return; }
    // Checking a unit while « Toutes les unités » is chosen means billing only the checked ones.
    var all = document.querySelector("input[name=unit_scope][value=all]");
    var only = document.querySelector("input[name=unit_scope][value=only]");
    if (event.target.checked && all && only && all.checked) { only.checked = true; }
    showCount();
  });
  document.addEventListener("DOMContentLoaded", showCount);
})();
