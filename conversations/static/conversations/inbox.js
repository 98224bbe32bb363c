// The inbox keeps itself current: every few seconds it asks the pulse endpoint (counts and a
// version, no patient data) whether anything changed; the count waiting for staff goes in the
// page title, and when the version changes the page fetches its own address again and swaps in
// the fresh rows. A file, not inline code: the Content-Security-Policy allows scripts from this
// site only.
"use strict";
(() => {
  const COUNT_PREFIX = /^\(\d+\) /;
  // Requests the page makes by itself, not its user: they do not renew the session, so the
  // idle logoff still ends it (security.sessions).
  const BACKGROUND = { "X-Console-Background": "1" };
  const STYLE_BLOCKS = /<style[\s\S]*?<\/style>/gi;
  const SWAPPED = ["#result_list", ".action-counter", ".paginator", "#changelist-filter"];

  function titled(waiting) {
    const base = document.title.replace(COUNT_PREFIX, "");
    document.title = waiting > 0 ? `(${waiting}) ${base}` : base;
  }

  // Rows a staff member ticked for an action stay as they are: then the page only says that
  // there is news, with a link to show it.
  function busy() {
    return document.querySelector("#result_list input.action-select:checked") !== null;
  }

  async function rowsRefresh() {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: BACKGROUND,
    });
    if (!response.ok || response.redirected) {
      return false;
    }
    // The fresh page's <style> blocks carry that response's nonce, not this page's: parsed,
    // they would trip the Content-Security-Policy. Only rows are wanted from it.
    const html = (await response.text()).replace(STYLE_BLOCKS, "");
    const fresh = new DOMParser().parseFromString(html, "text/html");
    for (const selector of SWAPPED) {
      const now = document.querySelector(selector);
      const then = fresh.querySelector(selector);
      if (now && then) {
        now.replaceWith(document.importNode(then, true));
      }
    }
    // Django's action checkboxes listen on each box: the new rows need their listeners.
    if (window.Actions) {
      window.Actions(document.querySelectorAll("tr input.action-select"));
    }
    return true;
  }

  async function poll(pulse, news) {
    let response;
    try {
      response = await fetch(pulse.dataset.url, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", ...BACKGROUND },
      });
    } catch {
      return true; // offline for a moment: try again at the next beat
    }
    // Signed out (the idle logoff): the admin answers with its sign-in page. Show it, rather
    // than the rows, on a screen nobody is watching.
    if (response.redirected) {
      window.location.reload();
      return false;
    }
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) {
      return false; // no longer allowed: stop asking
    }
    const { waiting, version } = await response.json();
    titled(waiting);
    if (version !== pulse.dataset.version) {
      if (busy()) {
        news.hidden = false;
      } else if (await rowsRefresh()) {
        pulse.dataset.version = version;
        news.hidden = true;
      }
    }
    return true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const pulse = document.getElementById("inbox-pulse");
    const news = document.getElementById("inbox-news");
    if (!pulse || !news) {
      return;
    }
    const every = Number(pulse.dataset.every) || 5000;
    const beat = async () => {
      if (await poll(pulse, news)) {
        window.setTimeout(beat, every);
      }
    };
    window.setTimeout(beat, every);
  });
})();
