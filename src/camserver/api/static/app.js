// The page's entry point: the access token form and the router of the views in the address's hash.
//   #/instances  #/cameras  #/pipelines  #/logs[/<instance>]  #/view/<camera|pipeline>/<name>

import { setToken, token } from "./api.js";
import { showCameras, showInstances, showLogs, showPipelines } from "./management.js";
import { showInfo } from "./notices.js";
import { showViewer } from "./viewer.js";

const ROUTES = [
  [/^\/?$/, "instances", () => showInstances],
  [/^\/instances$/, "instances", () => showInstances],
  [/^\/cameras$/, "cameras", () => showCameras],
  [/^\/pipelines$/, "pipelines", () => showPipelines],
  [/^\/logs(?:\/(.+))?$/, "logs", () => showLogs],
  [/^\/view\/(camera|pipeline)\/(.+)$/, null, () => showViewer],
];

const main = document.getElementById("main");
let current = null;

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, ""));
  if (current && typeof current.stop === "function") current.stop();
  current = null;
  main.replaceChildren();
  for (const [pattern, page, view] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const shown = page === "logs" && match[1] ? null : page; // an instance's log is not the server log
    for (const link of document.querySelectorAll("nav a[data-page]")) {
      if (link.dataset.page === shown) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    current = view()(main, ...match.slice(1));
    const heading = main.querySelector("h2");
    document.title = heading ? `${heading.textContent} – camserver` : "camserver";
    return;
  }
  location.hash = "#/instances";
}

const tokenForm = document.getElementById("token-form");
const tokenInput = document.getElementById("token");
tokenInput.value = token();
tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  setToken(tokenInput.value.trim());
  showInfo(tokenInput.value.trim() ? "The token will be sent with every change." : "No token is sent.");
});

window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
});
route();
