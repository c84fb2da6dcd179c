// Suggestions as you type, for every search box (an ARIA 1.2 combobox with a listbox popup).
// Progressive enhancement only: without this file each box is a plain search form.
"use strict";

(function () {
  var DELAY = 150;       // ms after the last key before asking
  var MIN_LENGTH = 2;    // characters typed before anything is suggested
  var KIND = { title: "Book", person: "Author", series: "Series" };
  var counter = 0;

  function addStylesheet() {
    var script = document.querySelector('script[src*="search-suggest.js"]');
    if (!script || document.querySelector('link[data-suggest-css]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = script.src.replace(/js\/search-suggest\.js.*$/, "css/suggest.css");
    link.setAttribute("data-suggest-css", "");
    document.head.appendChild(link);
  }

  function enhance(form) {
    var input = form.querySelector('input[name="q"]');
    if (!input || !window.fetch) return;
    var id = "suggest-" + (++counter);
    var endpoint = form.getAttribute("action").replace(/\/?$/, "/suggest");
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var cache = {};
    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastAsked = "";

    list.id = id + "-list";
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.classList.add("has-suggest");
    form.appendChild(list);
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      options[index].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }

    function render(found) {
      items = found;
      list.textContent = "";
      active = -1;
      found.forEach(function (item, index) {
        var option = document.createElement("li");
        var label = document.createElement("span");
        var kind = document.createElement("span");
        option.id = id + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        label.className = "suggest-label";
        label.textContent = item.label;
        kind.className = "suggest-kind";
        kind.textContent = (KIND[item.kind] || "") + (item.detail ? " \u00b7 " + item.detail : "");
        option.appendChild(label);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { window.location.assign(item.url); });
        list.appendChild(option);
      });
      if (found.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = found.length + (found.length === 1 ? " suggestion" : " suggestions") +
          ": use the up and down arrows to choose, Enter to open.";
      } else {
        close();
        status.textContent = "";
      }
    }

    function ask() {
      var typed = input.value.trim();
      if (typed.length < MIN_LENGTH) { render([]); return; }
      if (typed === lastAsked && !list.hidden) return;
      lastAsked = typed;
      if (cache[typed]) { render(cache[typed]); return; }
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch(endpoint + "?q=" + encodeURIComponent(typed), {
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      }).then(function (data) {
        cache[typed] = data.suggestions || [];
        if (input.value.trim() === typed) render(cache[typed]);
      }).catch(function () { /* offline, aborted or limited: the form still works */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { lastAsked = ""; ask(); return; }
        event.preventDefault();
        setActive(active + 1 < items.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        setActive(active > 0 ? active - 1 : items.length - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.assign(items[active].url);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  addStylesheet();
  Array.prototype.forEach.call(
    // The catalog's search forms only (the header's and the search page's), not staff lists.
    document.querySelectorAll('form[role="search"][method="get"][action$="/search"]'), enhance
  );
})();
