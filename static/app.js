// Progressive enhancement only: every page works without this file.
// Keeps the server clock ticking and counts down to the next window, corrected for the offset
// between this browser's clock and the server's (students otherwise trust third-party clocks).
(function () {
  "use strict";
  var offsetMs = 0;

  function measureOffset() {
    var sent = Date.now();
    return fetch("/api/v1/time", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        var received = Date.now();
        offsetMs = body.epoch_ms - (sent + received) / 2;
      })
      .catch(function () { /* keep the last offset */ });
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function seoulString(ms) {
    var d = new Date(ms + 9 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " KST";
  }

  function remaining(ms) {
    if (ms <= 0) { return null; }
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function tick() {
    var now = Date.now() + offsetMs;
    var clock = document.getElementById("server-clock");
    if (clock) { clock.textContent = seoulString(now); }
    var targets = document.querySelectorAll("[data-countdown-to]");
    for (var i = 0; i < targets.length; i++) {
      var el = targets[i];
      if (!el.dataset.original) { el.dataset.original = el.textContent; }
      var left = remaining(Date.parse(el.dataset.countdownTo) - now);
      if (left) {
        el.textContent = left + " (" + el.dataset.original + ")";
      } else if (el.dataset.countdownDone) {
        // The moment has come (by the server's clock): say so instead of a stale time.
        el.textContent = el.dataset.countdownDone;
        el.classList.add("countdown-done");
      } else {
        el.textContent = el.dataset.original;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    measureOffset().then(tick);
    setInterval(tick, 1000);
    setInterval(measureOffset, 60000);
  });
})();
