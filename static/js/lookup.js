// As-you-type look-up for any <input data-lookup="/customers/lookup">; the page works without it.
//
// Attributes on the input:
//   data-lookup="URL"            JSON endpoint answering ?q= with {"items": [{id, name, ...}]} (q of 2+ characters);
//                                several URLs separated by spaces are all asked and their rows listed in that order
//   data-lookup-title="key"      the row key shown as the option's name (default "name"; "code" for code lists)
//   data-lookup-detail="a b"     row keys shown in small print after the name (e.g. "tin email"); a key written
//                                "unitPrice:naira" shows a decimal string as ₦1,500.00
//   data-lookup-href="/x/{id}/"  go there when a row is chosen (unless a listener called preventDefault())
//   data-lookup-quiet            no "No match" row: the input also takes free text (an invoice line's description)
//   data-lookup-submit           otherwise: put the chosen name in the input and submit its form
// Choosing a row dispatches a cancelable, bubbling `lookup:select` CustomEvent on the input; event.detail is the row.
// FlowpointLookup.attach(input) wires an input added to the page later (invoice lines).
// Its styles are in app.css (.lookup-…): the Content-Security-Policy refuses styles injected by scripts.
(function () {
  "use strict";

  var DELAY_MS = 200;
  var MIN_CHARS = 2;
  var counter = 0;

  // "1500000.5" -> "₦1,500,000.50", on the text: amounts never pass through a float.
  function naira(text) {
    var match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text));
    if (!match) return text;
    var whole = match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return match[1] + "\u20a6" + whole + "." + ((match[3] || "") + "00").slice(0, 2);
  }

  function attach(input) {
    if (input.dataset.lookupReady) return;
    input.dataset.lookupReady = "1";
    var urls = input.getAttribute("data-lookup").split(/\s+/).filter(Boolean);
    var title = input.getAttribute("data-lookup-title") || "name";
    var details = (input.getAttribute("data-lookup-detail") || "").split(/\s+/).filter(Boolean);
    var listId = (input.id || "lookup-" + ++counter) + "-options";

    // The list sits under the input, in a positioned wrapper that takes the input's place.
    var wrap = document.createElement("div");
    wrap.className = "lookup-wrap";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.className = "lookup-list";
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrap.appendChild(list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");

    var rows = [];
    var active = -1;
    var timer = null;
    var latest = 0; // answers to older keystrokes are dropped

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll(".lookup-option");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (opt, i) {
        opt.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function render(items, q) {
      rows = items;
      list.innerHTML = "";
      if (!items.length && input.hasAttribute("data-lookup-quiet")) {
        close();
        return;
      }
      if (!items.length) {
        var empty = document.createElement("li");
        empty.className = "lookup-empty";
        empty.textContent = "No match for “" + q + "”";
        list.appendChild(empty);
      }
      items.forEach(function (row, i) {
        var li = document.createElement("li");
        li.className = "lookup-option";
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "lookup-name";
        name.textContent = row[title];
        li.appendChild(name);
        var extra = details
          .map(function (spec) {
            var parts = spec.split(":");
            var value = row[parts[0]];
            return parts[1] === "naira" && value ? naira(value) : value;
          })
          .filter(function (v) { return v !== null && v !== undefined && v !== ""; })
          .join(" · ");
        if (extra) {
          var small = document.createElement("span");
          small.className = "lookup-detail";
          small.textContent = extra;
          li.appendChild(small);
        }
        // mousedown, not click: it comes before the input's blur closes the list.
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function choose(index) {
      var row = rows[index];
      if (!row) return;
      close();
      var event = new CustomEvent("lookup:select", { detail: row, bubbles: true, cancelable: true });
      if (!input.dispatchEvent(event)) return;
      var href = input.getAttribute("data-lookup-href");
      if (href) {
        window.location.assign(href.replace("{id}", encodeURIComponent(row.id)));
        return;
      }
      input.value = row[title];
      if (input.hasAttribute("data-lookup-submit") && input.form) input.form.submit();
    }

    function search() {
      var q = input.value.trim();
      var ticket = ++latest;
      if (q.length < MIN_CHARS) {
        close();
        return;
      }
      var answers = urls.map(function (url) {
        var sep = url.indexOf("?") === -1 ? "?" : "&";
        return fetch(url + sep + "q=" + encodeURIComponent(q.slice(0, 100)), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        }).then(function (response) {
          return response.ok ? response.json() : { items: [] };
        });
      });
      Promise.all(answers)
        .then(function (bodies) {
          var items = [].concat.apply([], bodies.map(function (body) { return body.items || []; }));
          if (ticket === latest && document.activeElement === input) render(items, q);
        })
        .catch(function () {
          if (ticket === latest) close();
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" && open) {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // choose the row instead of submitting the search form
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 100);
    });
  }

  window.FlowpointLookup = { attach: attach };
  document.querySelectorAll("input[data-lookup]").forEach(attach);
})();
