// Logis: dialogs loaded by htmx into #dialog-content, shown with Bootstrap's modal.
(function () {
  "use strict";
  function dialog() {
    var el = document.getElementById("dialog");
    return el ? bootstrap.Modal.getOrCreateInstance(el) : null;
  }
  // The element that opened the dialog gets the focus back when the dialog closes.
  var opener = null;
  function firstField(container) {
    return container.querySelector(".is-invalid, [autofocus], select, input:not([type=hidden]), textarea");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = document.getElementById("dialog");
    var target = event.detail.target;
    if (target && target.id === "dialog-content" && !(el && el.classList.contains("show"))) {
      opener = event.detail.elt;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "dialog-content") {
      var el = document.getElementById("dialog");
      if (el && el.classList.contains("show")) {
        // Already open (a form sent back with its errors): straight to the first field to fix.
        var field = firstField(target);
        if (field) { field.focus(); }
      } else {
        var modal = dialog();
        if (modal) { modal.show(); }
      }
    }
  });
  // Bootstrap focuses the dialog itself once it is shown; then move on to its first field.
  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id === "dialog") {
      var field = firstField(document.getElementById("dialog-content"));
      if (field) { field.focus(); }
    }
  });
  // A server response may ask to close the dialog: HX-Trigger: {"closeDialog": true}
  document.addEventListener("closeDialog", function () {
    var modal = dialog();
    if (modal) { modal.hide(); }
  });
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "dialog") {
      document.getElementById("dialog-content").innerHTML = "";
      if (opener && document.body.contains(opener)) { opener.focus(); }
      opener = null;
    }
  });
  // Submitting buttons are disabled while their request runs, so a double click posts once.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1" && !form.hasAttribute("hx-post")) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { form.dataset.submitted = ""; }, 4000);
  });
  // A "Copy" button copies the field it names (data-copy-target) and says so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.dataset.copyTarget);
    if (!field) { return; }
    field.select();
    var done = function () { button.textContent = button.dataset.copiedLabel || button.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
