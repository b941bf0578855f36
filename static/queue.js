// Waiting-room page enhancement: poll the small JSON status with back-off instead of reloading
// the whole page (the page refreshes itself without JavaScript). Goes on when admitted.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box) { return; }
  var meta = document.querySelector("meta[http-equiv=refresh]");
  if (meta) { meta.parentNode.removeChild(meta); }
  var failures = 0;

  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }

  function poll() {
    fetch(box.dataset.poll, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/login?next=/queue"; throw new Error("signed out"); }
        return r.json();
      })
      .then(function (s) {
        failures = 0;
        if (s.state === "admitted" || s.state === "not_required") {
          window.location.reload();
          return;
        }
        if (s.state === "waiting") {
          set("queue-position", String(s.position));
          set("queue-ahead", String(Math.max(0, s.position - 1)));
          if (s.line_length) { set("queue-line", String(s.line_length)); }
          var bar = document.getElementById("queue-progress");
          if (bar && s.start_position) {
            bar.max = s.start_position;
            bar.value = Math.max(0, s.start_position - s.position);
            bar.textContent = Math.round(100 * bar.value / bar.max) + "%";
            var text = document.getElementById("queue-progress-text");
            if (text && text.dataset.template) {
              text.textContent = text.dataset.template
                .replace("{start}", String(bar.max)).replace("{done}", String(bar.value));
            }
          }
        }
        if (s.state === "early") { set("queue-early", String(s.waiting)); }
        if (s.state !== box.dataset.state) { window.location.reload(); return; }
        schedule(s.poll_after);
      })
      .catch(function () {
        failures += 1;
        schedule(Math.min(60, 2 * Math.pow(2, failures)));
      });
  }

  function schedule(seconds) {
    // Jitter spreads thousands of pollers over time.
    var ms = (seconds || 5) * 1000 * (0.8 + Math.random() * 0.4);
    setTimeout(poll, ms);
  }

  var state = document.getElementById("queue-state");
  box.dataset.state = state ? state.dataset.state : "";
  schedule(2);
})();
