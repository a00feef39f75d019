// Logis, resident portal: right after coming back from Checkout, while the payment is being confirmed,
// reload the page by itself a few times, waiting longer each time (delays in seconds in
// data-recheck-delays, e.g. "3 6 12"), then stop: a pre-authorized debit can take days to clear.
// The attempt number travels in the query string (?recheck=N) so that each reload knows where it is.
(function () {
  "use strict";
  var el = document.querySelector("[data-recheck-delays]");
  if (!el) {
    return;
  }
  var delays = el.getAttribute("data-recheck-delays").split(/\s+/).map(Number).filter(function (n) {
    return n > 0;
  });
  var url = new URL(window.location.href);
  var attempt = parseInt(url.searchParams.get("recheck") || "0", 10) || 0;
  if (attempt >= delays.length) {
    return;
  }
  window.setTimeout(function () {
    url.searchParams.set("recheck", String(attempt + 1));
    window.location.replace(url.toString());
  }, delays[attempt] * 1000);
})();
