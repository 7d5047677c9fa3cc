// @ts-check
// Management views: instances with live figures (and the nodes they run on), cameras, pipelines,
// and logs. Stopping asks first; every change reports in words.

import { api, restartInstance, startAgain, stopInstance } from "./api.js";
import { bytes, confirmAction, drops, el, figure, setText, stateBadge, syncRows } from "./dom.js";
import { attempt, showError, showInfo } from "./notices.js";

const REFRESH_MS = 2000;

/** @param {string} kind @param {string} name */
const viewLink = (kind, name) => `#/view/${kind}/${encodeURIComponent(name)}`;
/** @param {string} name */
const logsLink = (name) => `#/logs/${encodeURIComponent(name)}`;

/**
 * Call `refresh` now and every REFRESH_MS while the view is shown; returns the view's handle.
 * @param {() => Promise<void>} refresh
 */
function every(refresh) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let stopped = false;
  const tick = async () => {
    await refresh();
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    refresh,
  };
}

/**
 * Stop an instance after asking.
 * @param {"camera" | "pipeline"} kind
 * @param {string} id
 */
async function stopAsked(kind, id) {
  const what = kind === "camera" ? `camera ${id}` : `pipeline instance ${id}`;
  if (!(await confirmAction(`Stop ${what}? Its clients lose the stream.`, "Stop"))) return false;
  const done = await attempt(`Could not stop ${what}`, () => stopInstance(kind, id));
  if (done) showInfo(`Stopped ${what}.`);
  return Boolean(done);
}

// -- nodes ---------------------------------------------------------------------------------------

/**
 * The nodes instances run on, with their load and the network bandwidth placed on them
 * (GET api/v1/nodes: one node on the local backend, each Ray node on a cluster); hidden where the
 * server answers that it has no such route.
 * @param {HTMLElement} section
 */
function nodesSection(section) {
  const body = el("tbody");
  section.append(el("h3", {}, "Nodes"), el("div", { class: "table-wrap" }, el("table", { id: "nodes" },
    el("thead", {}, el("tr", {}, ["Node", "Address", "State", "Instances", "CPU %", "Memory", "Bandwidth (Mbit/s)"].map((name) => el("th", { scope: "col" }, name)))),
    body)));
  let available = true;
  return async () => {
    if (!available) return;
    let data;
    try {
      data = await api.nodes();
    } catch (error) {
      if (error.code === 404 || error.code === 405) {
        available = false;
        section.hidden = true;
        return;
      }
      showError("Could not list the nodes", error);
      return;
    }
    section.hidden = false;
    syncRows(body, data.nodes || [], {
      key: (node) => String(node.name),
      create: () => el("tr", {}, el("td", { class: "mono" }), el("td", { class: "mono" }), el("td"), el("td", { class: "number" }),
        el("td", { class: "number" }), el("td", { class: "number" }), el("td", { class: "number" })),
      update: (row, node) => {
        const cells = row.children;
        setText(cells[0], node.name);
        setText(cells[1], node.address ?? "–");
        setText(cells[2], node.alive === false ? "lost" : "up");
        setText(cells[3], node.instances ?? "–");
        setText(cells[4], figure(node.cpu));
        setText(cells[5], node.memory === undefined || node.memory === null ? "–" : bytes(node.memory));
        const capacity = node.bandwidth === null || node.bandwidth === undefined ? "unlimited" : figure(node.bandwidth);
        setText(cells[6], `${figure(node.bandwidth_used)} / ${capacity}`);
      },
    });
  };
}

// -- instances ---------------------------------------------------------------------------------

/** @param {HTMLElement} main */
export function showInstances(main) {
  const host = el("p", { class: "muted" }, "Host: –");
  const updated = el("span", { class: "muted" });
  const body = el("tbody");
  const columns = [
    ["Kind"], ["Instance"], ["State"], ["Node"], ["Camera"], ["In (Hz)", "number"], ["Out (Hz)", "number"],
    ["Drops in / out", "number"], ["Errors", "number"], ["CPU %", "number"], ["Memory", "number"],
    ["Clients", "number"], ["Latency (ms)", "number"], ["Actions", "actions"],
  ];
  const table = el("table", { id: "instances" },
    el("caption", {}, "Camera and pipeline instances, refreshed every 2 s. ", updated),
    el("thead", {}, el("tr", {}, columns.map(([name, kind]) => el("th", { scope: "col", class: kind }, name)))),
    body);
  const empty = el("p", { class: "muted", hidden: true }, "No instance is running. Start one from ",
    el("a", { href: "#/cameras" }, "Cameras"), " or ", el("a", { href: "#/pipelines" }, "Pipelines"), ".");
  const nodes = el("section", { hidden: true });
  const feedBody = el("tbody");
  const feedTable = el("table", { id: "viewer-feeds" },
    el("caption", {}, "Streams watched in browsers now: one feed per stream, shared by its browsers."),
    el("thead", {}, el("tr", {}, ["Stream", "Browsers", "Frames / s", "Reading", "Received", "Gaps"].map(
      (name) => el("th", { scope: "col" }, name)))),
    feedBody);
  const noFeeds = el("p", { class: "muted" }, "No stream is watched in a browser.");
  main.append(el("h2", {}, "Instances"), host, el("div", { class: "table-wrap" }, table), empty, nodes,
    el("h3", {}, "Live views"), el("div", { class: "table-wrap" }, feedTable), noFeeds);
  const refreshNodes = nodesSection(nodes);

  /** @type {ReturnType<typeof every>} */
  let handle;
  /** @type {Map<string, any>} the newest entry of each row */
  const latest = new Map();
  /** @param {any} item */
  const create = (item) => {
    const cells = columns.map(([, kind]) => el("td", { class: kind }));
    const row = el("tr", {}, cells);
    const id = item.instance_id;
    const key = `${item.kind}/${id}`;
    const view = el("a", { href: viewLink(item.kind, id) }, "View");
    const logs = el("a", { href: logsLink(id) }, "Logs");
    const stop = el("button", { type: "button", class: "danger", "aria-label": `Stop ${item.kind} ${id}`,
      onclick: async () => {
        stop.disabled = true;
        await stopAsked(item.kind, id);
        handle.refresh();
      } }, "Stop");
    const restart = el("button", { type: "button", "aria-label": `Restart ${item.kind} ${id}`,
      onclick: async () => {
        const known = latest.get(key) || item;
        const verb = known.active ? "Restart" : "Start";
        if (known.active && !(await confirmAction(`Restart ${item.kind} ${id}? Its stream pauses while it starts again.`, "Restart"))) return;
        restart.disabled = true;
        const done = await attempt(`Could not ${verb.toLowerCase()} ${item.kind} ${id}`,
          () => (known.active ? restartInstance(item.kind, id, known) : startAgain(item.kind, id, known)));
        restart.disabled = false;
        if (done) showInfo(`${verb === "Restart" ? "Restarted" : "Started"} ${item.kind} ${id}.`);
        handle.refresh();
      } }, "Restart");
    cells[13].append(view, logs, restart, stop);
    Object.assign(row, { stopButton: stop, restartButton: restart });
    return row;
  };
  /** @param {HTMLElement & {stopButton?: HTMLButtonElement, restartButton?: HTMLButtonElement}} row @param {any} item */
  const update = (row, item) => {
    latest.set(`${item.kind}/${item.instance_id}`, item);
    const cells = row.children;
    const figures = item.statistics;
    setText(cells[0], item.kind);
    cells[1].replaceChildren(el("span", { class: "mono" }, item.instance_id),
      item.permanent ? el("span", { class: "muted" }, " (permanent)") : "");
    cells[2].replaceChildren(stateBadge(item.state), item.reason ? el("div", { class: "reason" }, item.reason) : "");
    setText(cells[3], item.node || "–");
    setText(cells[4], item.camera_name || "–");
    setText(cells[5], figure(figures.rx_rate));
    setText(cells[6], figure(figures.tx_rate));
    setText(cells[7], drops(figures));
    setText(cells[8], figures.processing_errors + figures.decode_errors);
    setText(cells[9], figure(figures.cpu));
    setText(cells[10], bytes(figures.memory));
    setText(cells[11], figures.clients);
    setText(cells[12], figure(figures.latency_mean));
    row.stopButton.disabled = !item.active;
    setText(row.restartButton, item.active ? "Restart" : "Start again");
    row.restartButton.setAttribute("aria-label", `${item.active ? "Restart" : "Start again"} ${item.kind} ${item.instance_id}`);
  };
  handle = every(async () => {
    const data = await attempt("Could not list the instances", api.instances);
    if (!data) return;
    syncRows(body, data.instances, { key: (item) => `${item.kind}/${item.instance_id}`, create, update });
    empty.hidden = data.instances.length > 0;
    const load = data.host;
    setText(host, `Host: CPU ${figure(load.cpu)} %, memory used ${bytes(load.memory)}` +
      (load.rx === null ? "" : `, network in ${bytes(load.rx)}/s, out ${bytes(load.tx)}/s`));
    setText(updated, `Last update ${new Date().toLocaleTimeString("en-GB")}.`);
    await refreshNodes();
    const feeds = await attempt("Could not list the live views", api.viewerFeeds);
    if (!feeds) return;
    syncRows(feedBody, feeds.feeds, {
      key: (feed) => `${feed.name} ${feed.stream}`,
      create: () => el("tr", {}, el("td"), el("td", { class: "number" }), el("td", { class: "number" }), el("td"),
        el("td", { class: "number" }), el("td", { class: "number" })),
      update: (row, feed) => {
        const cells = row.children;
        setText(cells[0], `${feed.name} (${feed.stream})`);
        setText(cells[1], feed.watchers);
        setText(cells[2], figure(feed.fps));
        setText(cells[3], feed.mode);
        setText(cells[4], feed.received);
        setText(cells[5], feed.missed_pulses);
      },
    });
    noFeeds.hidden = feeds.feeds.length > 0;
    feedTable.hidden = !noFeeds.hidden;
  });
  return handle;
}

// -- configs (shared by cameras and pipelines) -----------------------------------------------------

/**
 * Delete a saved config after asking.
 * @param {"camera" | "pipeline"} kind
 * @param {string} name
 */
async function deleteAsked(kind, name) {
  if (!(await confirmAction(`Delete the ${kind} config ${name}? Running instances keep running.`, "Delete"))) return false;
  const done = await attempt(`Could not delete ${kind} ${name}`,
    () => (kind === "camera" ? api.deleteCameraConfig(name) : api.deletePipelineConfig(name)));
  if (done) showInfo(`Deleted ${kind} config ${name}.`);
  return Boolean(done);
}

/**
 * Edit, copy and delete links and buttons of a config row.
 * @param {"camera" | "pipeline"} kind
 * @param {string} name
 * @param {() => void} refresh
 */
function configActions(kind, name, refresh) {
  return [
    el("a", { href: `#/edit/${kind}/${encodeURIComponent(name)}`, "aria-label": `Edit ${kind} ${name}` }, "Edit"),
    el("a", { href: `#/copy/${kind}/${encodeURIComponent(name)}`, "aria-label": `Copy ${kind} ${name}` }, "Copy"),
    el("button", { type: "button", class: "danger", "aria-label": `Delete ${kind} ${name}`,
      onclick: async () => {
        if (await deleteAsked(kind, name)) refresh();
      } }, "Delete"),
  ];
}

// -- cameras -----------------------------------------------------------------------------------

/** @param {HTMLElement} main */
export function showCameras(main) {
  const body = el("tbody");
  const table = el("table", { id: "cameras" },
    el("caption", {}, "Viewing or starting a camera starts its instance if it is not running."),
    el("thead", {}, el("tr", {}, ["Camera", "Aliases", "Groups", "Instance", "Actions"].map(
      (name) => el("th", { scope: "col" }, name)))),
    body);
  main.append(el("h2", {}, "Cameras"),
    el("div", { class: "toolbar" }, el("a", { class: "button primary", href: "#/new/camera" }, "New camera")),
    el("div", { class: "table-wrap" }, table));

  /** @type {ReturnType<typeof every>} */
  let handle;
  /** @param {{name: string}} item */
  const create = (item) => {
    const name = item.name;
    const start = el("button", { type: "button", "aria-label": `Start camera ${name}`,
      onclick: async () => {
        const done = await attempt(`Could not start camera ${name}`, () => api.startCamera(name));
        if (done) showInfo(`Started camera ${name}; it streams on ${done.stream}.`);
        handle.refresh();
      } }, "Start");
    const stop = el("button", { type: "button", class: "danger", "aria-label": `Stop camera ${name}`,
      onclick: async () => {
        await stopAsked("camera", name);
        handle.refresh();
      } }, "Stop");
    const backgrounds = el("a", { href: `#/backgrounds/${encodeURIComponent(name)}`, "aria-label": `Backgrounds of camera ${name}` }, "Backgrounds");
    const row = el("tr", {},
      el("td", {}, el("span", { class: "mono" }, name)), el("td"), el("td"), el("td"),
      el("td", { class: "actions" }, el("a", { href: viewLink("camera", name) }, "View"), start, stop,
        configActions("camera", name, () => handle.refresh()), backgrounds));
    Object.assign(row, { stopButton: stop, startButton: start });
    return row;
  };
  /** @param {any} row @param {any} item */
  const update = (row, item) => {
    setText(row.children[1], item.aliases.join(", ") || "–");
    setText(row.children[2], item.groups.join(", ") || "–");
    row.children[3].replaceChildren(item.instance ? stateBadge(item.instance.state) : el("span", { class: "muted" }, "not running"));
    const running = Boolean(item.instance && item.instance.active);
    row.stopButton.disabled = !running;
    row.startButton.disabled = running;
  };
  handle = every(async () => {
    const [names, aliases, groups, instances] = await Promise.all([
      attempt("Could not list the cameras", api.cameras),
      attempt("Could not read the camera aliases", api.cameraAliases),
      attempt("Could not read the camera groups", api.cameraGroups),
      attempt("Could not list the instances", api.instances),
    ]);
    if (!names) return;
    const running = new Map((instances?.instances || []).filter((/** @type {any} */ i) => i.kind === "camera").map((/** @type {any} */ i) => [i.instance_id, i]));
    const items = names.cameras.map((/** @type {string} */ name) => ({
      name,
      aliases: Object.entries(aliases?.aliases || {}).filter(([, camera]) => camera === name).map(([alias]) => alias),
      groups: Object.entries(groups?.groups || {}).filter(([, members]) => members.includes(name)).map(([group]) => group),
      instance: running.get(name),
    }));
    syncRows(body, items, { key: (item) => item.name, create, update });
  });
  return handle;
}

// -- backgrounds -------------------------------------------------------------------------------

/**
 * The backgrounds of one camera: collect a new one, see which exist.
 * @param {HTMLElement} main
 * @param {string} camera
 */
export function showBackgrounds(main, camera) {
  const count = el("input", { id: "background-count", type: "number", min: 1, max: 10000, step: 1, value: 10 });
  const collect = el("button", { type: "submit", class: "primary" }, "Collect background");
  const list = el("ul", { id: "backgrounds", class: "plain-list" });
  const form = el("form", { class: "toolbar" },
    el("div", { class: "field" }, el("label", { for: "background-count" }, "Images to average"), count), collect);
  main.append(el("h2", {}, `Backgrounds of camera ${camera}`),
    el("p", {}, "A pipeline uses the camera's latest background unless its config names one (",
      el("code", {}, "image_background"), "); choose one in a pipeline's viewer or config."),
    form, el("h3", {}, "Stored, newest first"), list);
  async function load() {
    const data = await attempt(`Could not list the backgrounds of ${camera}`, () => api.backgrounds(camera));
    if (!data) return;
    const ids = [...data.background_ids].reverse();
    list.replaceChildren(...(ids.length ? ids.map((/** @type {string} */ id) => el("li", { class: "mono" }, id))
      : [el("li", { class: "muted" }, "None yet.")]));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    collect.disabled = true;
    showInfo(`Collecting a background of ${count.value} images from ${camera}…`);
    const data = await attempt(`Could not collect a background of ${camera}`, () => api.collectBackground(camera, Number(count.value)));
    collect.disabled = false;
    if (data) showInfo(`Collected background ${data.background_id}.`);
    load();
  });
  load();
  return { stop() {} };
}

// -- pipelines ---------------------------------------------------------------------------------

/** @param {HTMLElement} main */
export function showPipelines(main) {
  const select = el("select", { id: "start-pipeline", name: "pipeline", required: true });
  const instanceInput = el("input", { id: "start-instance-id", name: "instance_id", autocomplete: "off", placeholder: "a new id" });
  const form = el("form", { class: "toolbar", "aria-labelledby": "start-heading" },
    el("div", { class: "field" }, el("label", { for: "start-pipeline" }, "Pipeline"), select),
    el("div", { class: "field" }, el("label", { for: "start-instance-id" }, "Instance id (optional)"), instanceInput),
    el("button", { type: "submit", class: "primary" }, "Start instance"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = select.value;
    const instanceId = instanceInput.value.trim();
    const started = await attempt(`Could not start pipeline ${name}`, () => api.startPipeline(name, instanceId || undefined));
    if (!started) return;
    showInfo(`Started instance ${started.instance_id} of pipeline ${name}. `,
      el("a", { href: viewLink("pipeline", started.instance_id) }, `View ${started.instance_id}`));
    handle.refresh();
  });

  const body = el("tbody");
  const table = el("table", { id: "pipelines" },
    el("caption", {}, "Viewing a pipeline uses its running instance of that name, or starts the saved pipeline."),
    el("thead", {}, el("tr", {}, ["Pipeline", "Camera", "Type", "Running instances", "Actions"].map(
      (name) => el("th", { scope: "col" }, name)))),
    body);
  main.append(el("h2", {}, "Pipelines"),
    el("div", { class: "toolbar" }, el("a", { class: "button primary", href: "#/new/pipeline" }, "New pipeline")),
    el("h3", { id: "start-heading" }, "Start an instance"), form,
    el("h3", {}, "Saved pipelines"), el("div", { class: "table-wrap" }, table));

  /** @type {Map<string, any>} */
  const configs = new Map();
  /** @type {ReturnType<typeof every>} */
  let handle;
  /** @param {{name: string}} item */
  const create = (item) => {
    const name = item.name;
    const start = el("button", { type: "button", "aria-label": `Start an instance of ${name}`,
      onclick: () => {
        select.value = name;
        instanceInput.focus();
      } }, "Start…");
    return el("tr", {},
      el("td", {}, el("span", { class: "mono" }, name)), el("td"), el("td"), el("td"),
      el("td", { class: "actions" }, el("a", { href: viewLink("pipeline", name) }, "View"), start,
        configActions("pipeline", name, () => {
          configs.delete(name);
          handle.refresh();
        })));
  };
  /** @param {HTMLElement} row @param {{name: string, instances: string[]}} item */
  const update = (row, item) => {
    const config = configs.get(item.name) || {};
    setText(row.children[1], config.camera_name || "–");
    setText(row.children[2], config.pipeline_type || "processing");
    row.children[3].replaceChildren(...(item.instances.length
      ? item.instances.flatMap((id, index) => [index ? ", " : "", el("a", { href: viewLink("pipeline", id), class: "mono" }, id)])
      : [el("span", { class: "muted" }, "none")]));
  };
  handle = every(async () => {
    const [names, instances] = await Promise.all([
      attempt("Could not list the pipelines", api.pipelines),
      attempt("Could not list the instances", api.instances),
    ]);
    if (!names) return;
    const missing = names.pipelines.filter((/** @type {string} */ name) => !configs.has(name));
    await Promise.all(missing.map(async (/** @type {string} */ name) => {
      try {
        configs.set(name, (await api.pipelineConfig(name)).config);
      } catch (error) {
        configs.set(name, { error: error.message });
      }
    }));
    const selected = select.value;
    if ([...select.options].map((option) => option.value).join() !== names.pipelines.join()) {
      select.replaceChildren(...names.pipelines.map((/** @type {string} */ name) => el("option", { value: name }, name)));
      if (names.pipelines.includes(selected)) select.value = selected;
    }
    const active = (instances?.instances || []).filter((/** @type {any} */ i) => i.kind === "pipeline" && i.active);
    const items = names.pipelines.map((/** @type {string} */ name) => ({
      name,
      instances: active.filter((/** @type {any} */ i) => i.config_name === name || i.instance_id === name).map((/** @type {any} */ i) => i.instance_id),
    }));
    syncRows(body, items, { key: (item) => item.name, create, update });
  });
  return handle;
}

// -- logs --------------------------------------------------------------------------------------

/**
 * The server's log (every instance's start, stop and exit with its reason), or an instance's.
 * @param {HTMLElement} main
 * @param {string} [instance]
 */
export function showLogs(main, instance) {
  const title = instance ? `Log of instance ${instance}` : "Server log";
  const body = el("tbody");
  const refresh = el("button", { type: "button", onclick: () => load() }, "Refresh");
  const follow = el("input", { type: "checkbox", id: "follow-log", checked: true });
  const filter = el("input", { type: "search", id: "log-filter", placeholder: "instance, level or words" });
  main.append(
    el("h2", {}, title),
    el("div", { class: "toolbar" }, refresh, el("label", { for: "follow-log", class: "inline" }, follow, "Refresh every 2 s"),
      el("div", { class: "field" }, el("label", { for: "log-filter" }, "Show only records containing"), filter)),
    el("div", { class: "table-wrap" }, el("table", { id: "log" },
      el("thead", {}, el("tr", {}, ["Time", "Source", "Level", "Message"].map((name) => el("th", { scope: "col" }, name)))),
      body)),
  );
  /** @type {string[][]} */
  let records = [];
  const render = () => {
    const words = filter.value.trim().toLowerCase();
    const shown = records.filter((record) => !words || record.join(" ").toLowerCase().includes(words)).slice(-500).reverse();
    body.replaceChildren(...shown.map(([time, source, level, message]) =>
      el("tr", { class: `log-level-${level}` }, el("td", { class: "mono" }, time), el("td", {}, source),
        el("td", {}, level), el("td", {}, message))));
    if (!shown.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No records yet.")));
  };
  const load = async () => {
    const what = `Could not read the ${instance ? `log of ${instance}` : "server log"}`;
    const data = await attempt(what, () => (instance ? api.instanceLogs(instance) : api.serverLogs()));
    if (!data) return;
    records = data.logs;
    render();
  };
  filter.addEventListener("input", render);
  const handle = every(async () => {
    if (follow.checked) await load();
  });
  return handle;
}
