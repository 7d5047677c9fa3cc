// @ts-check
// The page's entry point: the access token form and the router of the views in the address's hash.
//   #/instances  #/cameras  #/pipelines  #/logs[/<instance>]  #/view/<camera|pipeline>/<name>
//   #/grid[/<kind>/<name>,...]  #/new/<kind>  #/edit/<kind>/<name>  #/copy/<kind>/<name>
//   #/backgrounds/<camera>

import { setToken, token } from "./api.js";
import { showConfigEditor } from "./config_editor.js";
import { showGrid } from "./grid.js";
import { showBackgrounds, showCameras, showInstances, showLogs, showPipelines } from "./management.js";
import { showInfo } from "./notices.js";
import { showViewer } from "./viewer.js";

/** @typedef {{stop?: () => void}} View */
/** @typedef {(main: HTMLElement, ...parts: any[]) => View} Show */

/** @type {[RegExp, string | null, Show][]} pattern, the navigation link it belongs to, the view */
const ROUTES = [
  [/^\/?$/, "instances", showInstances],
  [/^\/instances$/, "instances", showInstances],
  [/^\/cameras$/, "cameras", showCameras],
  [/^\/pipelines$/, "pipelines", showPipelines],
  [/^\/logs$/, "logs", showLogs],
  [/^\/logs\/(.+)$/, null, showLogs],
  [/^\/grid(?:\/(.*))?$/, "grid", showGrid],
  [/^\/view\/(camera|pipeline)\/(.+)$/, null, showViewer],
  [/^\/new\/(camera|pipeline)$/, null, (main, kind) => showConfigEditor(main, "new", kind)],
  [/^\/edit\/(camera|pipeline)\/(.+)$/, null, (main, kind, name) => showConfigEditor(main, "edit", kind, name)],
  [/^\/copy\/(camera|pipeline)\/(.+)$/, null, (main, kind, name) => showConfigEditor(main, "copy", kind, name)],
  [/^\/backgrounds\/(.+)$/, "cameras", showBackgrounds],
];

const main = document.getElementById("main");
/** @type {View | null} */
let current = null;

function route() {
  const hash = location.hash.replace(/^#/, "");
  const path = hash.startsWith("/grid") ? hash : decodeURIComponent(hash);
  if (current && typeof current.stop === "function") current.stop();
  current = null;
  main.replaceChildren();
  for (const [pattern, page, show] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll("nav a[data-page]")) {
      if (link instanceof HTMLElement && link.dataset.page === page) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    current = show(main, ...match.slice(1));
    const heading = main.querySelector("h2");
    document.title = heading ? `${heading.textContent} – camserver` : "camserver";
    return;
  }
  location.hash = "#/instances";
}

const tokenForm = document.getElementById("token-form");
const tokenInput = /** @type {HTMLInputElement} */ (document.getElementById("token"));
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
