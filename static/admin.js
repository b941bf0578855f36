// Registrar dashboard enhancement: refresh the figures in place every few seconds from
// GET /api/v1/admin/summary. The page is complete without it (server-rendered).
(function () {
  "use strict";
  var box = document.getElementById("dashboard");
  if (!box) { return; }
  var url = box.dataset.summaryUrl;
  var lang = box.dataset.lang === "en" ? "en-GB" : "ko-KR";
  var failures = 0;

  function set(name, text) {
    var els = document.querySelectorAll("[data-figure='" + name + "']");
    for (var i = 0; i < els.length; i++) { els[i].textContent = text; }
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) {
      var span = document.createElement("span");
      span.className = cls;
      td.setAttribute("aria-hidden", "true");
      td.appendChild(span);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
  }

  function minute(iso) {
    return new Date(iso).toLocaleTimeString(lang, {
      hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "Asia/Seoul"
    });
  }

  function render(s) {
    set("sections", s.sections);
    set("seats_filled", s.seats_filled);
    set("capacity", s.capacity);
    set("fill_percent", s.capacity > 0 ? (s.seats_filled * 100 / s.capacity).toFixed(1) + "%" : "-");
    set("full_sections", s.full_sections);
    set("enrollments", s.enrollments);
    set("students", s.students);
    set("enrollments_last_window", s.enrollments_last_window);
    set("refusals_total", s.refusals_total);
    set("requests", s.errors.requests);
    set("server_errors", s.errors.server_errors);
    set("error_percent", s.errors.percent.toFixed(2) + "%");
    if (s.waiting_room) {
      set("room_waiting", s.waiting_room.waiting);
      set("room_active", s.waiting_room.active_passes);
      set("room_concurrency", s.waiting_room.concurrency);
      set("room_rate", s.waiting_room.rate);
    }
    var body = document.querySelector("#per-minute tbody");
    if (body) {
      var max = 1;
      s.enrollments_per_minute.forEach(function (m) { max = Math.max(max, m.count); });
      body.textContent = "";
      s.enrollments_per_minute.forEach(function (m) {
        var tr = document.createElement("tr");
        cell(tr, minute(m.minute));
        cell(tr, String(m.count));
        cell(tr, "", "bar w" + Math.min(10, Math.ceil(m.count * 10 / max)));
        body.appendChild(tr);
      });
    }
    var refusals = document.querySelector("#refusals tbody");
    if (refusals && s.refusals.length > 0) {
      refusals.textContent = "";
      s.refusals.forEach(function (r) {
        var tr = document.createElement("tr");
        tr.dataset.reason = r.reason;
        cell(tr, r.label || r.reason);
        var code = document.createElement("td");
        var c = document.createElement("code");
        c.textContent = r.reason;
        code.appendChild(c);
        tr.appendChild(code);
        cell(tr, String(r.count));
        refusals.appendChild(tr);
      });
    }
    var at = document.getElementById("generated-at");
    if (at) {
      at.setAttribute("datetime", s.generated_at);
      at.textContent = new Date(s.generated_at).toLocaleString(lang, { timeZone: "Asia/Seoul", hour12: false }) + " KST";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { throw new Error("signed out"); }
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (s) {
        failures = 0;
        box.classList.remove("stale");
        render(s);
        schedule(5);
      })
      .catch(function () {
        failures += 1;
        box.classList.add("stale");
        schedule(Math.min(60, 5 * Math.pow(2, failures)));
      });
  }

  function schedule(seconds) {
    window.setTimeout(poll, seconds * 1000 * (0.9 + Math.random() * 0.2));
  }

  schedule(5);
}());
