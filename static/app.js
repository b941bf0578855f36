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

  // The session's end: a warning five minutes before, with a countdown; "Extend" asks the server
  // (any signed-in request restarts the idle clock) and moves the end, without leaving the page.
  var sessionEnds = document.getElementById("session-ends");
  var sessionWarning = document.getElementById("session-warning");
  var sessionLeftMs = sessionEnds ? parseInt(sessionEnds.dataset.left, 10) * 1000 : 0;
  var warnBeforeMs = sessionEnds ? parseInt(sessionEnds.dataset.warnBefore, 10) * 1000 : 0;
  var sessionFrom = Date.now();
  function sessionTick() {
    if (!sessionEnds || !sessionWarning) { return; }
    var left = sessionLeftMs - (Date.now() - sessionFrom);
    if (left <= warnBeforeMs) {
      sessionWarning.hidden = false;
      var text = remaining(left);
      document.getElementById("session-countdown").textContent = text === null ? "00:00:00" : text;
    }
  }
  var extend = document.getElementById("session-extend");
  if (extend) {
    extend.addEventListener("click", function (ev) {
      ev.preventDefault();
      fetch("/api/v1/me", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (!r.ok) { window.location.href = extend.getAttribute("href"); return; }
          var left = parseInt(r.headers.get("x-session-idle-remaining") || "0", 10);
          sessionFrom = Date.now();
          sessionLeftMs = left * 1000;
          sessionWarning.hidden = true;
          var ends = new Date(Date.now() + offsetMs + left * 1000);
          sessionEnds.querySelector("time").textContent = seoulString(ends.getTime());
        })
        .catch(function () { window.location.href = extend.getAttribute("href"); });
    });
  }

  function tick() {
    sessionTick();
    var now = Date.now() + offsetMs;
    var clock = document.getElementById("server-clock");
    if (clock) { clock.textContent = seoulString(now); }
    var mirrors = document.querySelectorAll("[data-clock-mirror] time");
    for (var k = 0; k < mirrors.length; k++) { mirrors[k].textContent = seoulString(now); }
    // The opening moment by the server's clock: the register button enables itself; the click
    // is still decided by the server, so an early clock can only earn a refusal.
    var waiting = document.querySelectorAll("[data-enable-at]");
    for (var j = 0; j < waiting.length; j++) {
      var b = waiting[j];
      if (Date.parse(b.dataset.enableAt) - now <= 0) {
        b.disabled = false;
        b.removeAttribute("data-enable-at");
        b.removeAttribute("aria-describedby");
        b.dataset.enabledBy = "countdown";
        var reason = document.getElementById("reason-" + b.dataset.action);
        if (reason) { reason.hidden = true; }
      }
    }
    var states = document.querySelectorAll("[data-clear-at]");
    for (var q = 0; q < states.length; q++) {
      var st = states[q];
      if (Date.parse(st.dataset.clearAt) - now <= 0) {
        st.textContent = st.dataset.clearText;
        st.classList.remove("state-refused");
        st.removeAttribute("data-clear-at");
        st.removeAttribute("data-refusal");
      }
    }
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

  // A form with data-confirm asks once in a dialog; without this script the server asks on a
  // page of its own. Confirming sends confirm=1, so the server does not ask again.
  function askFirst(form, ev) {
    if (form.dataset.confirmed === "1" || typeof HTMLDialogElement === "undefined") { return; }
    ev.preventDefault();
    var dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-question");
    var q = document.createElement("p");
    q.id = "confirm-question";
    var strong = document.createElement("strong");
    strong.textContent = form.dataset.confirm;
    q.appendChild(strong);
    var w = document.createElement("p");
    w.className = "warn";
    w.textContent = form.dataset.confirmWarning || "";
    var row = document.createElement("div");
    row.className = "actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "danger";
    yes.dataset.action = "confirm-yes";
    yes.textContent = form.dataset.confirmYes;
    var no = document.createElement("button");
    no.type = "button";
    no.dataset.action = "confirm-no";
    no.textContent = form.dataset.confirmNo;
    row.appendChild(yes);
    row.appendChild(no);
    dialog.appendChild(q);
    dialog.appendChild(w);
    dialog.appendChild(row);
    document.body.appendChild(dialog);
    no.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    yes.addEventListener("click", function () {
      var c = document.createElement("input");
      c.type = "hidden"; c.name = "confirm"; c.value = "1";
      form.appendChild(c);
      form.dataset.confirmed = "1";
      dialog.close();
      form.submit();
    });
    dialog.showModal();
    no.focus();
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form && form.dataset && form.dataset.confirm) { askFirst(form, ev); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    measureOffset().then(tick);
    setInterval(tick, 1000);
    setInterval(measureOffset, 60000);
    // A phone back from the background may have drifted: measure again before trusting it.
    window.addEventListener("focus", function () { measureOffset().then(tick); });
  });
})();
