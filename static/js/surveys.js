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
    var state = stateOf(field);
    state.sent = state.edits;
    state.inflight = answerOf(field);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var field = elt.closest && box(elt);
    if (!field || !event.detail.xhr) { return; }
    var code = event.detail.xhr.status;
    var lost = code === 0 || code >= 500;
    var state = stateOf(field);
    state.inflight = null;
    // Answered (saved, or refused with a reason shown beside the field): nothing is
    // waiting on the site; a lost save stays unacknowledged until it is sent again.
    if (!lost) { state.answered = Math.max(state.answered, state.sent); }
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
  // -- what has been typed and not yet acknowledged --------------------------------------
  // Per question: edits (changes typed), sent (edits the latest save carried), answered
  // (edits the site has answered for), inflight (the values of a save still on its way).

  var states = {};

  function stateOf(field) {
    var key = field.dataset.question;
    if (!states[key]) { states[key] = { edits: 0, sent: 0, answered: 0, inflight: null }; }
    return states[key];
  }

  function edited(field) {
    if (!field || !field.querySelector("[data-answer]")) { return; }
    stateOf(field).edits += 1;
  }

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("[data-answer]")) { edited(box(event.target)); }
  }, true);

  function unacknowledged() {
    return Array.prototype.some.call(document.querySelectorAll("[data-question]"), function (f) {
      var state = states[f.dataset.question];
      return Boolean(state && state.edits > state.answered) || f.classList.contains("not-saved");
    });
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) { return ""; }
  }

  // The answer to a save sent by flush(), if the page is still there to read it: the
  // field's new base, the form's version and the page's status, as htmx would place them.
  function placeReply(field, text) {
    var reply = new DOMParser().parseFromString("<body>" + text + "</body>", "text/html");
    ["base-" + field.dataset.question, "response-version", "save-status"].forEach(function (id) {
      var fresh = reply.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) {
        fresh.removeAttribute("hx-swap-oob");
        old.replaceWith(document.importNode(fresh, true));
        fresh.remove();
      }
    });
    var feedback = document.getElementById("feedback-" + field.dataset.question);
    if (feedback) {
      feedback.textContent = "";
      Array.prototype.forEach.call(reply.body.childNodes, function (node) {
        feedback.appendChild(document.importNode(node, true));
      });
    }
  }

  // Send every answer typed since its last save, now, in requests that outlive the page
  // (fetch with keepalive): the tab is being closed, hidden or left. A save already on
  // its way is not sent twice; a newer value is sent over it (its base is that save's).
  function flush() {
    var token = csrfToken();
    document.querySelectorAll("#response-form [data-question]").forEach(function (field) {
      var state = stateOf(field);
      var lost = field.classList.contains("not-saved");
      var sender = field.querySelector("[data-answer]");
      if (!sender || !(state.edits > state.sent || lost)) { return; }
      var data = new URLSearchParams();
      answerOf(field).forEach(function (value) { data.append("value", value); });
      if (state.inflight) {
        state.inflight.forEach(function (value) { data.append("base", value); });
      } else {
        field.querySelectorAll(".q-base input").forEach(function (input) {
          data.append("base", input.value);
        });
      }
      var version = document.getElementById("response-version");
      data.append("version", version ? version.value : "");
      var carried = state.edits;
      state.sent = carried;
      fetch(sender.getAttribute("hx-post"), {
        method: "POST",
        body: data,
        keepalive: true,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "HX-Request": "true" }
      }).then(function (reply) {
        state.answered = Math.max(state.answered, carried);
        var code = reply.status;
        field.classList.toggle("not-saved", code >= 500);
        field.classList.toggle("has-error", code === 409 || code === 422 || code >= 500);
        field.classList.toggle("has-conflict", code === 409);
        return reply.text().then(function (text) {
          if (code < 500) { placeReply(field, text); }
        });
      }).catch(function () {
        field.classList.add("not-saved");
      });
    });
  }

  // The report's own Save and Submit send every field: leaving by them needs no warning.
  var leavingByForm = false;
  document.addEventListener("submit", function (event) {
    if (event.target.id === "response-form" && !event.defaultPrevented) { leavingByForm = true; }
  });
  // A page opened through htmx (hx-boost) starts afresh.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.boosted) { states = {}; leavingByForm = false; }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);
  window.addEventListener("beforeunload", function (event) {
    if (leavingByForm || !document.getElementById("response-form")) { return; }
    flush();
    if (unacknowledged()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // Another page opened through htmx (hx-boost) replaces this one without unloading it.
  // (The report's own Save and Submit carry every field themselves.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.boosted && !(elt.closest && elt.closest("#response-form"))) { flush(); }
  });

  // -- Enter -----------------------------------------------------------------------------
  // Enter in a one-line field saves that field, nothing more. (Without JavaScript it
  // clicks the form's first submit button, a plain Save.) Enter that ends a word in an
  // input method is left to it.
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) { return; }
    if (!input.matches || !input.matches("#response-form input[data-answer]")) { return; }
    if (input.type === "checkbox" || input.type === "radio") { return; }
    event.preventDefault();
    if (window.htmx) { window.htmx.trigger(input, "change"); }
  });

  // With JavaScript a table's Add a row and Remove act on the page, so they are plain
  // buttons: never the form's default button, whatever comes first.
  function plainButtons(root) {
    (root || document).querySelectorAll("button[data-add-row], button[data-remove-row]")
      .forEach(function (button) { button.type = "button"; });
  }
  plainButtons(document);
  document.addEventListener("htmx:load", function (event) { plainButtons(event.detail.elt); });

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
      var owner = box(tr);
      tr.remove();
      edited(owner);
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
