// Flowpoint's small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Location forms: show only the LGAs of the chosen state (the server checks it too).
  function lgaFilter(root) {
    var data = document.getElementById("lga-states");
    var state = root.querySelector("select[name$=state]");
    var lga = root.querySelector("select[name$=lga]");
    if (!data || !state || !lga) return;
    var stateOf = JSON.parse(data.textContent);
    var all = Array.prototype.slice.call(lga.options);
    function apply() {
      var chosen = state.value, keep = lga.value;
      lga.innerHTML = "";
      all.forEach(function (opt) {
        if (!opt.value || !chosen || stateOf[opt.value] === chosen) lga.appendChild(opt);
      });
      lga.value = stateOf[keep] === chosen ? keep : "";
    }
    state.addEventListener("change", apply);
    // Keep a server-side error visible: don't hide a chosen LGA of another state on load.
    if (!lga.value || stateOf[lga.value] === state.value) apply();
  }
  document.querySelectorAll("[data-lga-filter]").forEach(lgaFilter);

  // Copy buttons (the API key shown once).
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var text = document.querySelector(btn.getAttribute("data-copy")).textContent;
      navigator.clipboard.writeText(text).then(function () { btn.textContent = "Copied"; });
    });
  });

  // Print buttons (the recovery codes shown once).
  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });

  // Public status page: poll /health.
  var line = document.getElementById("status-line");
  if (line) {
    var when = document.getElementById("status-checked");
    var show = function (up) {
      line.textContent = up ? line.dataset.ok : line.dataset.down;
      line.className = "status " + (up ? "status-ok" : "status-down");
      when.textContent = "Last checked " + new Date().toLocaleTimeString();
    };
    var check = function () {
      fetch("/health", { cache: "no-store" })
        .then(function (r) { return r.json().then(function (b) { show(r.ok && b.status === "ok"); }); })
        .catch(function () { show(false); });
    };
    check();
    setInterval(check, 30000);
  }

  // Parts of a page the server renders alone (the dashboard's NRS queue): fetched again every 15 s while the
  // tab is visible. A redirect (signed out) or an error stops it; the page as loaded stays readable.
  document.querySelectorAll("[data-refresh]").forEach(function (box) {
    var last = null;
    var timer = setInterval(function () {
      if (document.hidden) return;
      fetch(box.getAttribute("data-refresh"), { cache: "no-store", credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok || r.redirected) { clearInterval(timer); return null; }
          return r.text();
        })
        .then(function (html) { if (html && html !== last) { last = html; box.innerHTML = html; } })
        .catch(function () {});
    }, 15000);
  });

  // A table wider than a phone scrolls inside its box (app.css); make that box reachable by the keyboard.
  function focusableScrollers() {
    document.querySelectorAll(".table, .table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);
  // The business switcher closes when a click lands elsewhere or Escape is pressed (it is a <details>: it opens and
  // its switches work without this).
  var switcher = document.getElementById("business-switcher");
  if (switcher) {
    document.addEventListener("click", function (event) {
      if (switcher.open && !switcher.contains(event.target)) switcher.open = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && switcher.open) {
        switcher.open = false;
        switcher.querySelector("summary").focus();
      }
    });
  }
})();
