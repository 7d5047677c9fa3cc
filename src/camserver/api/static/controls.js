// @ts-check
// The viewer's display controls: colour map, frame rate, contrast (automatic from percentiles, or
// levels set by typing or by dragging them on the histogram), zoom (with "follow the beam"), the
// units of the axes, what a mouse drag does, and which overlays show.

import { checkbox, el, figure } from "./dom.js";
import { OVERLAY_COLOURS, drawHistogram, sizeCanvas } from "./drawing.js";

/** @typedef {import("./messages.js").FrameMessage} FrameMessage */

export const FRAME_RATES = [1, 2, 5, 10, 15, 20, 25];
const HISTOGRAM_HEIGHT = 84;
const GRAB = 7; // CSS pixels around a level's handle that grab it

/**
 * @typedef {object} ControlEvents
 * @property {(changes: Record<string, unknown>) => void} settings settings to send to the server
 * @property {(factor: number) => void} zoomBy
 * @property {() => void} wholeImage
 * @property {() => void} redraw overlays or axes choices changed
 * @property {(message: string) => void} problem a value the page refuses, in words
 */

/**
 * @param {{isPipeline: boolean, fps: number, colormap: string}} initial
 * @param {ControlEvents} events
 */
export function createControls({ isPipeline, fps: initialFps, colormap: initialColormap }, events) {
  const colormap = el("select", { id: "colormap" }, el("option", { value: initialColormap }, initialColormap));
  const fps = el("select", { id: "fps" },
    FRAME_RATES.map((rate) => el("option", { value: rate, selected: rate === initialFps }, `${rate} / s`)));
  const autoContrast = el("input", { type: "checkbox", id: "auto-contrast", checked: true });
  const lowPercentile = el("input", { type: "number", id: "low-percentile", step: "any", min: 0, max: 100, value: 0.5 });
  const highPercentile = el("input", { type: "number", id: "high-percentile", step: "any", min: 0, max: 100, value: 99.95 });
  const levelMin = el("input", { type: "number", id: "level-min", step: "any" });
  const levelMax = el("input", { type: "number", id: "level-max", step: "any" });
  const histogram = el("canvas", { class: "histogram", id: "histogram", role: "img",
    "aria-label": "Histogram of the shown pixels; drag the orange levels to set the contrast" });
  const follow = el("input", { type: "checkbox", id: "follow-beam" });
  const units = el("input", { type: "checkbox", id: "calibrated-units", checked: true });
  const showCom = checkbox("overlay-com", "Centre of mass", true, OVERLAY_COLOURS.centerOfMass);
  const showFit = checkbox("overlay-fit", "Fit (1 σ)", true, OVERLAY_COLOURS.fit);
  const showGood = checkbox("overlay-good-region", "Good region", true, OVERLAY_COLOURS.goodRegion);
  const showSlices = checkbox("overlay-slices", "Slices", true, OVERLAY_COLOURS.slices);
  const showProfiles = checkbox("show-profiles", "Profiles", true);

  /** @param {string} name @param {string} value @param {string} label @param {boolean} checked @param {boolean} disabled */
  const radio = (name, value, label, checked, disabled) => {
    const id = `${name}-${value}`;
    return el("label", { for: id, class: "inline" }, el("input", { type: "radio", id, name, value, checked, disabled }), label);
  };

  const element = el("form", { class: "panel", "aria-labelledby": "display-heading", onsubmit: (/** @type {Event} */ event) => event.preventDefault() },
    el("h3", { id: "display-heading" }, "Display"),
    el("div", { class: "field-row" },
      el("div", { class: "field" }, el("label", { for: "colormap" }, "Colour map"), colormap),
      el("div", { class: "field" }, el("label", { for: "fps" }, "Frame rate"), fps)),
    el("fieldset", {}, el("legend", {}, "Contrast"),
      histogram,
      el("label", { for: "auto-contrast", class: "inline" }, autoContrast, "Automatic, from percentiles of the shown pixels"),
      el("div", { class: "field-row" },
        el("div", { class: "field" }, el("label", { for: "low-percentile" }, "Low %"), lowPercentile),
        el("div", { class: "field" }, el("label", { for: "high-percentile" }, "High %"), highPercentile)),
      el("div", { class: "field-row" },
        el("div", { class: "field" }, el("label", { for: "level-min" }, "Minimum"), levelMin),
        el("div", { class: "field" }, el("label", { for: "level-max" }, "Maximum"), levelMax))),
    el("fieldset", {}, el("legend", {}, "Zoom"),
      el("div", { class: "field-row" },
        el("button", { type: "button", onclick: () => events.zoomBy(0.5) }, "Zoom in"),
        el("button", { type: "button", onclick: () => events.zoomBy(2) }, "Zoom out"),
        el("button", { type: "button", onclick: () => { follow.checked = false; events.wholeImage(); } }, "Whole image")),
      el("label", { for: "follow-beam", class: "inline" }, follow, "Follow the beam (fit, else good region)"),
      el("label", { for: "calibrated-units", class: "inline" }, units, "Axes in calibrated units (mm) where known")),
    el("fieldset", { role: "radiogroup" }, el("legend", {}, "Mouse drag on the image"),
      radio("mouse", "zoom", "Zoom to a region", true, false),
      radio("mouse", "roi", isPipeline ? "Draw the region of interest" : "Draw the region of interest (pipelines only)", false, !isPipeline)),
    el("fieldset", {}, el("legend", {}, "Show"),
      isPipeline ? [showCom.node, showFit.node, showGood.node, showSlices.node] : "", showProfiles.node));

  sizeCanvas(histogram, 280, HISTOGRAM_HEIGHT);
  /** @type {FrameMessage | null} */
  let frame = null;
  /** @type {{toValue: (x: number) => number, toX: (value: number) => number} | null} */
  let scale = null;
  /** @type {{which: "min" | "max", low: number, high: number} | null} */
  let dragging = null;

  const setManual = () => {
    autoContrast.checked = false;
  };
  const plain = (/** @type {number} */ value) => figure(value, 6).replace(/,/g, "");

  function applyLevels() {
    const low = levelMin.value === "" ? null : Number(levelMin.value);
    const high = levelMax.value === "" ? null : Number(levelMax.value);
    if (low !== null && high !== null && !(low < high)) {
      events.problem("The minimum must be below the maximum.");
      return;
    }
    setManual();
    events.settings({ min: low, max: high });
  }

  function applyPercentiles() {
    const low = Number(lowPercentile.value);
    const high = Number(highPercentile.value);
    if (!(low >= 0 && high <= 100 && low < high)) {
      events.problem("The percentiles must lie in 0..100, the low one below the high one.");
      return;
    }
    autoContrast.checked = true;
    events.settings({ low_percentile: low, high_percentile: high, min: null, max: null });
  }

  colormap.addEventListener("change", () => events.settings({ colormap: colormap.value }));
  fps.addEventListener("change", () => events.settings({ fps: Number(fps.value) }));
  autoContrast.addEventListener("change", () => {
    if (autoContrast.checked) {
      events.settings({ min: null, max: null });
      return;
    }
    if (frame) {
      levelMin.value = plain(frame.levels.min);
      levelMax.value = plain(frame.levels.max);
    }
    applyLevels();
  });
  levelMin.addEventListener("change", applyLevels);
  levelMax.addEventListener("change", applyLevels);
  lowPercentile.addEventListener("change", applyPercentiles);
  highPercentile.addEventListener("change", applyPercentiles);
  for (const control of [showCom, showFit, showGood, showSlices, showProfiles]) control.input.addEventListener("change", () => events.redraw());
  units.addEventListener("change", () => events.redraw());

  histogram.addEventListener("pointerdown", (event) => {
    if (!frame || !scale) return;
    const low = frame.levels.min;
    const high = frame.levels.max;
    const toLow = Math.abs(event.offsetX - scale.toX(low));
    const toHigh = Math.abs(event.offsetX - scale.toX(high));
    if (Math.min(toLow, toHigh) > GRAB) return;
    dragging = { which: toLow < toHigh ? "min" : "max", low, high };
    histogram.setPointerCapture(event.pointerId);
  });
  histogram.addEventListener("pointermove", (event) => {
    if (!dragging || !scale || !frame) return;
    const value = scale.toValue(event.offsetX);
    if (dragging.which === "min") dragging.low = Math.min(value, dragging.high - 1e-9);
    else dragging.high = Math.max(value, dragging.low + 1e-9);
    drawHistogram(histogram, frame.levels.histogram, dragging.low, dragging.high);
  });
  histogram.addEventListener("pointerup", () => {
    if (!dragging) return;
    const { low, high } = dragging;
    dragging = null;
    levelMin.value = plain(low);
    levelMax.value = plain(high);
    applyLevels();
  });

  return {
    element,
    overlays: () => ({
      centerOfMass: showCom.input.checked,
      fit: showFit.input.checked,
      goodRegion: showGood.input.checked,
      slices: showSlices.input.checked,
    }),
    profiles: () => showProfiles.input.checked,
    calibrated: () => units.checked,
    following: () => follow.checked,
    stopFollowing: () => {
      follow.checked = false;
    },
    mouseMode: () => /** @type {HTMLInputElement | null} */ (element.querySelector('input[name="mouse"]:checked'))?.value || "zoom",
    /** @param {string[]} names @param {string} chosen */
    setColormaps(names, chosen) {
      colormap.replaceChildren(...names.map((name) => el("option", { value: name, selected: name === chosen }, name)));
    },
    /** @param {FrameMessage} meta */
    showFrame(meta) {
      frame = meta;
      units.disabled = !meta.axes.x.calibrated && !meta.axes.y.calibrated;
      if (dragging) return;
      const width = Math.max(160, histogram.parentElement.clientWidth - 24);
      sizeCanvas(histogram, width, HISTOGRAM_HEIGHT);
      scale = drawHistogram(histogram, meta.levels.histogram, meta.levels.min, meta.levels.max);
      histogram.dataset.low = String(meta.levels.min);
      histogram.dataset.high = String(meta.levels.max);
      histogram.dataset.max = String(meta.levels.histogram?.max ?? "");
      if (meta.levels.auto && document.activeElement !== levelMin && document.activeElement !== levelMax) {
        levelMin.placeholder = plain(meta.levels.min);
        levelMax.placeholder = plain(meta.levels.max);
      }
    },
  };
}
