// @ts-check
// The config form of a running pipeline instance: threshold, region of interest, background, good
// region, slices. Changes go to POST api/v1/pipeline/instance/<id>/config and apply from the
// instance's next frame; the viewer shows their effect (and `processing_parameters`) live.

import { api } from "./api.js";
import { el } from "./dom.js";
import { attempt, clearError, showError, showInfo } from "./notices.js";

const BACKGROUND_MODES = [
  ["false", "Off"],
  ["true", "Subtract (clip at 0)"],
  ["signed", "Subtract (signed)"],
  ["passive", "Passive (to the function)"],
];

/** @typedef {{input: HTMLInputElement, error: HTMLElement, node: HTMLElement}} NumberField */

/**
 * @param {string} id
 * @param {string} label
 * @param {Record<string, unknown>} [attributes]
 * @returns {NumberField}
 */
function numberField(id, label, attributes = {}) {
  const input = el("input", { id, type: "number", step: "any", inputmode: "decimal", ...attributes });
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  input.setAttribute("aria-describedby", error.id);
  return { input, error, node: el("div", { class: "field" }, el("label", { for: id }, label), input, error) };
}

/**
 * The value of a number field: null when empty, a number, or an Error in words.
 * @param {NumberField} field
 * @param {{integer?: boolean, min?: number, max?: number, label: string}} rules
 * @returns {number | null | Error}
 */
function readNumber(field, { integer = false, min = -Infinity, max = Infinity, label }) {
  const text = field.input.value.trim();
  field.error.hidden = true;
  field.input.removeAttribute("aria-invalid");
  if (text === "") return null;
  const value = Number(text);
  let problem = null;
  if (!Number.isFinite(value)) problem = `${label} must be a number.`;
  else if (integer && !Number.isInteger(value)) problem = `${label} must be a whole number.`;
  else if (value < min || value > max) {
    problem = max === Infinity ? `${label} must be at least ${min}.` : `${label} must be from ${min} to ${max}.`;
  }
  if (problem) {
    field.error.textContent = problem;
    field.error.hidden = false;
    field.input.setAttribute("aria-invalid", "true");
    return new Error(problem);
  }
  return value;
}

/**
 * The form of the running pipeline instance `instanceId`.
 * @param {string} instanceId
 */
export function createPipelineEditor(instanceId) {
  /** @type {string | null} */
  let camera = null;
  const threshold = numberField("edit-threshold", "Threshold (counts below it become 0; empty: off)", { min: 0 });
  const roi = {
    offsetX: numberField("edit-roi-x", "ROI offset x", { min: 0, step: 1 }),
    width: numberField("edit-roi-width", "ROI width", { min: 1, step: 1 }),
    offsetY: numberField("edit-roi-y", "ROI offset y", { min: 0, step: 1 }),
    height: numberField("edit-roi-height", "ROI height", { min: 1, step: 1 }),
  };
  const backgroundMode = el("select", { id: "edit-background-mode" },
    BACKGROUND_MODES.map(([value, label]) => el("option", { value }, label)));
  const backgroundImage = el("select", { id: "edit-background-image" }, el("option", { value: "" }, "The camera's latest"));
  const collectCount = numberField("edit-collect-count", "Images to average", { min: 1, max: 10000, step: 1, value: 10 });
  const goodRegion = el("input", { id: "edit-good-region", type: "checkbox" });
  const goodThreshold = numberField("edit-gr-threshold", "Good region threshold (0–1)", { min: 0, max: 1, step: 0.05 });
  const goodScale = numberField("edit-gr-scale", "Good region scale (gfscale)", { min: 0, step: 0.1 });
  const slices = el("input", { id: "edit-slices", type: "checkbox" });
  const sliceCount = numberField("edit-slice-count", "Number of slices", { min: 1, max: 200, step: 1 });
  const sliceScale = numberField("edit-slice-scale", "Slice scale (sigmas)", { min: 0, step: 0.1 });
  const sliceOrientation = el("select", { id: "edit-slice-orientation" },
    el("option", { value: "vertical" }, "vertical"), el("option", { value: "horizontal" }, "horizontal"));

  const collect = el("button", { type: "button", onclick: () => collectBackground() }, "Collect background");
  const apply = el("button", { type: "submit", class: "primary" }, "Apply");
  const reload = el("button", { type: "button", onclick: () => load() }, "Reload");
  const clearRoi = el("button", { type: "button", onclick: () => applyChanges({ image_region_of_interest: null }, "ROI cleared") }, "Clear ROI");

  const form = el("form", { class: "panel editor", "aria-labelledby": "editor-heading", novalidate: true },
    el("h3", { id: "editor-heading" }, "Pipeline config"),
    el("p", { class: "form-note" }, `Changes apply to instance ${instanceId} from its next frame.`),
    threshold.node,
    el("fieldset", {}, el("legend", {}, "Region of interest (pixels of the pipeline's input)"),
      el("div", { class: "field-row" }, roi.offsetX.node, roi.width.node, roi.offsetY.node, roi.height.node),
      el("p", { class: "form-note" }, "Or choose “Region of interest” under Mouse and drag on the image."),
      clearRoi),
    el("fieldset", {}, el("legend", {}, "Background"),
      el("div", { class: "field" }, el("label", { for: "edit-background-mode" }, "Background subtraction"), backgroundMode),
      el("div", { class: "field" }, el("label", { for: "edit-background-image" }, "Background image"), backgroundImage),
      el("div", { class: "field-row" }, collectCount.node, collect)),
    el("fieldset", {}, el("legend", {}, "Good region"),
      el("label", { for: "edit-good-region", class: "inline" }, goodRegion, "Compute the good region"),
      el("div", { class: "field-row" }, goodThreshold.node, goodScale.node)),
    el("fieldset", {}, el("legend", {}, "Slices (inside the good region)"),
      el("label", { for: "edit-slices", class: "inline" }, slices, "Compute slices"),
      el("div", { class: "field-row" }, sliceCount.node, sliceScale.node,
        el("div", { class: "field" }, el("label", { for: "edit-slice-orientation" }, "Orientation"), sliceOrientation))),
    el("div", { class: "field-row" }, apply, reload));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = read();
    if (changes) applyChanges(changes, "Config applied");
  });

  function show(config) {
    camera = config.camera_name || null;
    threshold.input.value = config.image_threshold ?? "";
    const region = config.image_region_of_interest;
    roi.offsetX.input.value = region ? region[0] : "";
    roi.width.input.value = region ? region[1] : "";
    roi.offsetY.input.value = region ? region[2] : "";
    roi.height.input.value = region ? region[3] : "";
    backgroundMode.value = String(config.image_background_enable ?? false);
    ensureOption(backgroundImage, config.image_background || "");
    backgroundImage.value = config.image_background || "";
    const good = config.image_good_region;
    goodRegion.checked = Boolean(good);
    goodThreshold.input.value = good?.threshold ?? 0.3;
    goodScale.input.value = good?.gfscale ?? 1.8;
    const slicing = config.image_slices;
    slices.checked = Boolean(slicing);
    sliceCount.input.value = slicing?.number_of_slices ?? 5;
    sliceScale.input.value = slicing?.scale ?? 2;
    sliceOrientation.value = slicing?.orientation ?? "vertical";
    collect.disabled = !camera;
  }

  function ensureOption(select, value) {
    if (value && ![...select.options].some((option) => option.value === value)) select.append(el("option", { value }, value));
  }

  /** The form's changes, or null (with the problems shown next to their fields) if any is invalid. */
  function read() {
    const problems = [];
    const take = (field, options) => {
      const value = readNumber(field, options);
      if (value instanceof Error) {
        problems.push(value.message);
        return null;
      }
      return value;
    };
    const changes = {};
    changes.image_threshold = take(threshold, { min: 0, label: "Threshold" });
    const parts = [
      take(roi.offsetX, { integer: true, min: 0, label: "ROI offset x" }),
      take(roi.width, { integer: true, min: 1, label: "ROI width" }),
      take(roi.offsetY, { integer: true, min: 0, label: "ROI offset y" }),
      take(roi.height, { integer: true, min: 1, label: "ROI height" }),
    ];
    const given = parts.filter((value) => value !== null).length;
    if (given === 4) changes.image_region_of_interest = parts;
    else if (given === 0) changes.image_region_of_interest = null;
    else problems.push("Give all four numbers of the region of interest, or none.");
    const mode = backgroundMode.value;
    changes.image_background_enable = mode === "true" ? true : mode === "false" ? false : mode;
    changes.image_background = backgroundImage.value || null;
    if (goodRegion.checked) {
      changes.image_good_region = {
        threshold: take(goodThreshold, { min: 0, max: 1, label: "Good region threshold" }) ?? 0.3,
        gfscale: take(goodScale, { min: 0, label: "Good region scale" }) ?? 1.8,
      };
    } else changes.image_good_region = null;
    if (slices.checked) {
      changes.image_slices = {
        number_of_slices: take(sliceCount, { integer: true, min: 1, max: 200, label: "Number of slices" }) ?? 5,
        scale: take(sliceScale, { min: 0, label: "Slice scale" }) ?? 2,
        orientation: sliceOrientation.value,
      };
    } else changes.image_slices = null;
    if (problems.length) {
      showError("The config was not sent", new Error(problems.join(" ")));
      return null;
    }
    return changes;
  }

  async function applyChanges(changes, done) {
    apply.disabled = true;
    try {
      const result = await api.updateInstance(instanceId, changes);
      clearError();
      show(result.config);
      showInfo(`${done} on ${instanceId}.`);
      return result.config;
    } catch (error) {
      showError(`Could not change the config of ${instanceId}`, error);
      return null;
    } finally {
      apply.disabled = false;
    }
  }

  async function loadBackgrounds() {
    if (!camera) return;
    const data = await attempt(`Could not list the backgrounds of ${camera}`, () => api.backgrounds(camera));
    if (!data) return;
    const chosen = backgroundImage.value;
    backgroundImage.replaceChildren(el("option", { value: "" }, "The camera's latest"),
      ...[...data.background_ids].reverse().map((id) => el("option", { value: id }, id)));
    ensureOption(backgroundImage, chosen);
    backgroundImage.value = chosen;
  }

  async function collectBackground() {
    const count = readNumber(collectCount, { integer: true, min: 1, max: 10000, label: "Images to average" });
    if (count instanceof Error || !camera) return;
    collect.disabled = true;
    showInfo(`Collecting a background of ${count ?? 10} images from ${camera}…`);
    const data = await attempt(`Could not collect a background of ${camera}`, () => api.collectBackground(camera, count ?? 10));
    collect.disabled = false;
    if (!data) return;
    await loadBackgrounds();
    ensureOption(backgroundImage, data.background_id);
    backgroundImage.value = data.background_id;
    showInfo(`Collected background ${data.background_id}. Choose a subtraction mode and apply to use it.`);
  }

  async function load() {
    const data = await attempt(`Could not read the config of ${instanceId}`, () => api.instanceConfig(instanceId));
    if (!data) return;
    show(data.config);
    await loadBackgrounds();
  }

  /**
   * An ROI drawn on the picture: `rect` in pixels of the image shown, which already is the
   * current ROI of the pipeline's input (as `processing_parameters` of that frame tell).
   * @param {{x: number, y: number, width: number, height: number}} rect
   * @param {import("./messages.js").FrameMessage | null} frame
   */
  function setRoiFromImage(rect, frame) {
    const current = frame?.processing_parameters?.image_region_of_interest;
    const offsetX = Array.isArray(current) ? current[0] : 0;
    const offsetY = Array.isArray(current) ? current[2] : 0;
    const region = [offsetX + rect.x, rect.width, offsetY + rect.y, rect.height].map((value) => Math.max(0, Math.round(value)));
    roi.offsetX.input.value = String(region[0]);
    roi.width.input.value = String(Math.max(1, region[1]));
    roi.offsetY.input.value = String(region[2]);
    roi.height.input.value = String(Math.max(1, region[3]));
    return applyChanges({ image_region_of_interest: [region[0], Math.max(1, region[1]), region[2], Math.max(1, region[3])] }, `ROI ${region.join(", ")} applied`);
  }

  load();
  return { element: form, load, setRoiFromImage };
}
