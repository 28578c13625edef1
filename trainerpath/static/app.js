// trainerpath's own script. Every page works without it; it adds the htmx niceties:
// the CSRF header on htmx requests, short notifications, focus after a swap, and a
// confirmation question for plain forms that carry data-confirm, and upload forms' size
// check and progress bar; and Space on a link drawn as a button.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Flask-WTF reads the token from this header on every unsafe htmx request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  var toastTimer = null;

  function notify(message, kind) {
    var toast = document.getElementById("toast");
    if (!toast || !message) {
      return;
    }
    toast.textContent = message;
    toast.setAttribute("data-kind", kind || "success");
    toast.classList.add("is-visible");
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      toast.classList.remove("is-visible");
    }, 6000);
  }

  // The server names outcomes in an HX-Trigger header: {"notify": {"message": "..."}},
  // a success unless it says {"kind": "error"}.
  document.addEventListener("notify", function (event) {
    var detail = event.detail || {};
    notify(detail.message, detail.kind === "error" ? "error" : "success");
  });

  var FAILURES = {
    403: "You are not allowed to do that.",
    404: "That is no longer there. Reload the page to see the latest.",
    429: "Too many attempts. Please wait a little.",
  };

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    notify(FAILURES[status] || "Something went wrong. Please reload the page and try again.", "error");
  });

  document.addEventListener("htmx:sendError", function () {
    notify("The server could not be reached. Check your connection and try again.", "error");
  });

  // A swap can remove the focused element; put focus somewhere useful in the new content
  // of the part that held it (not in another part swapped meanwhile, such as the bell).
  var heldFocus = null; // the id of the part whose swap is removing the focused element
  var heldItem = null; // the id of the item within it that held the focus, if it has one
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (target && target.id && active && active !== document.body && target.contains(active)) {
      heldFocus = target.id;
      var item = active.closest("[id]");
      heldItem = item && item !== target && target.contains(item) ? item.id : null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id !== heldFocus) {
      return;
    }
    heldFocus = null;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) {
      return;
    }
    var fresh = document.getElementById(target.id);
    var item = heldItem && fresh && fresh.querySelector("#" + CSS.escape(heldItem));
    heldItem = null;
    if (!fresh) {
      return;
    }
    // The item that held it, if it is still there (a notification just marked read);
    // else the part itself, so the next Tab goes on from where the reader was.
    focusOn(
      fresh.querySelector('[aria-invalid="true"]') ||
        fresh.querySelector('[role="alert"], [role="status"]') ||
        item ||
        fresh.querySelector("h2, h3") ||
        fresh
    );
  });

  // Counts a swap redraws (rows found, items waiting) are read out through one live
  // region that is never replaced: a region inserted with its text is seldom announced.
  // Not when the focus moved into the redrawn part, where it is read already.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var fresh = target && target.id ? document.getElementById(target.id) : target;
    var count = fresh && fresh.querySelector("[data-announce]");
    var announcer = document.getElementById("announcer");
    if (!count || !announcer || fresh.contains(document.activeElement)) {
      return;
    }
    var text = count.textContent.replace(/\s+/g, " ").trim();
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  });

  function focusOn(spot) {
    if (!spot.matches("input, select, textarea, button, a")) {
      spot.setAttribute("tabindex", "-1");
    }
    spot.focus();
  }

  // A view may name where focus belongs once its answer has settled, in an
  // HX-Trigger-After-Settle header: {"focus-on": {"id": "..."}} (the card of a pathway
  // just enrolled in, which may be far down the page).
  document.addEventListener("focus-on", function (event) {
    var spot = document.getElementById(event.detail.id);
    if (spot) {
      focusOn(spot);
      spot.scrollIntoView({ block: "start" });
    }
  });

  // Upload forms (data-upload): refuse a file over the limit before sending it (the
  // server refuses it too, but only after the browser has started to send it), and
  // show the upload's progress.
  function uploadError(form, message) {
    var input = form.querySelector('input[type="file"]');
    var field = input && input.closest(".field");
    if (!field) {
      return;
    }
    var error = field.querySelector(".field-error");
    if (!error) {
      error = document.createElement("small");
      error.className = "field-error";
      error.id = input.id + "-error";
      field.appendChild(error);
    }
    // Marked as the server marks its field errors.
    var mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "✗ ";
    error.replaceChildren(mark, document.createTextNode(message));
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", error.id);
    input.focus();
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload")) {
        return;
      }
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      var limit = Number(form.getAttribute("data-max-bytes"));
      var message = null;
      if (!file) {
        message = "Choose a file to attach.";
      } else if (limit && file.size > limit) {
        message = "This file is larger than " + Math.round(limit / 1048576) + " MB, the most a file may be.";
      }
      if (message) {
        event.preventDefault();
        event.stopPropagation();
        uploadError(form, message);
      }
    },
    true
  );

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target instanceof Element ? event.target.closest("form[data-upload]") : null;
    var bar = form && form.querySelector("progress");
    if (bar && event.detail.lengthComputable && event.detail.total > 0) {
      bar.hidden = false;
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });

  // A table wider than its box scrolls inside it: say so (a hint and an edge, in app.css)
  // and make the box a labelled region that the keyboard can scroll.
  function markScrollers() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("data-scrolls", "");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var heading = box.closest("section") && box.closest("section").querySelector("h2");
          box.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "table, scrolls sideways");
        }
      } else if (box.hasAttribute("data-scrolls")) {
        box.removeAttribute("data-scrolls");
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", markScrollers);
  document.addEventListener("htmx:afterSettle", markScrollers);
  window.addEventListener("resize", markScrollers);

  // Login and sign-up tell the server the browser's time zone (kept only if the user has
  // none yet; the Time zone page changes it).
  document.addEventListener("DOMContentLoaded", function () {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      zone = "";
    }
    document.querySelectorAll('input[type="hidden"][name="time_zone"]').forEach(function (field) {
      field.value = zone;
    });
  });

  // A form refused without htmx comes back as a page with its errors: start at the first.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector('main [aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
    }
  });

  // The sticky header's height, for the stylesheet's scroll-padding-top: a card scrolled
  // to (after "Enrol", or by an anchor) is not hidden under it. Where the header does not
  // stick (a short or narrow window), nothing needs to be kept clear.
  function headerHeight() {
    var header = document.querySelector(".site-header");
    if (header) {
      var height = window.getComputedStyle(header).position === "sticky" ? header.offsetHeight : 0;
      document.documentElement.style.setProperty("--tp-header-height", height + "px");
    }
  }
  document.addEventListener("DOMContentLoaded", headerHeight);
  window.addEventListener("resize", headerHeight);

  // Esc closes an open menu (the account menu is a <details>) and gives focus back to it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    document.querySelectorAll("details[open].dropdown, details[open].account-menu").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) {
        summary.focus();
      }
    });
  });

  // A link drawn as a button (role="button", which Pico styles as one) is announced as a
  // button, so people press Space on it as on a button: follow it when Space is released,
  // as a button acts, and do not scroll the page meanwhile. (Enter follows it natively.)
  function isButtonLink(node) {
    return node instanceof HTMLAnchorElement && node.hasAttribute("href") && node.getAttribute("role") === "button";
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === " " && isButtonLink(event.target)) {
      event.preventDefault();
    }
  });

  document.addEventListener("keyup", function (event) {
    if (event.key === " " && isButtonLink(event.target)) {
      event.preventDefault();
      event.target.click(); // htmx answers the click of a link that carries hx-get
    }
  });

  // A filter form answers typing, leaving the box and submitting, so one search can ask
  // for the same address two or three times; each would push a history entry and Back
  // would seem to do nothing. An address the page already shows replaces its entry.
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var update = event.detail.history;
    if (update && update.type === "push" &&
        new URL(update.path, window.location.href).href === window.location.href) {
      update.type = "replace";
    }
  });

  // A part drawn again when something changed elsewhere on the page (data-unless-typing
  // names it) keeps its place while a note is being typed in it: the text would be lost.
  document.addEventListener("htmx:confirm", function (event) {
    var part = event.target.getAttribute && event.target.getAttribute("data-unless-typing");
    var typed = part && document.querySelector(part);
    if (typed && Array.prototype.some.call(typed.querySelectorAll("textarea"), function (box) {
      return box.value.trim() !== "";
    })) {
      event.preventDefault();
    }
  });

  // Plain (non-htmx) forms that need a second thought: deactivate a user, end an assignment.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
          event.stopPropagation();
        }
      }
    },
    true
  );
})();
