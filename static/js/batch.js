// CSV batch page: while the batch is checked or submitted, poll its progress every second and move the bar.
// When its status changes the page reloads, so the preview and the buttons match the new state.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status !== "VALIDATING" && status !== "SUBMITTING") return;
  var url = box.getAttribute("data-url");
  var bar = box.querySelector(".progress-bar");
  var label = document.querySelector("[data-progress-label]");

  function show(data) {
    var value = Math.max(0, Math.min(100, data.progress | 0));
    bar.setAttribute("width", String(value)); // an SVG rect: the policy refuses inline style attributes
    box.setAttribute("aria-valuenow", String(value));
    if (label) label.textContent = value + " %";
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var key = el.getAttribute("data-count");
      if (Object.prototype.hasOwnProperty.call(data, key)) el.textContent = data[key];
    });
  }

  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { setTimeout(poll, 3000); return; }
        show(data);
        if (data.status !== status) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
