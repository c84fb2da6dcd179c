// The back office's progressive enhancements: every page works without this file.
"use strict";

(function () {
  function typingIn(target) {
    return target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  // The sections fold behind a button on phones; on wide screens they show in place (CSS,
  // where the browser has ::details-content; here for the others, and so that what assistive
  // technology reads matches the screen).
  var menu = document.querySelector("[data-staff-menu]");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60rem)");
    var openWhenWide = function () {
      if (wide.matches) menu.open = true;
    };
    openWhenWide();
    wide.addEventListener("change", openWhenWide);
  }

  // "/" focuses the page's search box (the hint next to it says so).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target)) return;
    var search =
      document.querySelector("[data-shortcut-search]") ||
      document.querySelector("main input[type=search]");
    if (!search) return;
    event.preventDefault();
    search.focus();
    if (search.select) search.select();
  });
  document.querySelectorAll("[data-shortcut-hint]").forEach(function (hint) {
    hint.hidden = false;
  });

  // Phones show table rows as stacked cards: label each cell with its column's heading
  // (templates label the busiest tables themselves; this covers the rest).
  document.querySelectorAll("main table").forEach(function (table) {
    var headings = Array.prototype.map.call(
      table.querySelectorAll("thead th"),
      function (th) { return th.textContent.trim(); }
    );
    if (!headings.length || table.querySelector("td[data-label]")) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (headings[index] && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", headings[index]);
        }
      });
    });
  });

  // Books list: one box to select every row for a bulk action.
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var boxes = document.querySelectorAll("input[name='" + all.dataset.selectAll + "']");
    all.hidden = false;
    all.closest("label") && (all.closest("label").hidden = false);
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });

  // Receive a delivery / stock count: scan ISBN after ISBN without submitting half a batch.
  document.querySelectorAll("[data-stock-batch]").forEach(function (form) {
    var body = form.querySelector("[data-batch-rows]");
    var lookupUrl = form.dataset.lookup;
    var pending = {};

    function rows() { return Array.prototype.slice.call(body.querySelectorAll("[data-batch-row]")); }

    function addRow() {
      var all = rows();
      var last = all[all.length - 1];
      var copy = last.cloneNode(true);
      var index = all.length;
      copy.classList.remove("has-error");
      copy.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/lines-\d+-/, "lines-" + index + "-");
        input.id = input.id.replace(/lines-\d+-/, "lines-" + index + "-");
        input.value = "";
        var label = input.getAttribute("aria-label");
        if (label) input.setAttribute("aria-label", label.replace(/\d+$/, String(index + 1)));
        input.removeAttribute("aria-invalid");
      });
      copy.querySelector(".batch-number").textContent = String(index + 1);
      copy.querySelector("[data-title]").textContent = "";
      body.appendChild(copy);
      return copy;
    }

    function normalise(value) { return value.replace(/[\s\-\u2010\u2011\u2013]/g, ""); }

    function show(row, text, problem) {
      var cell = row.querySelector("[data-title]");
      cell.textContent = "";
      var span = document.createElement("span");
      span.textContent = text;
      if (problem) span.className = "field-error";
      cell.appendChild(span);
      row.classList.toggle("has-error", !!problem);
    }

    function lookUp(row) {
      var input = row.querySelector("[data-isbn]");
      var isbn = normalise(input.value);
      if (!isbn) { row.querySelector("[data-title]").textContent = ""; return; }
      if (pending[input.id] === isbn) return;
      pending[input.id] = isbn;
      show(row, "Looking up…", false);
      fetch(lookupUrl + "?isbn=" + encodeURIComponent(isbn), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (normalise(input.value) !== isbn) return;
          if (data.problem) show(row, data.problem, true);
          else show(row, data.title + " (" + data.format + "), " + data.on_hand + " on hand now", false);
        })
        .catch(function () { show(row, "Could not look this ISBN up; 'Check the titles' will.", true); })
        .then(function () { delete pending[input.id]; });
    }

    // A second scan of a title already on the list adds a copy to that row instead.
    function mergeDuplicate(row) {
      var input = row.querySelector("[data-isbn]");
      var isbn = normalise(input.value);
      if (!isbn) return false;
      var earlier = rows().find(function (other) {
        return other !== row && normalise(other.querySelector("[data-isbn]").value) === isbn;
      });
      if (!earlier) return false;
      var quantity = earlier.querySelector("[data-quantity]");
      var own = row.querySelector("[data-quantity]");
      quantity.value = String((parseInt(quantity.value, 10) || 1) + (parseInt(own.value, 10) || 1));
      input.value = "";
      own.value = "";
      row.querySelector("[data-title]").textContent = "";
      var cell = earlier.querySelector("[data-title]");
      var note = cell.querySelector(".batch-added") || document.createElement("span");
      note.className = "batch-added hint";
      note.textContent = " Now " + quantity.value + ".";
      cell.appendChild(note);
      return true;
    }

    function nextIsbn(row) {
      var all = rows();
      var next = all[all.indexOf(row) + 1] || addRow();
      return next.querySelector("[data-isbn]");
    }

    body.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      var row = event.target.closest("[data-batch-row]");
      if (!row || !event.target.matches("[data-isbn], [data-quantity]")) return;
      // Enter (a scanner's last key) moves on to the next row; it never submits the batch.
      event.preventDefault();
      if (event.target.matches("[data-isbn]")) {
        if (mergeDuplicate(row)) { event.target.focus(); return; }
        lookUp(row);
        var quantity = row.querySelector("[data-quantity]");
        if (normalise(event.target.value) && !quantity.value) quantity.value = "1";
      }
      nextIsbn(row).focus();
    });

    body.addEventListener("change", function (event) {
      if (!event.target.matches("[data-isbn]")) return;
      var row = event.target.closest("[data-batch-row]");
      if (!mergeDuplicate(row)) lookUp(row);
    });

    var more = form.querySelector("[data-add-rows]");
    if (more) {
      more.addEventListener("click", function (event) {
        event.preventDefault();
        var first = null;
        for (var i = 0; i < 10; i += 1) {
          var row = addRow();
          first = first || row;
        }
        first.querySelector("[data-isbn]").focus();
      });
    }
  });
})();
