// @ts-check
// Side by side: a grid of live views (cameras and pipelines), each at its own frame rate. The
// views are in the address (#/grid/camera/a,pipeline/b), so a grid can be bookmarked. Each view
// asks for pictures no larger than its cell and follows no channels, which keeps the server's
// cost per view small (see docs/how-to/web-viewer.md for the measured budget).

import { api } from "./api.js";
import { FRAME_RATES } from "./controls.js";
import { el, figure, setText } from "./dom.js";
import { drawOverlays, sizeCanvas } from "./drawing.js";
import { ViewerFeed } from "./feed.js";
import { showError } from "./notices.js";

/** @typedef {{kind: "camera" | "pipeline", name: string}} ViewName */

const DEFAULT_FPS = 5;
const MAX_VIEWS = 9;

/** @param {string} text "camera/a,pipeline/b" @returns {ViewName[]} */
function parseViews(text) {
  return (text || "").split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const [kind, ...rest] = part.split("/");
    /** @type {ViewName} */
    const view = { kind: kind === "pipeline" ? "pipeline" : "camera", name: decodeURIComponent(rest.join("/")) };
    return view;
  }).filter((view) => view.name).slice(0, MAX_VIEWS);
}

/** @param {ViewName[]} views */
function gridHash(views) {
  return `#/grid/${views.map((view) => `${view.kind}/${encodeURIComponent(view.name)}`).join(",")}`;
}

/**
 * One cell of the grid.
 * @param {ViewName} view
 * @param {number} index
 * @param {() => void} remove
 * @param {() => {width: number, height: number}} room the CSS pixels a picture may take
 */
function createCell(view, index, remove, room) {
  const picture = el("canvas", { class: "picture", width: 1, height: 1, "aria-hidden": "true" });
  const overlay = el("canvas", { class: "overlay", role: "img", "aria-label": `Live image of ${view.kind} ${view.name}` });
  const frameBox = el("div", { class: "image-box" }, picture, overlay);
  const state = el("span", { class: "badge" }, "connecting…");
  const fps = el("select", { id: `grid-fps-${index}` },
    FRAME_RATES.map((rate) => el("option", { value: rate, selected: rate === DEFAULT_FPS }, `${rate} / s`)));
  const figures = el("p", { class: "grid-figures mono" }, "–");
  const cell = el("section", { class: "grid-cell", "aria-label": `${view.kind} ${view.name}`, dataset: { frames: "0" } },
    el("div", { class: "grid-head" },
      el("a", { href: `#/view/${view.kind}/${encodeURIComponent(view.name)}`, class: "mono" }, `${view.kind} ${view.name}`),
      state,
      el("label", { for: fps.id, class: "inline" }, "Rate", fps),
      el("button", { type: "button", "aria-label": `Remove ${view.kind} ${view.name} from the grid`, onclick: remove }, "Remove")),
    el("div", { class: "grid-stage" }, frameBox), figures);

  const ratio = window.devicePixelRatio || 1;
  const initial = room();
  const feed = new ViewerFeed(view.kind, view.name, {
    fps: DEFAULT_FPS,
    history: "none",
    max_width: Math.min(1280, Math.max(16, Math.round(initial.width * ratio))),
    max_height: Math.min(1280, Math.max(16, Math.round(initial.height * ratio))),
  }, {
    frame: (meta, bitmap) => {
      if (picture.width !== bitmap.width || picture.height !== bitmap.height) {
        picture.width = bitmap.width;
        picture.height = bitmap.height;
      }
      picture.getContext("2d").drawImage(bitmap, 0, 0);
      const space = room();
      const scale = Math.min(space.width / meta.view.width, space.height / meta.view.height);
      const width = Math.max(1, Math.round(meta.view.width * scale));
      const height = Math.max(1, Math.round(meta.view.height * scale));
      picture.style.width = `${width}px`;
      picture.style.height = `${height}px`;
      sizeCanvas(overlay, width, height);
      drawOverlays(overlay, meta, view.kind === "pipeline" ? { centerOfMass: true, fit: true, goodRegion: true, slices: false } : null);
      const s = meta.scalars;
      const unit = meta.axes.x.calibrated ? meta.axes.x.unit : "px";
      setText(figures, view.kind === "pipeline"
        ? `com ${figure(s.x_center_of_mass, 4)}, ${figure(s.y_center_of_mass, 4)} ${unit} · σ ${figure(s.x_fit_standard_deviation, 3)}, ${figure(s.y_fit_standard_deviation, 3)} ${unit} · ${figure(meta.statistics.fps, 2)} / s`
        : `levels ${figure(meta.levels.min, 4)}–${figure(meta.levels.max, 4)} · ${meta.image.width} × ${meta.image.height} · ${figure(meta.statistics.fps, 2)} / s`);
      cell.dataset.frames = String(feed.framesDrawn);
    },
    error: (message) => {
      setText(figures, message.status);
      figures.classList.add("reason");
    },
    state: (value, code) => {
      setText(state, value === "refused" ? (code === 4404 ? "missing" : "closed") : value);
      state.className = `badge ${value === "live" ? "state-running" : value === "refused" ? "state-failed" : ""}`;
    },
  });
  fps.addEventListener("change", () => feed.update({ fps: Number(fps.value) }));
  return { cell, feed };
}

/**
 * @param {HTMLElement} main
 * @param {string} [list] "camera/a,pipeline/b"
 */
export function showGrid(main, list) {
  const views = parseViews(list || "");
  const choice = el("select", { id: "grid-add" });
  const add = el("button", { type: "submit", class: "primary" }, "Add view");
  const form = el("form", { class: "toolbar" }, el("div", { class: "field" }, el("label", { for: "grid-add" }, "Camera or pipeline"), choice), add);
  const columns = Math.min(3, Math.max(1, Math.ceil(Math.sqrt(views.length))));
  const rows = Math.max(1, Math.ceil(views.length / columns));
  const cells = el("div", { class: `grid-views grid-${columns}`, id: "grid-views" });
  main.append(el("h2", {}, "Side by side"),
    el("p", { class: "muted" }, `Up to ${MAX_VIEWS} live views, each at its own rate; the address keeps the list, so a grid can be bookmarked.`),
    form, cells);
  /** Each picture fits its cell's width, and all rows fit the window's height where they can. */
  const room = () => {
    const width = Math.max(160, Math.round((cells.clientWidth - (columns - 1) * 13) / columns - 16));
    const top = cells.getBoundingClientRect().top + window.scrollY;
    const height = Math.max(120, Math.round((window.innerHeight - top - 16) / rows - 78));
    return { width, height: Math.min(height, Math.round(width * 0.9)) };
  };
  const open = views.map((view, index) => {
    const made = createCell(view, index, () => {
      location.hash = gridHash(views.filter((_, other) => other !== index));
    }, room);
    cells.append(made.cell);
    return made;
  });
  for (const { feed } of open) feed.connect();
  if (!views.length) cells.append(el("p", { class: "muted" }, "No view yet: add one above."));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!choice.value || views.length >= MAX_VIEWS) return;
    const [kind, ...rest] = choice.value.split("/");
    location.hash = gridHash([...views, { kind: kind === "pipeline" ? "pipeline" : "camera", name: rest.join("/") }]);
  });
  Promise.all([api.cameras(), api.pipelines(), api.instances()]).then(([cameras, pipelines, instances]) => {
    const pipelineNames = new Set(pipelines.pipelines);
    for (const item of instances.instances) if (item.kind === "pipeline" && item.active) pipelineNames.add(item.instance_id);
    choice.replaceChildren(
      el("optgroup", { label: "Cameras" }, cameras.cameras.map((/** @type {string} */ name) => el("option", { value: `camera/${name}` }, name))),
      el("optgroup", { label: "Pipelines" }, [...pipelineNames].sort().map((name) => el("option", { value: `pipeline/${name}` }, name))));
  }).catch((error) => showError("Could not list the cameras and pipelines", error));
  return {
    stop() {
      for (const { feed } of open) feed.stop();
    },
  };
}
