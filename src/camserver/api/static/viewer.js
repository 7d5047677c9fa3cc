// @ts-check
// The live viewer of one camera or pipeline instance: the image with axes, colour bar, overlays
// and profiles; the key figures beside it; the display controls; strip charts of its channels
// below; for a pipeline, the form that changes the running instance.

import { api, restartInstance, stopInstance } from "./api.js";
import { createStripCharts } from "./charts.js";
import { createControls } from "./controls.js";
import { confirmAction, drops, el, figure, setText, syncRows } from "./dom.js";
import { OVERLAY_COLOURS, drawAxes, drawColourBar, drawOverlays, drawProfile, drawRubberBand, sizeCanvas } from "./drawing.js";
import { ViewerFeed } from "./feed.js";
import { attempt, clearError, showError, showInfo } from "./notices.js";
import { createPipelineEditor } from "./pipeline_editor.js";

/** @typedef {import("./messages.js").FrameMessage} FrameMessage */
/** @typedef {import("./messages.js").Statistics} Statistics */

const MIN_DRAG = 4; // CSS pixels a drag must span to count as a rectangle
const X_PROFILE_HEIGHT = 80;
const Y_PROFILE_WIDTH = 96;
const AXIS_LEFT = 58; // room for the y axis's labels
const AXIS_BOTTOM = 36; // room for the x axis's labels
const AXIS_TOP = 8; // room for the top tick's label
const COLOUR_BAR_WIDTH = 74;
const PIXEL_BLOCK = 16; // raw values fetched around the cursor
const FOLLOW_SIGMAS = 4; // half the followed region, in fit sigmas
const DEFAULT_HISTORY = ["x_center_of_mass", "y_center_of_mass", "x_fit_mean", "y_fit_mean",
  "x_fit_standard_deviation", "y_fit_standard_deviation", "intensity"];

/** The figures a physicist reads, by channel, with how to label them. */
const KEY_FIGURES = [
  ["x_center_of_mass", "Centre of mass x", "unit"], ["y_center_of_mass", "Centre of mass y", "unit"],
  ["x_fit_mean", "Fit mean x", "unit"], ["y_fit_mean", "Fit mean y", "unit"],
  ["x_fit_standard_deviation", "Fit σ x", "unit"], ["y_fit_standard_deviation", "Fit σ y", "unit"],
  ["intensity", "Intensity", ""], ["max_value", "Maximum pixel", ""],
];

/**
 * A scalar channel's value for people (timestamps as local time).
 * @param {string} channel
 * @param {unknown} value
 */
function channelText(channel, value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  if (channel === "timestamp" && value > 1e9) {
    const when = new Date(value * 1000);
    return `${when.toLocaleTimeString("en-GB")}.${String(when.getMilliseconds()).padStart(3, "0")}`;
  }
  return figure(value, 6);
}

/**
 * @param {HTMLElement} main
 * @param {"camera" | "pipeline"} kind
 * @param {string} name
 */
export function showViewer(main, kind, name) {
  const isPipeline = kind === "pipeline";
  const title = `${isPipeline ? "Pipeline" : "Camera"} ${name}`;
  /** @type {FrameMessage | null} the frame on screen */
  let frame = null;
  /** @type {{start: {x: number, y: number}, end: {x: number, y: number}, moved: boolean, mode: string} | null} */
  let drag = null;
  let cssSize = { width: 0, height: 0 };
  /** @type {[number, number, number, number] | null} */
  let zoom = null;
  /** @type {import("./messages.js").PixelsMessage | null} */
  let pixelBlock = null;
  let pixelAsked = false;
  /** @type {{x: number, y: number} | null} the cursor over the image, in CSS pixels */
  let cursor = null;
  let instanceRunning = false;
  let colourTables = /** @type {Record<string, string[]>} */ ({});

  // -- head ---------------------------------------------------------------------------------
  const state = el("span", { class: "badge", id: "viewer-state", role: "status" }, "connecting…");
  const reconnect = el("button", { type: "button", hidden: true, onclick: () => feed.connect() }, "Reconnect");
  const restart = el("button", { type: "button", id: "restart-instance", disabled: true, onclick: () => restartThis() }, "Restart");
  const stopButton = el("button", { type: "button", class: "danger", id: "stop-instance", disabled: true, onclick: () => stopThis() }, "Stop instance");
  const head = el("div", { class: "viewer-head" }, el("h2", {}, title), state, reconnect,
    el("a", { href: `#/logs/${encodeURIComponent(name)}` }, "Instance log"),
    el("a", { href: `#/grid/${kind}/${encodeURIComponent(name)}` }, "Open in a grid"), restart, stopButton);

  // -- stage --------------------------------------------------------------------------------
  const picture = el("canvas", { class: "picture", width: 1, height: 1, "aria-hidden": "true" });
  const overlay = el("canvas", { class: "overlay", tabindex: 0, role: "img",
    "aria-label": `Live image of ${kind} ${name}`, "aria-describedby": "image-help" });
  const axes = el("canvas", { class: "axes", id: "image-axes", "aria-hidden": "true" });
  const box = el("div", { class: "image-box" }, picture, overlay);
  const plot = el("div", { class: "plot" }, axes, box);
  const colourBar = el("canvas", { class: "colour-bar", id: "colour-bar", role: "img", "aria-label": "Colour bar" });
  const xProfile = el("canvas", { class: "x-profile", "aria-hidden": "true" });
  const yProfile = el("canvas", { class: "y-profile", "aria-hidden": "true" });
  const waiting = el("p", { class: "waiting", id: "viewer-waiting" }, "Waiting for the first frame…");
  const grid = el("div", { class: "stage-grid", hidden: true }, plot, yProfile, colourBar, xProfile);
  const readout = el("p", { class: "readout", id: "readout", "aria-live": "off" }, " ");
  const help = el("p", { class: "readout", id: "image-help" },
    "Drag to zoom (or to draw the ROI, see Mouse); wheel zooms. Focused: + and − zoom, arrows move, 0 whole image.");
  const stage = el("div", { class: "stage" }, waiting, grid, readout, help);

  // -- key figures ----------------------------------------------------------------------------
  /** @type {Record<string, HTMLElement>} */
  const keys = {};
  const keyList = el("dl", { class: "key-figures", id: "key-figures" });
  const keyRows = [...(isPipeline ? KEY_FIGURES : []), ["pulse", "Pulse id", ""], ["fps", "Frames shown", ""], ["levels", "Levels", ""]];
  for (const [key, label] of keyRows) {
    keys[key] = el("dd", { id: `key-${key}` }, "–");
    keyList.append(el("dt", {}, label), keys[key]);
  }
  const keyPanel = el("section", { class: "panel key-panel", "aria-labelledby": "key-heading" },
    el("h3", { id: "key-heading" }, "Key figures"), keyList);

  // -- figures --------------------------------------------------------------------------------
  /** @type {Record<string, HTMLElement>} */
  const figures = {};
  const figureList = el("dl", { class: "figures", id: "viewer-figures" });
  for (const [key, label] of [
    ["frames", "Frames drawn"], ["latency", "Latency"], ["stream", "Stream rate"],
    ["skipped", "Skipped here"], ["gaps", "Gaps in stream"], ["drops", "Instance drops in / out"],
    ["feed", "Feed"], ["instance", "Instance"], ["node", "Node"], ["image", "Image"], ["shown", "Shown"],
    ["levels", "Levels"],
  ]) {
    figures[key] = el("dd", { id: `stat-${key}` }, "–");
    figureList.append(el("dt", {}, label), figures[key]);
  }
  const statistics = el("details", { class: "panel" }, el("summary", {}, "Stream figures"), figureList);

  const scalarBody = el("tbody");
  const scalars = el("details", { class: "panel" },
    el("summary", {}, "Channels"),
    el("div", { class: "scalars" }, el("table", { id: "scalars" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Channel"), el("th", { scope: "col", class: "number" }, "Value"))),
      scalarBody)));
  const parameters = el("pre", { class: "block", id: "processing-parameters" }, "–");
  const parametersPanel = el("details", { class: "panel" }, el("summary", {}, "processing_parameters"), parameters);

  const controls = createControls({ isPipeline, fps: 10, colormap: "rainbow" }, {
    settings: (changes) => {
      if ("zoom" in changes) zoom = /** @type {any} */ (changes.zoom);
      feed.update(changes);
    },
    zoomBy: (factor) => {
      controls.stopFollowing();
      zoomBy(factor);
    },
    wholeImage: () => setZoom(null),
    redraw: () => paint(),
    problem: (words) => showError("Contrast not changed", new Error(words)),
  });
  const editor = isPipeline ? createPipelineEditor(name) : null;
  const charts = createStripCharts({
    title: `History of ${kind} ${name}`,
    channels: DEFAULT_HISTORY,
    maxChannels: 16,
    onChannels: (channels) => feed.update({ history: channels }),
  });
  const side = el("div", { class: "side" }, keyPanel, controls.element, statistics,
    editor ? editor.element : "", parametersPanel, scalars);
  main.append(el("section", { class: "viewer", "aria-label": `Viewer of ${kind} ${name}` }, head,
    el("div", { class: "viewer-body" }, el("div", { class: "viewer-main" }, stage, charts.element), side)));

  const feed = new ViewerFeed(kind, name, { fps: 10, colormap: "rainbow", history: DEFAULT_HISTORY }, {
    frame: drawFrame,
    status: (message) => showFigures(message.statistics, null),
    pixels: (message) => {
      pixelAsked = false;
      pixelBlock = message;
      showReadout();
    },
    error: (message) => {
      const what = feed.framesDrawn ? `The viewer of ${kind} ${name} reports` : `Cannot view ${kind} ${name}`;
      showError(what, { describe: () => `${message.status} (${message.code ? `HTTP ${message.code}, ` : ""}${message.error})` });
      if (message.code === 404 && !feed.framesDrawn) showMissing(message.status);
    },
    state: (value, code) => {
      if (value === "connecting") setState("connecting…");
      else if (value === "retrying") setState("disconnected; retrying…", "restarting");
      else if (value === "refused") {
        setState(code === 4404 ? "missing" : "closed", "failed");
        reconnect.hidden = code === 4404;
      }
    },
  });

  /** @param {string} words */
  function showMissing(words) {
    setText(waiting, `${words} There is nothing to show.`);
    waiting.classList.add("missing");
    grid.hidden = true;
    charts.element.hidden = true;
    controls.element.hidden = true;
    help.hidden = true;
    instanceRunning = false;
    stopButton.disabled = restart.disabled = true;
  }

  async function stopThis() {
    if (!(await confirmAction(`Stop ${kind} ${name}? Its clients lose the stream.`, "Stop"))) return;
    const done = await attempt(`Could not stop ${kind} ${name}`, () => stopInstance(kind, name));
    if (done) showInfo(`Stopped ${kind} ${name}. Reconnect to start it again.`);
  }

  async function restartThis() {
    if (!(await confirmAction(`Restart ${kind} ${name}? Its stream pauses while it starts again.`, "Restart"))) return;
    restart.disabled = true;
    const done = await attempt(`Could not restart ${kind} ${name}`, async () => {
      // as the list of instances knows it: a pipeline restarts from its saved config if it has one
      const listed = (await api.instances()).instances.find((/** @type {any} */ item) => item.kind === kind && item.instance_id === name);
      return restartInstance(kind, name, listed || {});
    });
    if (done) showInfo(`Restarted ${kind} ${name}.`);
    feed.connect();
  }

  // -- zoom -----------------------------------------------------------------------------------
  /** @param {[number, number, number, number] | null} region */
  function setZoom(region) {
    zoom = region;
    feed.update({ zoom: region });
  }

  function currentView() {
    return frame ? frame.view : null;
  }

  /** Zoom by `factor` (< 1: in) around the image point (cx, cy), by default the view's centre.
   * @param {number} factor @param {number} [cx] @param {number} [cy] */
  function zoomBy(factor, cx, cy) {
    const view = currentView();
    if (!frame || !view) return;
    const image = frame.image;
    const width = Math.min(image.width, Math.max(4, Math.round(view.width * factor)));
    const height = Math.min(image.height, Math.max(4, Math.round(view.height * factor)));
    if (width >= image.width && height >= image.height) {
      setZoom(null);
      return;
    }
    const centreX = cx ?? view.x + view.width / 2;
    const centreY = cy ?? view.y + view.height / 2;
    const x = Math.min(Math.max(0, Math.round(centreX - width / 2)), image.width - width);
    const y = Math.min(Math.max(0, Math.round(centreY - height / 2)), image.height - height);
    setZoom([x, y, width, height]);
  }

  /** @param {number} dx @param {number} dy */
  function pan(dx, dy) {
    if (!frame || !zoom) return;
    const [x, y, width, height] = zoom;
    const nx = Math.min(Math.max(0, x + Math.round(dx * width)), frame.image.width - width);
    const ny = Math.min(Math.max(0, y + Math.round(dy * height)), frame.image.height - height);
    setZoom([nx, ny, width, height]);
  }

  /** Follow the beam: the region around the fit (±4 σ), else the good region, else the centre of
   * mass; the zoom changes only when the beam moved or changed size noticeably.
   * @param {FrameMessage} meta */
  function follow(meta) {
    const overlays = meta.overlays;
    const image = meta.image;
    let target = null;
    const fit = overlays.fit || overlays.good_region_fit;
    if (fit && fit.sigma_x && fit.sigma_y) {
      const halfX = Math.max(16, FOLLOW_SIGMAS * fit.sigma_x);
      const halfY = Math.max(16, FOLLOW_SIGMAS * fit.sigma_y);
      target = [fit.x - halfX, fit.y - halfY, 2 * halfX, 2 * halfY];
    } else if (overlays.good_region) {
      const region = overlays.good_region;
      const w = region.x1 - region.x0;
      const h = region.y1 - region.y0;
      target = [region.x0 - w / 4, region.y0 - h / 4, w * 1.5, h * 1.5];
    } else if (overlays.center_of_mass) {
      target = [overlays.center_of_mass.x - 64, overlays.center_of_mass.y - 64, 128, 128];
    }
    if (!target) return;
    let [x, y, w, h] = target.map(Math.round);
    w = Math.min(image.width, Math.max(8, w));
    h = Math.min(image.height, Math.max(8, h));
    x = Math.min(Math.max(0, x), image.width - w);
    y = Math.min(Math.max(0, y), image.height - h);
    const view = meta.view;
    const moved = Math.abs(x + w / 2 - (view.x + view.width / 2)) > view.width * 0.1
      || Math.abs(y + h / 2 - (view.y + view.height / 2)) > view.height * 0.1;
    const resized = Math.abs(w / view.width - 1) > 0.2 || Math.abs(h / view.height - 1) > 0.2;
    if (moved || resized) setZoom([x, y, w, h]);
  }

  // -- drawing --------------------------------------------------------------------------------
  /** @param {FrameMessage} meta @param {ImageBitmap} bitmap */
  function drawFrame(meta, bitmap) {
    if (picture.width !== bitmap.width || picture.height !== bitmap.height) {
      picture.width = bitmap.width;
      picture.height = bitmap.height;
    }
    picture.getContext("2d").drawImage(bitmap, 0, 0);
    frame = meta;
    if (pixelBlock && pixelBlock.seq !== meta.seq) pixelBlock = null;
    waiting.hidden = true;
    grid.hidden = false;
    layout();
    paint();
    showFrame(meta);
    charts.add(meta.history, meta.scalars);
    controls.showFrame(meta);
    setState("live", "running");
    if (cursor) askPixels();
    if (controls.following()) follow(meta);
  }

  function layout() {
    if (!frame) return;
    const view = frame.view;
    const available = Math.max(160, stage.clientWidth - AXIS_LEFT - Y_PROFILE_WIDTH - COLOUR_BAR_WIDTH - 40);
    const top = stage.getBoundingClientRect().top + window.scrollY;
    const tallest = Math.max(200, window.innerHeight - top - X_PROFILE_HEIGHT - AXIS_TOP - AXIS_BOTTOM - 60);
    const scale = Math.min(available / view.width, tallest / view.height);
    const width = Math.max(1, Math.round(view.width * scale));
    const height = Math.max(1, Math.round(view.height * scale));
    if (width === cssSize.width && height === cssSize.height) return;
    cssSize = { width, height };
    picture.style.width = `${width}px`;
    picture.style.height = `${height}px`;
    sizeCanvas(overlay, width, height);
    sizeCanvas(axes, width + AXIS_LEFT, height + AXIS_TOP + AXIS_BOTTOM);
    box.style.left = `${AXIS_LEFT}px`;
    box.style.top = `${AXIS_TOP}px`;
    plot.style.width = `${width + AXIS_LEFT}px`;
    plot.style.height = `${height + AXIS_TOP + AXIS_BOTTOM}px`;
    sizeCanvas(xProfile, width, X_PROFILE_HEIGHT);
    xProfile.style.marginLeft = `${AXIS_LEFT}px`;
    sizeCanvas(yProfile, Y_PROFILE_WIDTH, height);
    yProfile.style.marginTop = `${AXIS_TOP}px`;
    sizeCanvas(colourBar, COLOUR_BAR_WIDTH, height);
    colourBar.style.marginTop = `${AXIS_TOP}px`;
  }

  function paint() {
    if (!frame) return;
    drawOverlays(overlay, frame, isPipeline ? controls.overlays() : null);
    drawAxes(axes, { left: AXIS_LEFT, top: AXIS_TOP, width: cssSize.width, height: cssSize.height }, frame.axes, frame.view, controls.calibrated());
    drawColourBar(colourBar, colourTables[frame.colormap] || [], frame.levels.min, frame.levels.max);
    colourBar.dataset.low = String(frame.levels.min);
    colourBar.dataset.high = String(frame.levels.max);
    const shown = controls.profiles();
    xProfile.hidden = yProfile.hidden = !shown;
    if (shown) {
      drawProfile(xProfile, frame.profiles.x, frame.view, "x");
      drawProfile(yProfile, frame.profiles.y, frame.view, "y");
    }
    if (drag && drag.moved) {
      const ratio = overlay.width / cssSize.width;
      const rect = dragRect(drag);
      drawRubberBand(overlay, { x: rect.x * ratio, y: rect.y * ratio, width: rect.width * ratio, height: rect.height * ratio },
        drag.mode === "roi" ? OVERLAY_COLOURS.roi : "#ffffff");
    }
  }

  /** @param {FrameMessage} meta */
  function showFrame(meta) {
    const image = meta.image;
    const view = meta.view;
    const unit = meta.axes.x.calibrated ? meta.axes.x.unit : "px";
    for (const [key, , kindOfUnit] of KEY_FIGURES) {
      if (!keys[key]) continue;
      const value = meta.scalars[key];
      setText(keys[key], value === undefined ? "–" : `${figure(value, 5)}${kindOfUnit && typeof value === "number" ? ` ${unit}` : ""}`);
    }
    setText(keys.pulse, meta.pulse_id);
    setText(keys.levels, `${figure(meta.levels.min, 5)} – ${figure(meta.levels.max, 5)}${meta.levels.auto ? " (auto)" : ""}`);
    setText(figures.frames, feed.framesDrawn);
    setText(figures.image, `${image.width} × ${image.height} ${image.dtype}`);
    setText(figures.shown, `${view.width} × ${view.height} from (${view.x}, ${view.y})` + (view.step > 1 ? `, decimated by ${view.step}` : ""));
    setText(figures.levels, `${figure(meta.levels.min, 5)} – ${figure(meta.levels.max, 5)}${meta.levels.auto ? ` (auto, ${meta.levels.low_percentile}–${meta.levels.high_percentile} %)` : ""}`);
    showFigures(meta.statistics, meta);
    syncRows(scalarBody, Object.entries(meta.scalars), {
      key: ([channel]) => channel,
      create: ([channel]) => el("tr", {}, el("td", { class: "mono" }, channel), el("td", { class: "number" })),
      update: (row, [channel, value]) => setText(row.children[1], channelText(channel, value)),
    });
    setText(parameters, meta.processing_parameters ? JSON.stringify(meta.processing_parameters, null, 2) : "This stream sends no processing_parameters.");
  }

  /** @param {Statistics} numbers @param {FrameMessage | null} meta */
  function showFigures(numbers, meta) {
    if (!numbers) return;
    const feedFigures = numbers.feed || {};
    const instance = feedFigures.instance;
    setText(keys.fps, `${figure(numbers.fps)} of ${numbers.requested_fps} / s`);
    setText(figures.latency, numbers.latency_ms === null ? "–" : `${figure(numbers.latency_ms)} ms`);
    setText(figures.stream, instance ? `${figure(instance.rate)} Hz` : "–");
    setText(figures.skipped, numbers.skipped);
    setText(figures.gaps, feedFigures.missed_pulses ?? "–");
    setText(figures.drops, instance ? drops(instance) : "–");
    setText(figures.feed, `${feedFigures.mode || "–"}, ${feedFigures.watchers ?? 0} browser(s)`);
    setText(figures.node, instance?.node || "–");
    const silent = feedFigures.silent_for;
    let condition = instance ? instance.state + (instance.reason ? ` (${instance.reason})` : "") : "not running";
    if (!meta && silent !== null && silent > 2) condition += `; no frame for ${figure(silent, 2)} s`;
    if (feedFigures.error) condition += `; ${feedFigures.error}`;
    setText(figures.instance, condition);
    instanceRunning = Boolean(instance && (instance.state === "running" || instance.state === "starting"));
    stopButton.disabled = !instanceRunning;
    restart.disabled = !instance;
    if (!meta) {
      if (!instance && feed.framesDrawn) setState("instance stopped", "stopped");
      else if (silent !== null && silent > 2) setState(`no frames for ${Math.round(silent)} s`, "stopping");
      else if (feed.framesDrawn === 0 && instance) setState(`instance ${instance.state}, waiting for frames`);
      reconnect.hidden = instanceRunning;
    } else {
      reconnect.hidden = true;
      clearError(`The viewer of ${kind} ${name} reports`);
    }
  }

  /** @param {string} text @param {string} [look] */
  function setState(text, look = "") {
    setText(state, text);
    state.className = `badge ${look ? `state-${look}` : ""}`;
  }

  // -- pixel values under the cursor ------------------------------------------------------------
  function cursorPixel() {
    if (!frame || !cursor) return null;
    const at = toImage(cursor);
    return { x: Math.floor(at.x), y: Math.floor(at.y) };
  }

  function askPixels() {
    const at = cursorPixel();
    if (!frame || !at || pixelAsked) return;
    const held = pixelBlock && pixelBlock.seq === frame.seq && at.x >= pixelBlock.x && at.x < pixelBlock.x + pixelBlock.width
      && at.y >= pixelBlock.y && at.y < pixelBlock.y + pixelBlock.height;
    if (held) return;
    pixelAsked = true;
    feed.requestPixels({ seq: frame.seq, x: Math.max(0, at.x - PIXEL_BLOCK / 2), y: Math.max(0, at.y - PIXEL_BLOCK / 2), width: PIXEL_BLOCK, height: PIXEL_BLOCK });
    setTimeout(() => { pixelAsked = false; }, 1000); // a lost answer does not block the readout
  }

  /** @param {number} pixel @param {import("./messages.js").AxisMessage} axis @param {number} size */
  function inUnits(pixel, axis, size) {
    if (!axis.calibrated || !frame) return "";
    const view = axis === frame.axes.x ? frame.view.x : frame.view.y;
    const length = axis === frame.axes.x ? frame.view.width : frame.view.height;
    const value = axis.start + ((pixel + 0.5 - view) / length) * (axis.end - axis.start);
    return size ? ` (${figure(value, 4)} ${axis.unit})` : "";
  }

  function showReadout() {
    const at = cursorPixel();
    if (!frame || !at) return;
    let value = "…";
    if (pixelBlock && at.x >= pixelBlock.x && at.x < pixelBlock.x + pixelBlock.width && at.y >= pixelBlock.y && at.y < pixelBlock.y + pixelBlock.height) {
      value = figure(pixelBlock.values[at.y - pixelBlock.y][at.x - pixelBlock.x], 8);
    }
    setText(readout, `x ${at.x}${inUnits(at.x, frame.axes.x, 1)}, y ${at.y}${inUnits(at.y, frame.axes.y, 1)}: value ${value}`);
  }

  // -- mouse and keys ---------------------------------------------------------------------------
  /** @param {PointerEvent | WheelEvent} event */
  function cssPoint(event) {
    const bounds = overlay.getBoundingClientRect();
    return {
      x: Math.min(Math.max(0, event.clientX - bounds.left), bounds.width - 0.01),
      y: Math.min(Math.max(0, event.clientY - bounds.top), bounds.height - 0.01),
    };
  }

  /** @param {{x: number, y: number}} point */
  function toImage(point) {
    const view = frame.view;
    return { x: view.x + (point.x / cssSize.width) * view.width, y: view.y + (point.y / cssSize.height) * view.height };
  }

  /** @param {{start: {x: number, y: number}, end: {x: number, y: number}}} state */
  function dragRect(state) {
    return {
      x: Math.min(state.start.x, state.end.x),
      y: Math.min(state.start.y, state.end.y),
      width: Math.abs(state.end.x - state.start.x),
      height: Math.abs(state.end.y - state.start.y),
    };
  }

  overlay.addEventListener("pointerdown", (event) => {
    if (!frame || event.button !== 0) return;
    overlay.focus();
    overlay.setPointerCapture(event.pointerId);
    const point = cssPoint(event);
    drag = { start: point, end: point, moved: false, mode: controls.mouseMode() };
  });
  overlay.addEventListener("pointermove", (event) => {
    if (!frame) return;
    const point = cssPoint(event);
    cursor = point;
    showReadout();
    askPixels();
    if (!drag) return;
    drag.end = point;
    drag.moved = drag.moved || Math.abs(point.x - drag.start.x) >= MIN_DRAG || Math.abs(point.y - drag.start.y) >= MIN_DRAG;
    paint();
  });
  overlay.addEventListener("pointerleave", () => {
    cursor = null;
  });
  overlay.addEventListener("pointerup", (event) => {
    if (!drag) return;
    drag.end = cssPoint(event);
    const finished = drag;
    drag = null;
    paint();
    const rect = dragRect(finished);
    if (!finished.moved || rect.width < MIN_DRAG || rect.height < MIN_DRAG) return;
    const corner = toImage({ x: rect.x, y: rect.y });
    const far = toImage({ x: rect.x + rect.width, y: rect.y + rect.height });
    const region = {
      x: Math.floor(corner.x),
      y: Math.floor(corner.y),
      width: Math.max(1, Math.round(far.x - corner.x)),
      height: Math.max(1, Math.round(far.y - corner.y)),
    };
    if (finished.mode === "roi" && editor) editor.setRoiFromImage(region, frame);
    else {
      controls.stopFollowing();
      setZoom([region.x, region.y, region.width, region.height]);
    }
  });
  overlay.addEventListener("pointercancel", () => {
    drag = null;
    paint();
  });
  overlay.addEventListener("wheel", (event) => {
    if (!frame) return;
    event.preventDefault();
    controls.stopFollowing();
    const at = toImage(cssPoint(event));
    zoomBy(event.deltaY < 0 ? 0.8 : 1.25, at.x, at.y);
  }, { passive: false });
  overlay.addEventListener("keydown", (event) => {
    /** @type {Record<string, () => void>} */
    const actions = {
      "+": () => zoomBy(0.5),
      "=": () => zoomBy(0.5),
      "-": () => zoomBy(2),
      0: () => setZoom(null),
      ArrowLeft: () => pan(-0.1, 0),
      ArrowRight: () => pan(0.1, 0),
      ArrowUp: () => pan(0, -0.1),
      ArrowDown: () => pan(0, 0.1),
      Escape: () => {
        drag = null;
        paint();
      },
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    controls.stopFollowing();
    action();
  });

  const resize = new ResizeObserver(() => {
    cssSize = { width: 0, height: 0 };
    layout();
    paint();
  });
  resize.observe(stage);

  api.viewerOptions().then((options) => {
    colourTables = options.colormap_colours;
    controls.setColormaps(options.colormaps, "rainbow");
    paint();
  }).catch((error) => showError("Could not read the viewer's options", error));

  charts.start();
  feed.connect();
  return {
    stop() {
      resize.disconnect();
      feed.stop();
    },
  };
}
