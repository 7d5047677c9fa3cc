// @ts-check
// Create, edit and copy camera and pipeline configs: a form for the keys set most often beside
// the whole config as JSON, kept in step both ways. The server validates with its models when
// saving (POST api/v1/cam|pipeline/<name>/config); what it refuses is shown in its words, next to
// the form and in the banner.
//   #/new/<camera|pipeline>   #/edit/<camera|pipeline>/<name>   #/copy/<camera|pipeline>/<name>

import { api } from "./api.js";
import { el, field, setText } from "./dom.js";
import { attempt, clearError, showError, showInfo } from "./notices.js";

const SOURCE_TYPES = ["simulation", "epics", "area_detector", "bsread", "bsread_simulation", "bschannel", "stream", "hdf5", "script"];
const PIPELINE_TYPES = ["processing", "store", "stream", "custom", "script", "fanout", "fanin"];
const NAME_RULE = "letters, digits, '_', '-' and '.'";

/** The config of a new camera or pipeline: what a first run needs. */
const TEMPLATES = {
  camera: { source_type: "simulation", source: "simulated beam", size_x: 640, size_y: 480, frame_rate: 10 },
  pipeline: { pipeline_type: "processing", camera_name: "" },
};

/**
 * A form field bound to one key of the config.
 * @typedef {object} Binding
 * @property {string} key
 * @property {HTMLInputElement | HTMLSelectElement} input
 * @property {(config: Record<string, any>) => void} show
 * @property {(config: Record<string, any>) => void} read
 */

/**
 * @param {string} key
 * @param {HTMLInputElement | HTMLSelectElement} input
 * @param {"text" | "number" | "integer" | "select"} type
 * @returns {Binding}
 */
function bind(key, input, type) {
  return {
    key,
    input,
    show(config) {
      const value = config[key];
      if (input instanceof HTMLSelectElement && value !== undefined && value !== null
          && ![...input.options].some((option) => option.value === String(value))) {
        input.append(el("option", { value: String(value) }, String(value)));
      }
      input.value = value === null || value === undefined ? "" : String(value);
    },
    read(config) {
      const text = input.value.trim();
      if (text === "") {
        delete config[key];
        return;
      }
      config[key] = type === "number" || type === "integer" ? Number(text) : text;
    },
  };
}

/**
 * @param {HTMLElement} main
 * @param {"new" | "edit" | "copy"} mode
 * @param {"camera" | "pipeline"} kind
 * @param {string} [source] the config edited or copied
 */
export function showConfigEditor(main, mode, kind, source) {
  const isCamera = kind === "camera";
  const noun = isCamera ? "camera" : "pipeline";
  const heading = mode === "new" ? `New ${noun}` : mode === "edit" ? `Edit ${noun} ${source}` : `Copy ${noun} ${source}`;
  const nameInput = el("input", { id: "config-name", autocomplete: "off", required: true, readonly: mode === "edit",
    value: mode === "edit" ? source : mode === "copy" ? `${source}_copy` : "" });
  const json = el("textarea", { id: "config-json", class: "mono", rows: 22, spellcheck: "false", "aria-describedby": "config-json-note" });
  const jsonNote = el("p", { class: "form-note", id: "config-json-note" }, "The whole config; the form above edits the same keys.");
  const problems = el("div", { class: "field-error", id: "config-problems", role: "alert", hidden: true });
  /** @type {Binding[]} */
  const bindings = [];
  /** @type {HTMLElement[]} */
  const fields = [];

  /**
   * @param {string} key
   * @param {string} label
   * @param {HTMLInputElement | HTMLSelectElement} input
   * @param {"text" | "number" | "integer" | "select"} type
   * @param {string} [hint]
   */
  const add = (key, label, input, type, hint) => {
    bindings.push(bind(key, input, type));
    fields.push(field(label, input, hint).node);
  };
  if (isCamera) {
    add("source_type", "Source type", el("select", { id: "config-source_type" }, SOURCE_TYPES.map((type) => el("option", { value: type }, type))), "select");
    add("source", "Source (PV prefix, stream address, file; any text for a simulation)", el("input", { id: "config-source" }), "text");
    add("frame_rate", "Frame rate (Hz)", el("input", { id: "config-frame_rate", type: "number", step: "any", min: 0 }), "number");
    add("size_x", "Width (simulation)", el("input", { id: "config-size_x", type: "number", step: 1, min: 1 }), "integer");
    add("size_y", "Height (simulation)", el("input", { id: "config-size_y", type: "number", step: 1, min: 1 }), "integer");
    add("no_client_timeout", "Stop after this many seconds without clients (0: never)", el("input", { id: "config-no_client_timeout", type: "number", step: "any", min: 0 }), "number");
  } else {
    add("camera_name", "Camera", el("select", { id: "config-camera_name" }, el("option", { value: "" }, "–")), "select");
    add("pipeline_type", "Pipeline type", el("select", { id: "config-pipeline_type" }, PIPELINE_TYPES.map((type) => el("option", { value: type }, type))), "select");
    add("image_threshold", "Threshold (counts below it become 0)", el("input", { id: "config-image_threshold", type: "number", step: "any", min: 0 }), "number");
    add("function", "Function (a user library; empty: the standard metrics)", el("input", { id: "config-function" }), "text");
    add("no_client_timeout", "Stop after this many seconds without clients (0: never)", el("input", { id: "config-no_client_timeout", type: "number", step: "any", min: 0 }), "number");
  }

  const save = el("button", { type: "submit", class: "primary", id: "config-save" }, "Save");
  const saveAndStart = el("button", { type: "button", id: "config-save-start" }, isCamera ? "Save and view" : "Save and start");
  const form = el("form", { class: "config-editor", "aria-labelledby": "config-heading", novalidate: true },
    el("h2", { id: "config-heading" }, heading),
    el("p", {}, el("a", { href: `#/${noun}s` }, `Back to the ${noun}s`)),
    el("div", { class: "editor-columns" },
      el("div", { class: "panel" },
        el("h3", {}, "Form"),
        field("Name", nameInput, `Saved as <name>.json; ${NAME_RULE}.`).node,
        fields),
      el("div", { class: "panel" },
        el("h3", {}, el("label", { for: "config-json" }, "JSON")), json, jsonNote)),
    problems,
    el("div", { class: "field-row" }, save, saveAndStart));
  main.append(form);

  /** @type {Record<string, any>} */
  let config = { ...TEMPLATES[kind] };

  function showJson() {
    json.value = JSON.stringify(config, null, 2);
    json.removeAttribute("aria-invalid");
    setText(jsonNote, "The whole config; the form above edits the same keys.");
  }

  function showForm() {
    for (const binding of bindings) binding.show(config);
  }

  /** @param {string[]} lines */
  function showProblems(lines) {
    problems.replaceChildren(...lines.map((line) => el("p", {}, line)));
    problems.hidden = lines.length === 0;
  }

  for (const binding of bindings) {
    for (const type of ["input", "change"]) {
      binding.input.addEventListener(type, () => {
        binding.read(config);
        showJson();
      });
    }
  }
  json.addEventListener("input", () => {
    try {
      const parsed = JSON.parse(json.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the config must be a JSON object");
      config = parsed;
      json.removeAttribute("aria-invalid");
      setText(jsonNote, "The whole config; the form above edits the same keys.");
      showForm();
    } catch (error) {
      json.setAttribute("aria-invalid", "true");
      setText(jsonNote, `Not valid JSON yet: ${error.message}`);
    }
  });

  /** Save; resolves to the name saved under, or null. */
  async function store() {
    const name = nameInput.value.trim();
    if (!name) {
      showProblems(["Give the config a name."]);
      nameInput.focus();
      return null;
    }
    if (json.getAttribute("aria-invalid") === "true") {
      showProblems([`The JSON is not valid: ${jsonNote.textContent}`]);
      return null;
    }
    const what = `Could not save ${noun} ${name}`;
    try {
      const saved = isCamera ? await api.setCameraConfig(name, config) : await api.setPipelineConfig(name, config);
      showProblems([]);
      clearError(what);
      if (saved && saved.config) {
        config = saved.config;
        showForm();
        showJson();
      }
      return name;
    } catch (error) {
      // the server's models say what is wrong, one problem after the other ("; ")
      showProblems(String(error.message).split("; ").map((line) => line.trim()).filter(Boolean));
      showError(what, error);
      return null;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = await store();
    if (name) showInfo(`Saved ${noun} ${name}. `, el("a", { href: `#/edit/${kind}/${encodeURIComponent(name)}` }, "Edit it again"));
  });
  saveAndStart.addEventListener("click", async () => {
    const name = await store();
    if (!name) return;
    if (isCamera) {
      showInfo(`Saved camera ${name}.`);
      location.hash = `#/view/camera/${encodeURIComponent(name)}`;
      return;
    }
    const started = await attempt(`Could not start pipeline ${name}`, () => api.startPipeline(name, name));
    if (started) {
      showInfo(`Saved pipeline ${name} and started instance ${started.instance_id}. `,
        el("a", { href: `#/view/pipeline/${encodeURIComponent(started.instance_id)}` }, `View ${started.instance_id}`));
    }
  });

  async function load() {
    if (!isCamera) {
      const cameras = await attempt("Could not list the cameras", api.cameras);
      const select = /** @type {HTMLSelectElement} */ (bindings[0].input);
      if (cameras) select.replaceChildren(el("option", { value: "" }, "–"), ...cameras.cameras.map((/** @type {string} */ name) => el("option", { value: name }, name)));
    }
    if (mode !== "new" && source) {
      const data = await attempt(`Could not read the config of ${noun} ${source}`,
        () => (isCamera ? api.cameraConfig(source) : api.pipelineConfig(source)));
      if (!data) return;
      config = { ...data.config };
      delete config.name;
    }
    showForm();
    showJson();
  }

  load();
  return { stop() {} };
}
