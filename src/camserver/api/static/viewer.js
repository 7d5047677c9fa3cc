// The live viewer of one camera or pipeline instance, fed by the websocket api/v1/viewer/ws. Each
// frame is one binary message: a 4-byte big-endian length, that many bytes of JSON describing the
// frame, then its JPEG; text messages are figures ("status") and errors. Each frame drawn is
// acknowledged ({"ack": seq}); the server sends at most two frames ahead of the browser.

import { api, serverUrl } from "./api.js";
import { el, figure, setText, syncRows } from "./dom.js";
import { OVERLAY_COLOURS, drawOverlays, drawProfile, drawRubberBand } from "./drawing.js";
import { attempt, showError, showInfo } from "./notices.js";
import { createPipelineEditor } from "./pipeline_editor.js";

const FRAME_RATES = [1, 2, 5, 10, 15, 20, 25];
const RETRY_MS = 3000;
const MIN_DRAG = 4; // CSS pixels a drag must span to count as a rectangle
const X_PROFILE_HEIGHT = 96;
const Y_PROFILE_WIDTH = 112;
const decoder = new TextDecoder();

function radio(name, value, label, checked, disabled) {
  const id = `${name}-${value}`;
  return el("label", { for: id, class: "inline" },
    el("input", { type: "radio", id, name, value, checked, disabled }), label);
}

/** A scalar channel's value for people (timestamps as local time). */
function channelText(channel, value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  if (channel === "timestamp" && value > 1e9) {
    const when = new Date(value * 1000);
    return `${when.toLocaleTimeString("en-GB")}.${String(when.getMilliseconds()).padStart(3, "0")}`;
  }
  return figure(value, 6);
}

function checkbox(id, label, checked, colour) {
  const input = el("input", { type: "checkbox", id, checked });
  return {
    input,
    node: el("label", { for: id, class: "inline" }, input,
      colour ? el("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }) : "", label),
  };
}

export function showViewer(main, kind, name) {
  const isPipeline = kind === "pipeline";
  const title = `${isPipeline ? "Pipeline" : "Camera"} ${name}`;
  let socket = null;
  let stopped = false;
  let retryTimer = null;
  let drawing = Promise.resolve();
  let frame = null; // meta of the frame on screen
  let framesDrawn = 0;
  let drag = null;
  let cssSize = { width: 0, height: 0 };
  const settings = { fps: 10, colormap: "rainbow", min: null, max: null, zoom: null };

  // -- head ---------------------------------------------------------------------------------
  const state = el("span", { class: "badge", id: "viewer-state", role: "status" }, "connecting…");
  const reconnect = el("button", { type: "button", hidden: true, onclick: () => connect() }, "Reconnect");
  const stopInstance = el("button", {
    type: "button",
    class: "danger",
    onclick: async () => {
      const done = await attempt(`Could not stop ${kind} ${name}`, () =>
        isPipeline ? api.stopPipeline(name) : api.stopCamera(name));
      if (done) showInfo(`Stopped ${kind} ${name}. The view shows frames again when it runs.`);
    },
  }, "Stop instance");
  const head = el("div", { class: "viewer-head" }, el("h2", {}, title), state, reconnect,
    el("a", { href: `#/logs/${encodeURIComponent(name)}` }, "Instance log"), stopInstance);

  // -- stage --------------------------------------------------------------------------------
  const picture = el("canvas", { class: "picture", width: 1, height: 1, "aria-hidden": "true" });
  const overlay = el("canvas", {
    class: "overlay",
    tabindex: 0,
    role: "img",
    "aria-label": `Live image of ${kind} ${name}`,
    "aria-describedby": "image-help",
  });
  const box = el("div", { class: "image-box", hidden: true }, picture, overlay);
  const xProfile = el("canvas", { class: "x-profile", "aria-hidden": "true", height: X_PROFILE_HEIGHT });
  const yProfile = el("canvas", { class: "y-profile", "aria-hidden": "true", width: Y_PROFILE_WIDTH });
  const profileNote = el("p", { class: "stage-note" }, "Profiles: sums over columns (below) and rows (right).");
  const waiting = el("p", { class: "waiting", id: "viewer-waiting" }, "Waiting for the first frame…");
  const grid = el("div", { class: "stage-grid" }, box, yProfile, xProfile, profileNote);
  const readout = el("p", { class: "readout", id: "readout", "aria-live": "off" }, " ");
  const help = el("p", { class: "readout", id: "image-help" },
    "Drag on the image to zoom (or to draw the region of interest, see Mouse); wheel zooms. " +
    "With the image focused: + and − zoom, arrows move, 0 shows the whole image.");
  const stage = el("div", { class: "stage" }, waiting, grid, readout, help);

  // -- display controls ---------------------------------------------------------------------
  const colormap = el("select", { id: "colormap" }, el("option", { value: "rainbow" }, "rainbow"));
  const autoContrast = el("input", { type: "checkbox", id: "auto-contrast", checked: true });
  const levelMin = el("input", { type: "number", id: "level-min", step: "any", disabled: true });
  const levelMax = el("input", { type: "number", id: "level-max", step: "any", disabled: true });
  const fps = el("select", { id: "fps" }, FRAME_RATES.map((rate) => el("option", { value: rate, selected: rate === 10 }, `${rate} / s`)));
  const showCom = checkbox("overlay-com", "Centre of mass", true, OVERLAY_COLOURS.centerOfMass);
  const showFit = checkbox("overlay-fit", "Fit (1 σ)", true, OVERLAY_COLOURS.fit);
  const showGood = checkbox("overlay-good-region", "Good region", true, OVERLAY_COLOURS.goodRegion);
  const showSlices = checkbox("overlay-slices", "Slices", true, OVERLAY_COLOURS.slices);
  const showProfiles = checkbox("show-profiles", "Profiles", true);
  const display = el("form", { class: "panel", "aria-labelledby": "display-heading", onsubmit: (event) => event.preventDefault() },
    el("h3", { id: "display-heading" }, "Display"),
    el("div", { class: "field-row" },
      el("div", { class: "field" }, el("label", { for: "colormap" }, "Colour map"), colormap),
      el("div", { class: "field" }, el("label", { for: "fps" }, "Frame rate"), fps)),
    el("fieldset", {}, el("legend", {}, "Contrast"),
      el("label", { for: "auto-contrast", class: "inline" }, autoContrast, "Automatic (range of the shown pixels)"),
      el("div", { class: "field-row" },
        el("div", { class: "field" }, el("label", { for: "level-min" }, "Minimum"), levelMin),
        el("div", { class: "field" }, el("label", { for: "level-max" }, "Maximum"), levelMax))),
    el("fieldset", {}, el("legend", {}, "Zoom"),
      el("div", { class: "field-row" },
        el("button", { type: "button", onclick: () => zoomBy(0.5) }, "Zoom in"),
        el("button", { type: "button", onclick: () => zoomBy(2) }, "Zoom out"),
        el("button", { type: "button", onclick: () => setZoom(null) }, "Whole image"))),
    el("fieldset", { role: "radiogroup" }, el("legend", {}, "Mouse drag on the image"),
      radio("mouse", "zoom", "Zoom to a region", true, false),
      radio("mouse", "roi", isPipeline ? "Draw the region of interest" : "Draw the region of interest (pipelines only)", false, !isPipeline)),
    el("fieldset", {}, el("legend", {}, "Show"),
      isPipeline ? [showCom.node, showFit.node, showGood.node, showSlices.node] : "", showProfiles.node));

  // -- figures --------------------------------------------------------------------------------
  const figures = {};
  const figureList = el("dl", { class: "figures", id: "viewer-figures" });
  for (const [key, label] of [
    ["fps", "Frames shown"], ["frames", "Frames drawn"], ["latency", "Latency"], ["stream", "Stream rate"],
    ["skipped", "Skipped here"], ["gaps", "Gaps in stream"], ["drops", "Instance drops in / out"],
    ["feed", "Feed"], ["instance", "Instance"], ["pulse", "Pulse id"], ["image", "Image"], ["shown", "Shown"],
    ["levels", "Levels"],
  ]) {
    figures[key] = el("dd", { id: `stat-${key}` }, "–");
    figureList.append(el("dt", {}, label), figures[key]);
  }
  const statistics = el("section", { class: "panel", "aria-labelledby": "figures-heading" },
    el("h3", { id: "figures-heading" }, "Figures"), figureList);

  const scalarBody = el("tbody");
  const scalars = el("details", { class: "panel", open: true },
    el("summary", {}, "Channels"),
    el("div", { class: "scalars" }, el("table", { id: "scalars" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Channel"), el("th", { scope: "col", class: "number" }, "Value"))),
      scalarBody)));
  const parameters = el("pre", { class: "block", id: "processing-parameters" }, "–");
  const parametersPanel = el("details", { class: "panel", open: isPipeline },
    el("summary", {}, "processing_parameters"), parameters);

  const editor = isPipeline ? createPipelineEditor(name) : null;
  const side = el("div", { class: "side" }, display, statistics, editor ? editor.element : "", parametersPanel, scalars);
  main.append(el("section", { class: "viewer", "aria-label": `Viewer of ${kind} ${name}` }, head,
    el("div", { class: "viewer-body" }, stage, side)));

  // -- settings to the server ----------------------------------------------------------------
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function setZoom(zoom) {
    settings.zoom = zoom;
    send({ zoom });
  }

  function imageSize() {
    return frame ? frame.image : null;
  }

  function currentView() {
    const image = imageSize();
    if (!image) return null;
    return frame.view || { x: 0, y: 0, width: image.width, height: image.height };
  }

  /** Zoom by `factor` (< 1: in) around the image point (cx, cy), by default the view's centre. */
  function zoomBy(factor, cx, cy) {
    const image = imageSize();
    const view = currentView();
    if (!image || !view) return;
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

  function pan(dx, dy) {
    const image = imageSize();
    if (!image || !settings.zoom) return;
    const [x, y, width, height] = settings.zoom;
    const nx = Math.min(Math.max(0, x + Math.round(dx * width)), image.width - width);
    const ny = Math.min(Math.max(0, y + Math.round(dy * height)), image.height - height);
    setZoom([nx, ny, width, height]);
  }

  colormap.addEventListener("change", () => {
    settings.colormap = colormap.value;
    send({ colormap: settings.colormap });
  });
  fps.addEventListener("change", () => {
    settings.fps = Number(fps.value);
    send({ fps: settings.fps });
  });
  autoContrast.addEventListener("change", () => {
    levelMin.disabled = levelMax.disabled = autoContrast.checked;
    if (autoContrast.checked) {
      settings.min = settings.max = null;
      send({ min: null, max: null });
      return;
    }
    if (frame && levelMin.value === "") levelMin.value = figure(frame.levels.min, 6).replace(/,/g, "");
    if (frame && levelMax.value === "") levelMax.value = figure(frame.levels.max, 6).replace(/,/g, "");
    applyLevels();
  });
  function applyLevels() {
    const low = levelMin.value === "" ? null : Number(levelMin.value);
    const high = levelMax.value === "" ? null : Number(levelMax.value);
    if (low !== null && high !== null && !(low < high)) {
      showError("Contrast not changed", new Error("The minimum must be below the maximum."));
      return;
    }
    settings.min = low;
    settings.max = high;
    send({ min: low, max: high });
  }
  levelMin.addEventListener("change", applyLevels);
  levelMax.addEventListener("change", applyLevels);
  for (const control of [showCom, showFit, showGood, showSlices]) control.input.addEventListener("change", () => paintOverlays());
  showProfiles.input.addEventListener("change", () => paintProfiles());

  // -- the socket -----------------------------------------------------------------------------
  function connect() {
    clearTimeout(retryTimer);
    if (socket) socket.close();
    reconnect.hidden = true;
    setState("connecting…");
    const url = serverUrl("api/v1/viewer/ws", {
      kind,
      name,
      fps: settings.fps,
      colormap: settings.colormap,
      min: settings.min,
      max: settings.max,
      zoom: settings.zoom ? settings.zoom.join(",") : null,
    });
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const opened = new WebSocket(url);
    opened.binaryType = "arraybuffer";
    socket = opened;
    opened.addEventListener("message", (event) => {
      if (socket !== opened) return;
      if (typeof event.data === "string") receiveText(JSON.parse(event.data));
      else receiveFrame(event.data);
    });
    opened.addEventListener("close", (event) => {
      if (socket !== opened || stopped) return;
      socket = null;
      reconnect.hidden = false;
      if (event.code >= 4000) {
        setState("closed", "failed");
      } else {
        setState("disconnected; retrying…", "restarting");
        retryTimer = setTimeout(connect, RETRY_MS);
      }
    });
  }

  function setState(text, look = "") {
    setText(state, text);
    state.className = `badge ${look ? `state-${look}` : ""}`;
  }

  function receiveText(message) {
    if (message.type === "status") showFigures(message.statistics, null);
    else if (message.type === "error") {
      showError(framesDrawn ? `The viewer of ${kind} ${name} reports` : `Cannot view ${kind} ${name}`, {
        describe: () => `${message.status} (${message.code ? `HTTP ${message.code}, ` : ""}${message.error})`,
      });
    }
  }

  function receiveFrame(buffer) {
    const length = new DataView(buffer).getUint32(0);
    const meta = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, length)));
    const picture = new Blob([new Uint8Array(buffer, 4 + length)], { type: "image/jpeg" });
    drawing = drawing.then(() => drawFrame(meta, picture));
  }

  async function drawFrame(meta, blob) {
    try {
      const bitmap = await createImageBitmap(blob);
      if (picture.width !== bitmap.width || picture.height !== bitmap.height) {
        picture.width = bitmap.width;
        picture.height = bitmap.height;
      }
      picture.getContext("2d").drawImage(bitmap, 0, 0);
      bitmap.close();
      frame = meta;
      framesDrawn += 1;
      waiting.hidden = true;
      box.hidden = false;
      layout();
      paintOverlays();
      paintProfiles();
      showFrame(meta);
      setState("live", "running");
    } catch (error) {
      showError("A frame could not be drawn", error);
    } finally {
      send({ ack: meta.seq });
    }
  }

  // -- painting ---------------------------------------------------------------------------------
  function layout() {
    if (!frame) return;
    const view = frame.view;
    const available = Math.max(160, stage.clientWidth - Y_PROFILE_WIDTH - 28);
    const tallest = Math.max(200, window.innerHeight * 0.72);
    const scale = Math.min(available / view.width, tallest / view.height);
    const width = Math.max(1, Math.round(view.width * scale));
    const height = Math.max(1, Math.round(view.height * scale));
    if (width === cssSize.width && height === cssSize.height) return;
    cssSize = { width, height };
    const ratio = window.devicePixelRatio || 1;
    for (const canvas of [picture, overlay]) {
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    overlay.width = Math.round(width * ratio);
    overlay.height = Math.round(height * ratio);
    xProfile.style.width = `${width}px`;
    xProfile.width = Math.round(width * ratio);
    xProfile.style.height = `${X_PROFILE_HEIGHT}px`;
    xProfile.height = Math.round(X_PROFILE_HEIGHT * ratio);
    yProfile.style.height = `${height}px`;
    yProfile.height = Math.round(height * ratio);
    yProfile.style.width = `${Y_PROFILE_WIDTH}px`;
    yProfile.width = Math.round(Y_PROFILE_WIDTH * ratio);
  }

  function paintOverlays() {
    drawOverlays(overlay, frame, {
      centerOfMass: showCom.input.checked,
      fit: showFit.input.checked,
      goodRegion: showGood.input.checked,
      slices: showSlices.input.checked,
    });
    if (drag && drag.moved) {
      const ratio = overlay.width / cssSize.width;
      const rect = dragRect(drag);
      drawRubberBand(overlay, { x: rect.x * ratio, y: rect.y * ratio, width: rect.width * ratio, height: rect.height * ratio },
        drag.mode === "roi" ? OVERLAY_COLOURS.roi : "#ffffff");
    }
  }

  function paintProfiles() {
    const shown = showProfiles.input.checked && frame;
    xProfile.hidden = yProfile.hidden = !shown;
    if (!shown) return;
    drawProfile(xProfile, frame.profiles.x, frame.view, "x");
    drawProfile(yProfile, frame.profiles.y, frame.view, "y");
  }

  function showFrame(meta) {
    const image = meta.image;
    const view = meta.view;
    setText(figures.frames, framesDrawn);
    setText(figures.pulse, meta.pulse_id);
    setText(figures.image, `${image.width} × ${image.height} ${image.dtype}`);
    setText(figures.shown, `${view.width} × ${view.height} from (${view.x}, ${view.y})` +
      (view.step > 1 ? `, decimated by ${view.step}` : ""));
    setText(figures.levels, `${figure(meta.levels.min, 5)} – ${figure(meta.levels.max, 5)}${meta.levels.auto ? " (auto)" : ""}`);
    showFigures(meta.statistics, meta);
    syncRows(scalarBody, Object.entries(meta.scalars), {
      key: ([channel]) => channel,
      create: ([channel]) => el("tr", {}, el("td", { class: "mono" }, channel), el("td", { class: "number" })),
      update: (row, [channel, value]) => setText(row.children[1], channelText(channel, value)),
    });
    const text = meta.processing_parameters ? JSON.stringify(meta.processing_parameters, null, 2) : "This stream sends no processing_parameters.";
    setText(parameters, text);
  }

  function showFigures(numbers, meta) {
    if (!numbers) return;
    const feed = numbers.feed || {};
    const instance = feed.instance;
    setText(figures.fps, `${figure(numbers.fps)} of ${numbers.requested_fps} / s`);
    setText(figures.latency, numbers.latency_ms === null ? "–" : `${figure(numbers.latency_ms)} ms`);
    setText(figures.stream, instance ? `${figure(instance.rate)} Hz` : "–");
    setText(figures.skipped, numbers.skipped);
    setText(figures.gaps, feed.missed_pulses ?? "–");
    setText(figures.drops, instance ? `${instance.input_drops} / ${instance.output_drops}` : "–");
    setText(figures.feed, `${feed.mode || "–"}, ${feed.watchers ?? 0} browser(s)`);
    const silent = feed.silent_for;
    let condition = instance ? instance.state + (instance.reason ? ` (${instance.reason})` : "") : "unknown";
    if (!meta && silent !== null && silent > 2) condition += `; no frame for ${figure(silent, 2)} s`;
    if (feed.error) condition += `; ${feed.error}`;
    setText(figures.instance, condition);
    if (!meta) {
      if (silent !== null && silent > 2) setState(`no frames for ${Math.round(silent)} s`, "stopping");
      else if (framesDrawn === 0 && instance) setState(`instance ${instance.state}, waiting for frames`);
      // the instance ended: viewing again starts it (a camera, or a saved pipeline of this name)
      reconnect.hidden = Boolean(instance && instance.state === "running");
    } else {
      reconnect.hidden = true;
    }
  }

  // -- mouse and keys ---------------------------------------------------------------------------
  function mode() {
    return main.querySelector('input[name="mouse"]:checked')?.value || "zoom";
  }

  function cssPoint(event) {
    const bounds = overlay.getBoundingClientRect();
    return {
      x: Math.min(Math.max(0, event.clientX - bounds.left), bounds.width),
      y: Math.min(Math.max(0, event.clientY - bounds.top), bounds.height),
    };
  }

  function toImage(point) {
    const view = frame.view;
    return { x: view.x + (point.x / cssSize.width) * view.width, y: view.y + (point.y / cssSize.height) * view.height };
  }

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
    drag = { start: point, end: point, moved: false, mode: mode() };
  });
  overlay.addEventListener("pointermove", (event) => {
    if (!frame) return;
    const point = cssPoint(event);
    const at = toImage(point);
    setText(readout, `x ${Math.floor(at.x)}, y ${Math.floor(at.y)} (image pixels)`);
    if (!drag) return;
    drag.end = point;
    drag.moved = drag.moved || Math.abs(point.x - drag.start.x) >= MIN_DRAG || Math.abs(point.y - drag.start.y) >= MIN_DRAG;
    paintOverlays();
  });
  overlay.addEventListener("pointerup", (event) => {
    if (!drag) return;
    drag.end = cssPoint(event);
    const finished = drag;
    drag = null;
    paintOverlays();
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
    else setZoom([region.x, region.y, region.width, region.height]);
  });
  overlay.addEventListener("pointercancel", () => {
    drag = null;
    paintOverlays();
  });
  overlay.addEventListener("wheel", (event) => {
    if (!frame) return;
    event.preventDefault();
    const at = toImage(cssPoint(event));
    zoomBy(event.deltaY < 0 ? 0.8 : 1.25, at.x, at.y);
  }, { passive: false });
  overlay.addEventListener("keydown", (event) => {
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
        paintOverlays();
      },
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  const resize = new ResizeObserver(() => {
    cssSize = { width: 0, height: 0 };
    layout();
    paintOverlays();
    paintProfiles();
  });
  resize.observe(stage);

  api.viewerOptions().then((options) => {
    colormap.replaceChildren(...options.colormaps.map((name) => el("option", { value: name, selected: name === settings.colormap }, name)));
  }).catch((error) => showError("Could not read the viewer's options", error));

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      resize.disconnect();
      if (socket) socket.close();
      socket = null;
    },
  };
}
