// Progressive enhancement only: every page works without this file.
"use strict";

(function () {
  const WIDE = "(min-width: 60rem)";
  const FILTERS_WIDE = "(min-width: 52rem)";

  // The header menu and the browse filters are <details>: shown open on wide screens (by CSS
  // where the browser has ::details-content; here for the others, and so that the state that
  // assistive technology reads matches what is on screen).
  function openWhenWide(selector, query) {
    const element = document.querySelector(selector);
    if (!element || !window.matchMedia) {
      return;
    }
    const media = window.matchMedia(query);
    const apply = function () {
      if (media.matches) {
        element.open = true;
      }
    };
    apply();
    media.addEventListener("change", apply);
  }

  function closeMenuOnEscape() {
    const menu = document.querySelector("[data-site-menu]");
    if (!menu) {
      return;
    }
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !window.matchMedia(WIDE).matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }

  // -- Cart panel: "Add to cart" keeps the shopper on the page --------------------------------

  let panel = null;
  let returnFocusTo = null;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function buildPanel(live) {
    const dialog = element("dialog", "cart-panel");
    dialog.setAttribute("aria-labelledby", "cart-panel-title");
    dialog.setAttribute("aria-describedby", "cart-panel-message");
    const head = element("div", "cart-panel-head");
    const title = element("h2", "", "Added to your cart");
    title.id = "cart-panel-title";
    const close = element("button", "cart-panel-close", "Close");
    close.type = "button";
    close.addEventListener("click", function () {
      dialog.close();
    });
    head.append(title, close);
    const body = element("div", "cart-panel-body");
    const cover = element("img", "cart-panel-cover");
    cover.alt = "";
    cover.width = 60;
    cover.height = 90;
    const text = element("div", "cart-panel-text");
    const message = element("p", "cart-panel-message");
    message.id = "cart-panel-message";
    const summary = element("p", "cart-panel-summary");
    text.append(message, summary);
    body.append(cover, text);
    const actions = element("div", "cart-panel-actions");
    if (live.dataset.checkoutUrl) {
      const checkout = element("a", "button cart-panel-checkout", "Checkout");
      checkout.href = live.dataset.checkoutUrl;
      actions.append(checkout);
    }
    const view = element("a", "button button-secondary cart-panel-view", "View cart");
    view.href = live.dataset.cartUrl || "/cart";
    actions.append(view);
    const keep = element("button", "link-button cart-panel-keep", "Keep shopping");
    keep.type = "button";
    keep.addEventListener("click", function () {
      dialog.close();
    });
    dialog.append(head, body, actions, keep);
    // A click on the backdrop (outside the panel's box) closes it, like Escape does.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        dialog.close();
      }
    });
    dialog.addEventListener("close", function () {
      if (returnFocusTo && document.contains(returnFocusTo)) {
        returnFocusTo.focus();
      }
    });
    document.body.append(dialog);
    return dialog;
  }

  function updateCount(count) {
    document.querySelectorAll(".cart-count").forEach(function (badge) {
      badge.textContent = String(count);
      badge.setAttribute("aria-label", count + " items in cart");
    });
  }

  function showAdded(live, data, button) {
    if (!panel) {
      panel = buildPanel(live);
    }
    const added = data.added || {};
    const cover = panel.querySelector(".cart-panel-cover");
    if (added.cover_url) {
      cover.src = added.cover_url;
      cover.hidden = false;
    } else {
      cover.hidden = true;
    }
    const items = data.item_count === 1 ? "1 item" : data.item_count + " items";
    panel.querySelector(".cart-panel-message").textContent = data.message;
    panel.querySelector(".cart-panel-summary").textContent =
      "Your cart: " + items + ", subtotal " + data.subtotal + ".";
    // Announced once through the page's live region, whatever the screen reader does with
    // the dialog itself.
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = data.message + " Your cart: " + items + ", subtotal " + data.subtotal + ".";
    }, 50);
    returnFocusTo = button;
    if (!panel.open) {
      panel.showModal();
    }
    const first = panel.querySelector(".cart-panel-checkout") || panel.querySelector(".cart-panel-view");
    first.focus();
  }

  function showProblem(form, message) {
    let note = form.querySelector(".add-to-cart-error");
    if (!note) {
      note = element("p", "add-to-cart-error");
      note.setAttribute("role", "alert");
      form.append(note);
    }
    note.textContent = message;
  }

  function enhanceAddForm(form, live) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (form.classList.contains("is-busy")) {
        return;
      }
      form.classList.add("is-busy");
      button.setAttribute("aria-disabled", "true");
      let data = null;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        data = await response.json();
      } catch (problem) {
        data = null;
      }
      form.classList.remove("is-busy");
      button.removeAttribute("aria-disabled");
      if (!data) {
        form.submit(); // the plain form: the page reloads with a message
        return;
      }
      if (!data.ok) {
        showProblem(form, data.error);
        return;
      }
      const old = form.querySelector(".add-to-cart-error");
      if (old) {
        old.remove();
      }
      updateCount(data.item_count);
      showAdded(live, data, button);
    });
  }

  // -- Checkout: the gift options show once "This is a gift" is ticked ---------------------

  function giftOptionsFollowTheBox() {
    const box = document.querySelector("[data-gift-toggle]");
    const options = document.querySelector("[data-gift-options]");
    if (!box || !options) {
      return;
    }
    const apply = function () {
      options.hidden = !box.checked;
      box.setAttribute("aria-expanded", box.checked ? "true" : "false");
    };
    apply();
    box.addEventListener("change", apply);
  }

  // "Print this receipt": a button only where the page can print itself.
  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (holder) {
      holder.hidden = false;
      holder.querySelector("button").addEventListener("click", function () {
        window.print();
      });
    });
  }

  // "Share this book": the phone's share sheet with the page's title and address, or, where
  // there is none, the address copied (said in the status beside the button).
  function shareButtons() {
    const canShare = typeof navigator.share === "function";
    const canCopy = Boolean(navigator.clipboard && navigator.clipboard.writeText);
    if (!canShare && !canCopy) {
      return;
    }
    const canonical = document.querySelector("link[rel=canonical]");
    const url = canonical ? canonical.href : window.location.href;
    const heading = document.querySelector("h1");
    const title = heading ? heading.textContent.trim() : document.title;
    document.querySelectorAll("[data-share]").forEach(function (holder) {
      const button = holder.querySelector("button");
      const status = holder.querySelector("[data-share-status]");
      if (!canShare) {
        button.textContent = "Copy this book's link";
      }
      holder.hidden = false;
      button.addEventListener("click", function () {
        if (canShare) {
          navigator.share({ title: title, url: url }).catch(function () {});  // closed: fine
          return;
        }
        navigator.clipboard.writeText(url).then(
          function () { status.textContent = "Link copied."; },
          function () { status.textContent = "Could not copy the link: copy it from the address bar."; }
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    shareButtons();
    printButtons();
    openWhenWide("[data-site-menu]", WIDE);
    openWhenWide("[data-filters]", FILTERS_WIDE);
    openWhenWide("[data-co-summary]", WIDE);
    closeMenuOnEscape();
    giftOptionsFollowTheBox();
    const live = document.querySelector("[data-live-status]");
    if (live && typeof HTMLDialogElement === "function") {
      document.querySelectorAll("form.add-to-cart").forEach(function (form) {
        enhanceAddForm(form, live);
      });
    }
  });
})();
