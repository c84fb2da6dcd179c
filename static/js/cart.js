// Cart page: change a quantity and see the totals update in place. Without this file the
// same forms post normally and the page reloads.
"use strict";

(function () {
  function setText(selector, text) {
    const element = document.querySelector(selector);
    if (element && text !== undefined && text !== null) {
      element.textContent = text;
    }
  }

  function showError(form, message) {
    let note = form.querySelector(".cart-qty-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "cart-qty-error";
      note.setAttribute("role", "alert");
      form.appendChild(note);
    }
    note.textContent = message;
  }

  function applyTotals(form, data) {
    const row = form.closest("[data-edition-id]");
    const lineTotal = row ? row.querySelector("[data-line-total]") : null;
    if (lineTotal && data.line_total) {
      lineTotal.textContent = data.line_total;
    }
    setText("[data-cart-subtotal]", data.subtotal);
    setText("[data-cart-shipping]", data.shipping_cents === 0 ? "Free" : data.shipping);
    setText("[data-cart-total]", data.total);
    const count = document.querySelector(".cart-count");
    if (count) {
      count.textContent = String(data.item_count);
      count.setAttribute("aria-label", data.item_count + " items in cart");
    }
    setText("[data-cart-status]", data.message + " Total " + data.total + ".");
    const old = form.querySelector(".cart-qty-error");
    if (old) {
      old.remove();
    }
  }

  async function send(form) {
    form.classList.add("is-busy");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (networkError) {
      form.submit(); // fall back to the plain form
      return;
    }
    let data = null;
    try {
      data = await response.json();
    } catch (notJson) {
      data = null;
    }
    form.classList.remove("is-busy");
    if (!data) {
      form.submit();
      return;
    }
    if (!data.ok) {
      showError(form, data.error);
      return;
    }
    if (document.querySelector("[data-member-prices]")) {
      // Member prices are worked out by the server: show the page again with the new ones.
      window.location.reload();
      return;
    }
    applyTotals(form, data);
  }

  function enhance(form) {
    const select = form.querySelector("select[name=quantity]");
    if (!select) {
      return;
    }
    form.classList.add("js-live");
    select.addEventListener("change", function () {
      send(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-cart-qty]").forEach(enhance);
  });
})();
