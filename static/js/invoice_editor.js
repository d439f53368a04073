// The invoice editor: line rows and the discount and charge rows added and removed in place, live totals and VAT,
// customer and item look-up.
// Money is computed in integer kobo (BigInt), half-up per line, exactly as the server does; the server's
// figures are the ones that count, these only show the clerk what to expect.
(function () {
  "use strict";
  var form = document.getElementById("invoice-editor");
  if (!form) return;
  var script = document.currentScript || document.querySelector("script[data-item-lookup]");
  var itemLookup = script && script.getAttribute("data-item-lookup");
  var codeLookup = script && script.getAttribute("data-code-lookup");
  var body = document.querySelector("#lines tbody");
  var template = document.getElementById("line-template");
  var total = form.querySelector("input[name=lines-TOTAL_FORMS]");
  var adjustBody = document.querySelector("#adjustments tbody");
  var adjustTemplate = document.getElementById("adjustment-template");
  var adjustTotal = form.querySelector("input[name=adjustments-TOTAL_FORMS]");
  var adjustMax = form.querySelector("input[name=adjustments-MAX_NUM_FORMS]");
  var addAdjustment = document.getElementById("add-adjustment");
  var DEFAULT_RATES = { STANDARD_VAT: "7.5", ZERO_VAT: "0", EXEMPTED: "0", ZERO_GST: "0" };

  // "1,234.5" -> BigInt scaled by 10^places (null when not a number); half-up beyond `places`.
  function scaled(text, places) {
    var s = String(text || "").replace(/[,\s\u20a6]|NGN/g, "");  // as the server reads money: "₦500,000.50"
    if (!/^\d*\.?\d*$/.test(s) || s === "" || s === ".") return null;
    var parts = s.split(".");
    var frac = (parts[1] || "") + "0".repeat(places + 1);
    var value = BigInt((parts[0] || "0") + frac.slice(0, places));
    return Number(frac[places]) >= 5 ? value + 1n : value;
  }
  function divHalfUp(a, b) { return (a * 2n + b) / (2n * b); }
  // As the server's money filter: "₦1,234.50" for naira, "USD 1,234.50" for another currency (never ₦).
  function naira(kobo, currency) {
    var negative = kobo < 0n; if (negative) kobo = -kobo;
    var whole = (kobo / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = (kobo % 100n).toString().padStart(2, "0");
    var sign = currency && currency !== "NGN" ? currency + "\u00a0" : "₦";
    return (negative ? "-" : "") + sign + whole + "." + cents;
  }
  var currencyInput = form.querySelector("[name=currency]");
  var issueInput = form.querySelector("[name=issue_date]");
  var rateBox = document.getElementById("exchange-rate");
  var rateInput = form.querySelector("[name=exchange_rate]");
  function currency() { return ((currencyInput && currencyInput.value) || "NGN").trim().toUpperCase() || "NGN"; }
  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  // NRS's VAT exemption list (hs key -> description), as the server checks it (integrations/reference/lookup.py):
  // an HS code's digits without trailing pairs of zeros, so 0101.21 finds the list's 0101.2100.
  var exemptData = document.getElementById("vat-exemptions");
  var EXEMPTIONS = exemptData ? JSON.parse(exemptData.textContent) : {};
  var VAT_CHARGED = { STANDARD_VAT: true, REDUCED_VAT: true, ZERO_VAT: true };
  function hsKey(code) {
    var digits = String(code || "").replace(/\D/g, "");
    while (digits.length > 4 && digits.slice(-2) === "00") digits = digits.slice(0, -2);
    return digits;
  }
  // Under a line whose goods are on the list but charged VAT: the list's words and a one-click "Use VAT exempt".
  function exemptHint(row) {
    var hint = row.querySelector("[data-exempt-hint]"), code = field(row, "hsn_code"), scheme = field(row, "tax_scheme");
    if (!hint || !code || !scheme) return;
    var value = code.value.trim();
    var listed = value.indexOf(".") !== -1 && Object.prototype.hasOwnProperty.call(EXEMPTIONS, hsKey(value));
    hint.hidden = !(listed && VAT_CHARGED[scheme.value]);
    if (!hint.hidden) hint.querySelector("[data-exempt-text]").textContent = EXEMPTIONS[hsKey(value)] + ".";
  }

  function show(name, kobo) {
    form.querySelectorAll("[data-when=" + name + "]").forEach(function (el) { el.hidden = kobo === 0n; });
    form.querySelector("[data-total=" + name + "]").textContent = (name === "charge" ? "" : "−") + naira(kobo, currency());
  }

  // "7.5%" for a rate scaled by 100 (750n).
  function percent(rate) {
    var fraction = (rate % 100n).toString().padStart(2, "0").replace(/0+$/, "");
    return (rate / 100n).toString() + (fraction ? "." + fraction : "") + "%";
  }

  // The discount and charge rows, as integrations/nrs/totals.py takes them: each taken off (a discount) or added
  // (a charge) before tax, its tax half-up to the kobo at its own VAT; "As the lines" is the lines' one VAT
  // (invoicing/validation.py asks for a choice when the lines carry several: the row says so before saving).
  function adjustments(rates) {
    var keys = Object.keys(rates), single = keys.length === 1 ? rates[keys[0]] : null;
    var sums = { allowance: 0n, charge: 0n, tax: 0n };
    if (!adjustBody) return sums;
    adjustBody.querySelectorAll("tr.adjustment-row").forEach(function (row) {
      var amount = scaled(field(row, "amount").value, 2), scheme = field(row, "tax_scheme");
      var same = scheme.options[0];  // "As the lines", with the lines' VAT in words when they carry one
      if (!same.hasAttribute("data-words")) same.setAttribute("data-words", same.textContent);
      var words = scheme.querySelector("option[value='" + (single ? single.scheme : "") + "']");
      same.textContent = same.getAttribute("data-words") +
        (single && words && words !== same ? " (" + words.textContent + " " + percent(single.rate) + ")" : "");
      var hint = row.querySelector("[data-choose-vat]");
      if (hint) hint.hidden = !(scheme.value === "" && !single && keys.length > 1 && amount);
      if (amount === null) return;
      var rateInput = field(row, "tax_rate"), typed = rateInput.value.trim(), rate;
      rateInput.placeholder = scheme.value === "" && single ? percent(single.rate).slice(0, -1) : "";
      if (scheme.value === "") rate = single ? single.rate : 0n;
      else if (typed === "") rate = scheme.value === "STANDARD_VAT" ? 750n : 0n;  // as the service's default rate
      else rate = scaled(typed, 2) || 0n;
      var tax = divHalfUp(amount * rate, 10000n);
      if (field(row, "kind").value === "charge") { sums.charge += amount; sums.tax += tax; }
      else { sums.allowance += amount; sums.tax -= tax; }
    });
    return sums;
  }

  // As integrations/nrs/totals.py: tax-exclusive = lines − discounts + charges, each discount and charge taxed at
  // its own VAT; withholding (per line, on its amount) is taken off what the buyer pays.
  function recalc() {
    var subtotal = 0n, tax = 0n, withheld = 0n, rates = {}, code = currency();
    body.querySelectorAll("tr.line-row").forEach(function (row) {
      var qty = scaled(field(row, "quantity").value, 4), price = scaled(field(row, "unit_price").value, 2);
      var discount = scaled(field(row, "discount").value || "0", 2), rate = scaled(field(row, "tax_rate").value || "0", 2);
      var fee = scaled(field(row, "fee").value || "0", 2);
      var withholding = scaled(field(row, "withholding_rate").value || "0", 2);
      var cell = row.querySelector(".line-amount");
      if (qty === null || price === null || discount === null || rate === null || fee === null || withholding === null) {
        cell.textContent = "—"; return;
      }
      var scheme = field(row, "tax_scheme").value;
      if (scheme === "WITHHOLDING_TAX") { withholding = withholding || rate; rate = 0n; }  // an older line's way
      else rates[scheme + " " + rate] = { scheme: scheme, rate: rate };
      var amount = divHalfUp(qty * price, 10000n) - discount + fee;  // kobo
      var lineTax = divHalfUp(amount * rate, 10000n);            // rate is % × 100
      cell.textContent = naira(amount, code);
      subtotal += amount; tax += lineTax; withheld += divHalfUp(amount * withholding, 10000n);
    });
    var sums = adjustments(rates), allowance = sums.allowance, charge = sums.charge;
    tax += sums.tax;
    var inclusive = subtotal - allowance + charge + tax;
    form.querySelector("[data-total=subtotal]").textContent = naira(subtotal, code);
    show("allowance", allowance); show("charge", charge); show("withheld", withheld);
    form.querySelector("[data-total=tax]").textContent = naira(tax, code);
    form.querySelector("[data-total=inclusive]").textContent = naira(inclusive, code);
    form.querySelector("[data-total=payable]").textContent = naira(inclusive - withheld, code);
    // Another currency: its VAT and total in naira at the rate, half-up to the kobo as the server converts them.
    var foreign = code !== "NGN", rate = rateInput ? scaled(rateInput.value, 6) : null;
    if (rateBox) rateBox.hidden = !foreign;
    form.querySelectorAll("[data-naira-only]").forEach(function (el) { el.hidden = !foreign; });
    var taxNaira = form.querySelector("[data-total=tax-naira]"), payableNaira = form.querySelector("[data-total=payable-naira]");
    if (taxNaira && payableNaira) {
      taxNaira.textContent = foreign && rate ? naira(divHalfUp(tax * rate, 1000000n)) : "—";
      payableNaira.textContent = foreign && rate ? naira(divHalfUp((inclusive - withheld) * rate, 1000000n)) : "—";
    }
  }

  // The rate is prefilled from the business's exchange rates for the currency and issue date, unless typed.
  function prefillRate() {
    var lookup = rateBox && rateBox.getAttribute("data-rate-lookup");
    if (!lookup || !rateInput || currency() === "NGN" || rateInput.getAttribute("data-typed")) { recalc(); return; }
    var url = lookup + "?currency=" + encodeURIComponent(currency()) + "&date=" + encodeURIComponent((issueInput && issueInput.value) || "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { rate: null }; })
      .then(function (data) { if (!rateInput.getAttribute("data-typed")) rateInput.value = data.rate || ""; recalc(); })
      .catch(recalc);
  }
  var rateCurrency = currency();  // the currency the rate in the field is for
  if (rateInput) {
    if (rateInput.value) rateInput.setAttribute("data-typed", "");  // a draft's own rate, or one given before
    rateInput.addEventListener("input", function () {
      if (rateInput.value) rateInput.setAttribute("data-typed", ""); else rateInput.removeAttribute("data-typed");
      rateCurrency = currency();
      recalc();
    });
  }
  if (currencyInput) currencyInput.addEventListener("input", function () {
    if (rateInput && currency() !== rateCurrency) {  // a rate typed for another currency does not carry over
      rateInput.removeAttribute("data-typed"); rateInput.value = ""; rateCurrency = currency();
    }
    prefillRate();
  });
  if (issueInput) issueInput.addEventListener("change", prefillRate);

  // Keep a formset's numbering contiguous (lines-0-…, lines-1-…) after rows come and go.
  function renumberRows(rows, prefix, count) {
    var name = new RegExp("^" + prefix + "-(\\d+|__prefix__)-"), id = new RegExp("^id_" + prefix + "-(\\d+|__prefix__)-");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name^='" + prefix + "-'], [id^='id_" + prefix + "-']").forEach(function (el) {
        if (el.name) el.name = el.name.replace(name, prefix + "-" + index + "-");
        if (el.id) el.id = el.id.replace(id, "id_" + prefix + "-" + index + "-");
      });
    });
    count.value = rows.length;
  }
  function renumber() { renumberRows(body.querySelectorAll("tr.line-row"), "lines", total); }
  function renumberAdjustments() {
    var rows = adjustBody.querySelectorAll("tr.adjustment-row");
    renumberRows(rows, "adjustments", adjustTotal);
    addAdjustment.disabled = adjustMax && rows.length >= Number(adjustMax.value);  // the service takes 20 at most
  }

  function wire(row) {
    var search = row.querySelector(".item-lookup");
    if (search && itemLookup && window.FlowpointLookup) {
      search.setAttribute("data-lookup", itemLookup);
      search.setAttribute("data-lookup-detail", "unitPrice:naira taxLabel");
      search.setAttribute("data-lookup-quiet", "");  // a new description matches nothing saved: no "No match" noise
      window.FlowpointLookup.attach(search);
    }
    var code = field(row, "hsn_code");
    if (code && codeLookup && window.FlowpointLookup) {  // HS codes (goods) and ISIC classes (services), by code or words
      code.setAttribute("data-lookup", codeLookup);
      code.setAttribute("data-lookup-title", "code");
      code.setAttribute("data-lookup-detail", "description");
      code.setAttribute("data-lookup-quiet", "");
      window.FlowpointLookup.attach(code);
    }
  }

  document.getElementById("add-line").addEventListener("click", function () {
    var fragment = template.content.cloneNode(true);
    body.appendChild(fragment);
    var row = body.lastElementChild;
    renumber(); wire(row); recalc();
    field(row, "description").focus();
  });

  body.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-line")) return;
    var rows = body.querySelectorAll("tr.line-row");
    if (rows.length === 1) {  // the last row is cleared rather than removed: an invoice has one line at least
      rows[0].querySelectorAll("input").forEach(function (input) { if (input.type !== "hidden" || input.name.endsWith("item_id")) input.value = ""; });
    } else {
      event.target.closest("tr").remove();
    }
    renumber(); recalc();
  });

  body.addEventListener("input", function (event) {
    if (event.target.name && event.target.name.endsWith("-hsn_code")) exemptHint(event.target.closest("tr"));
    recalc();
  });
  if (adjustBody && adjustTemplate && addAdjustment) {
    addAdjustment.addEventListener("click", function () {
      adjustBody.appendChild(adjustTemplate.content.cloneNode(true));
      var row = adjustBody.lastElementChild;
      renumberAdjustments(); recalc();
      field(row, "kind").focus();
    });
    adjustBody.addEventListener("click", function (event) {
      if (!event.target.classList.contains("remove-adjustment")) return;
      event.target.closest("tr").remove();
      renumberAdjustments(); recalc();
    });
    adjustBody.addEventListener("input", recalc);
    adjustBody.addEventListener("change", function (event) {
      if (event.target.name && event.target.name.endsWith("-tax_scheme")) {  // the VAT's usual rate, as on a line
        var rate = event.target.value === "" ? "" : DEFAULT_RATES[event.target.value];
        if (rate !== undefined) field(event.target.closest("tr"), "tax_rate").value = rate;
      }
      recalc();
    });
    renumberAdjustments();
  }
  body.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.endsWith("-tax_scheme")) {
      var rate = DEFAULT_RATES[event.target.value];
      if (rate !== undefined) field(event.target.closest("tr"), "tax_rate").value = rate;
    }
    if (event.target.closest && event.target.closest("tr.line-row")) exemptHint(event.target.closest("tr.line-row"));
    recalc();
  });

  body.addEventListener("click", function (event) {
    if (!event.target.hasAttribute("data-use-exempt")) return;
    var row = event.target.closest("tr");
    field(row, "tax_scheme").value = "EXEMPTED";
    field(row, "tax_rate").value = "0";
    exemptHint(row); recalc();
    field(row, "tax_scheme").focus();
  });

  // A chosen saved item fills its line; a chosen customer fills the buyer.
  form.addEventListener("lookup:select", function (event) {
    var row = event.detail, input = event.target;
    event.preventDefault();
    if (input.name && input.name.endsWith("-hsn_code")) {
      input.value = row.code;
      exemptHint(input.closest("tr"));
      return;
    }
    if (input.classList.contains("item-lookup")) {
      var line = input.closest("tr");
      field(line, "item_id").value = row.id;
      field(line, "description").value = row.name;
      field(line, "unit_price").value = row.unitPrice;
      field(line, "hsn_code").value = row.hsCode || row.serviceCode || "";
      field(line, "tax_scheme").value = row.taxScheme;
      field(line, "tax_rate").value = row.taxRate;
      exemptHint(line); recalc();
      return;
    }
    var map = { name: "name", tin: "tin", email: "email", phone: "phone", address: "address", city: "city",
                postal_code: "postalCode", state: "state", lga: "lga", country: "country" };
    Object.keys(map).forEach(function (key) {
      var el = form.querySelector("[name=customer_" + key + "]");
      if (el) el.value = row[map[key]] || "";
    });
    form.querySelector("[name=customer_id]").value = row.id;
    if (row.kind === "B2G") form.querySelector("[name=invoice_kind]").value = "B2G";
    input.value = "";
  });

  // B2C is light: only the buyer's name, e-mail and telephone. Without this script every field shows.
  var kind = form.querySelector("[name=invoice_kind]");
  var buyer = form.querySelector("[data-b2c-fields]");
  function showKind() {
    var light = kind.value === "B2C";
    var keep = buyer.getAttribute("data-b2c-fields").split(" ");
    buyer.querySelectorAll(".field").forEach(function (box) {
      var input = box.querySelector("[name]");
      box.hidden = light && input && keep.indexOf(input.name) === -1;
    });
    form.querySelectorAll("[data-b2b-only]").forEach(function (el) { el.hidden = light; });
  }
  if (kind && buyer) { kind.addEventListener("change", showKind); showKind(); }

  // A note started from an invoice in Flowpoint asks for an outside invoice's IRN and date only when that is chosen.
  var sources = form.querySelectorAll("input[type=radio][name=original_source]");
  var externalFields = form.querySelector("[data-external-fields]");
  function showSource() {
    var chosen = form.querySelector("input[type=radio][name=original_source]:checked");
    externalFields.hidden = !(chosen && chosen.value === "external");
  }
  if (sources.length && externalFields) {
    sources.forEach(function (radio) { radio.addEventListener("change", showSource); });
    showSource();
  }

  body.querySelectorAll("tr.line-row").forEach(function (row) { wire(row); exemptHint(row); });
  if (rateInput && !rateInput.value && currency() !== "NGN") prefillRate(); else recalc();
})();
