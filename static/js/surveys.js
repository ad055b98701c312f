// Report forms: autosave as the secretary types (see templates/surveys/_fields.html).
// htmx does the saving (hx-post per field, debounced, one request at a time per form);
// this file only shapes each request as the autosave contract wants it (value, base,
// version), marks the field's state, and adds or removes table rows. Every page works
// without it: the Save and Submit buttons send the whole form.
(function () {
  "use strict";

  function box(elt) { return elt.closest("[data-question]"); }

  function answerOf(field) {
    var type = field.dataset.type;
    if (type === "multiple_choice") {
      return Array.prototype.map.call(
        field.querySelectorAll("input[type=checkbox]:checked"), function (i) { return i.value; });
    }
    if (type === "table") {
      var rows = [];
      field.querySelectorAll("tbody tr[data-row]").forEach(function (tr) {
        var row = {};
        tr.querySelectorAll("input, select, textarea").forEach(function (input) {
          var column = input.name.split(".").pop();
          if (input.type === "checkbox") {
            row[column] = row[column] || [];
            if (input.checked) { row[column].push(input.value); }
          } else {
            row[column] = input.value;
          }
        });
        rows.push(row);
      });
      return [JSON.stringify(rows)];
    }
    var input = field.querySelector("[name='q." + field.dataset.question + "']");
    return [input ? input.value : ""];
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.dataset || !elt.dataset.answer) { return; }
    var field = box(elt);
    var form = elt.closest("form");
    var data = event.detail.formData;
    Array.from(data.keys()).forEach(function (name) { data.delete(name); });
    answerOf(field).forEach(function (value) { data.append("value", value); });
    field.querySelectorAll(".q-base input").forEach(function (input) {
      data.append("base", input.value);
    });
    var version = form && form.querySelector("#response-version");
    data.append("version", version ? version.value : "");
    var status = document.getElementById("save-status");
    if (status) { status.className = "save-status saving"; }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var field = elt.closest && box(elt);
    if (!field || !event.detail.xhr) { return; }
    var code = event.detail.xhr.status;
    var lost = code === 0 || code >= 500;
    field.classList.toggle("has-error", code === 422 || code === 409 || lost);
    field.classList.toggle("has-conflict", code === 409);
    field.classList.toggle("not-saved", lost);
    var unsaved = document.querySelector("[data-question].not-saved");
    var status = document.getElementById("save-status");
    if (status && unsaved) {
      // Another field saved since must not make the page say "saved": this one was not.
      status.className = "save-status not-saved";
      status.textContent = (code === 0 ? status.dataset.offline : status.dataset.failed) ||
        status.dataset.offline || status.textContent;
    }
    if (!lost && unsaved) { retryUnsaved(); }
  });

  // A field whose save was lost (no connection, or the site briefly unavailable) is sent
  // again: after the next save that goes through, and every 15 seconds until it does.
  function retryUnsaved() {
    document.querySelectorAll("[data-question].not-saved").forEach(function (field) {
      var sender = field.querySelector("[data-answer]");
      if (sender && window.htmx) { window.htmx.trigger(sender, "change"); }
    });
  }
  window.setInterval(function () {
    if (document.querySelector("[data-question].not-saved")) { retryUnsaved(); }
  }, 15000);

  // A cumulative question's running total "with this round" follows what is typed.
  document.addEventListener("input", function (event) {
    var field = event.target.closest && box(event.target);
    var total = field && field.querySelector(".q-total[data-earlier]");
    var shown = total && total.querySelector(".q-total-with");
    var typed = event.target.value.trim() || "0";
    if (!shown || !/^[0-9]{1,15}$/.test(typed)) { return; }
    shown.textContent = String(Number(total.dataset.earlier) + Number(typed));
  });

  document.addEventListener("click", function (event) {
    var keep = event.target.closest("[data-keep-mine]");
    if (keep) {
      // Save what this page has over the other version: it becomes the base.
      var field = box(keep);
      var holder = field.querySelector(".q-base");
      var source = field.querySelector("[data-answer]");
      holder.textContent = "";
      JSON.parse(keep.dataset.keepMine).forEach(function (value) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "base." + field.dataset.question;
        input.value = value;
        holder.appendChild(input);
      });
      if (source && window.htmx) { window.htmx.trigger(source, "change"); }
      return;
    }
    var adder = event.target.closest("[data-add-row]");
    var remover = event.target.closest("[data-remove-row]");
    if (adder) {
      event.preventDefault();
      var key = adder.dataset.addRow;
      var template = document.getElementById("row-template-" + key);
      var body = document.querySelector("[data-table='" + key + "'] tbody");
      if (!template || !body) { return; }
      var next = body.querySelectorAll("tr[data-row]").length;
      var holder = document.createElement("tbody");
      holder.innerHTML = template.innerHTML.split("__row__").join(String(next));
      var row = holder.firstElementChild;
      body.appendChild(row);
      if (window.htmx) { window.htmx.process(row); }
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    } else if (remover) {
      event.preventDefault();
      var tr = remover.closest("tr");
      var table = remover.closest("table");
      tr.remove();
      var any = table.querySelector("tbody input, tbody select, tbody textarea");
      if (any && window.htmx) { window.htmx.trigger(any, "change"); }
    }
  });
})();

// The round tracker's selection: select all, all not submitted, all awaiting review, or
// none, among the rows shown; the action bar says how many are selected. Without this
// file the buttons stay hidden and each row is ticked by hand.
(function () {
  "use strict";
  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#tracker-table input[name=response]"));
  }
  function showCount() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) { return; }
    var n = boxes().filter(function (b) { return b.checked; }).length;
    label.textContent = n ? label.dataset.template.replace("{n}", String(n)) : "";
  }
  function setUp() {
    var tools = document.querySelector("[data-select-tools]");
    if (tools) { tools.hidden = false; }
    showCount();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else { setUp(); }
  // Pages reached through hx-boost arrive by swap, without a new DOMContentLoaded.
  document.addEventListener("htmx:afterSettle", setUp);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#tracker-table input[name=response]")) {
      showCount();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-select]");
    if (!button) { return; }
    var which = button.dataset.select;
    boxes().forEach(function (box) {
      var row = box.closest("tr");
      box.checked = which === "all" ||
        (which !== "none" && row !== null && row.hasAttribute("data-" + which));
    });
    showCount();
  });
})();
