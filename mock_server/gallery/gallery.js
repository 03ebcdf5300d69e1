// The gallery refreshes itself: every two seconds it fetches the server-rendered list of recent
// calls (/_mock/ui/calls) and swaps it in. All markup (and all escaping) is made on the server;
// this script only fetches, swaps and counts. No external resources, no framework.
"use strict";

(function () {
  const REFRESH_MS = 2000;
  // The page's own token and session go along to the cards (a browser cannot set headers here).
  const page = new URLSearchParams(window.location.search);
  const query = new URLSearchParams();
  for (const name of ["token", "session"]) {
    if (page.get(name)) {
      query.set(name, page.get(name));
    }
  }
  const base = window.location.pathname.replace(/\/+$/, "");
  const url = base + "/calls" + (query.toString() ? "?" + query.toString() : "");
  const calls = document.getElementById("calls");
  const status = document.getElementById("status");
  const pause = document.getElementById("pause");
  let paused = false;
  let refreshes = 0;

  async function refresh() {
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      calls.innerHTML = await response.text();
      refreshes += 1;
      document.body.dataset.refreshes = String(refreshes);
      document.body.dataset.state = "live";
      status.textContent = "live · updated " + new Date().toLocaleTimeString();
    } catch (error) {
      document.body.dataset.state = "error";
      status.textContent = "cannot reach the mock (" + error.message + ")";
    }
  }

  pause.addEventListener("click", function () {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    status.textContent = paused ? "paused" : "live";
  });

  refresh();
  window.setInterval(function () {
    if (!paused) {
      refresh();
    }
  }, REFRESH_MS);
})();
