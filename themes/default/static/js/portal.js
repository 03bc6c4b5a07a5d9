// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Move keyboard and screen-reader focus to the error summary after a failed submission.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});

// Session notice (WCAG 2.2.1): warn before the login ends, offer to extend it without leaving
// the page, and say when it has ended. Nothing typed into the page is lost either way.
document.addEventListener("DOMContentLoaded", () => {
  const notice = document.querySelector("[data-session-notice]");
  if (!notice) {
    return;
  }
  const message = notice.querySelector("[data-session-message]");
  const form = notice.querySelector("form");
  const relogin = notice.querySelector("[data-session-login]");
  const warnBefore = Number(notice.dataset.warnBefore) * 1000;
  let deadline = Date.now() + Number(notice.dataset.expiresIn) * 1000;
  let extendable = notice.dataset.extendable === "ja";
  let timer = 0;

  const say = (text) => {
    if (message.textContent !== text) {
      message.textContent = text;
    }
    notice.classList.toggle("is-active", text !== "");
  };
  const tick = () => {
    const left = deadline - Date.now();
    if (left <= 0) {
      form.hidden = true;
      relogin.hidden = false;
      say(notice.dataset.textExpired);
      window.clearInterval(timer);
      return;
    }
    if (left <= warnBefore) {
      const minutes = String(Math.max(1, Math.ceil(left / 60000)));
      form.hidden = !extendable;
      say((extendable ? notice.dataset.textWarn : notice.dataset.textFinal).replace("{minutes}", minutes));
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let data = { expires_in: 0 };
    try {
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "X-CSRFToken": form.elements.namedItem("csrf_token").value,
        },
      });
      if (response.ok) {
        data = await response.json();
      }
    } catch (error) {
      data = { expires_in: 0 };
    }
    deadline = Date.now() + data.expires_in * 1000;
    extendable = Boolean(data.extendable);
    form.hidden = true;
    say(data.expires_in > 0 ? notice.dataset.textExtended : "");
    tick();
    window.setTimeout(() => {
      if (message.textContent === notice.dataset.textExtended) {
        say("");
      }
    }, 8000);
  });

  timer = window.setInterval(tick, 5000);
  tick();
});
