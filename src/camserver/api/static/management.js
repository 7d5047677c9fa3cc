// Management views: instances with live figures, cameras, pipelines, logs.

import { api } from "./api.js";
import { bytes, el, figure, setText, stateBadge, syncRows } from "./dom.js";
import { attempt, showError, showInfo } from "./notices.js";

const REFRESH_MS = 2000;

const viewLink = (kind, name) => `#/view/${kind}/${encodeURIComponent(name)}`;
const logsLink = (name) => `#/logs/${encodeURIComponent(name)}`;

/** Call `refresh` now and every REFRESH_MS while the view is shown; returns the view's handle. */
function every(refresh) {
  let timer = null;
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

async function stopInstance(kind, id) {
  const what = kind === "camera" ? `camera ${id}` : `pipeline instance ${id}`;
  const done = await attempt(`Could not stop ${what}`, () =>
    kind === "camera" ? api.stopCamera(id) : api.stopPipeline(id),
  );
  if (done) showInfo(`Stopped ${what}.`);
  return done;
}

// -- instances ---------------------------------------------------------------------------------

export function showInstances(main) {
  const host = el("p", { class: "muted" }, "Host: –");
  const updated = el("span", { class: "muted" });
  const body = el("tbody");
  const columns = [
    ["Kind"], ["Instance"], ["State"], ["Camera"], ["In (Hz)", "number"], ["Out (Hz)", "number"],
    ["Drops in / out", "number"], ["Errors", "number"], ["CPU %", "number"], ["Memory", "number"],
    ["Clients", "number"], ["Latency (ms)", "number"], ["Actions", "actions"],
  ];
  const table = el(
    "table",
    { id: "instances" },
    el("caption", {}, "Camera and pipeline instances, refreshed every 2 s. ", updated),
    el("thead", {}, el("tr", {}, columns.map(([name, kind]) => el("th", { scope: "col", class: kind }, name)))),
    body,
  );
  const empty = el("p", { class: "muted", hidden: true }, "No instance is running. Start one from ",
    el("a", { href: "#/cameras" }, "Cameras"), " or ", el("a", { href: "#/pipelines" }, "Pipelines"), ".");
  const feedBody = el("tbody");
  const feedTable = el("table", { id: "viewer-feeds" },
    el("caption", {}, "Streams watched in browsers now: one feed per stream, shared by its browsers."),
    el("thead", {}, el("tr", {}, ["Stream", "Browsers", "Frames / s", "Reading", "Received", "Gaps"].map(
      (name) => el("th", { scope: "col" }, name)))),
    feedBody);
  const noFeeds = el("p", { class: "muted" }, "No stream is watched in a browser.");
  main.append(el("h2", {}, "Instances"), host, el("div", { class: "table-wrap" }, table), empty,
    el("h3", {}, "Live views"), el("div", { class: "table-wrap" }, feedTable), noFeeds);

  let handle = null;
  const create = (item) => {
    const cells = columns.map(([, kind]) => el("td", { class: kind }));
    const row = el("tr", {}, cells);
    const id = item.instance_id;
    const view = el("a", { href: viewLink(item.kind, id) }, "View");
    const logs = el("a", { href: logsLink(id) }, "Logs");
    const stop = el("button", {
      type: "button",
      class: "danger",
      "aria-label": `Stop ${item.kind} ${id}`,
      onclick: async () => {
        stop.disabled = true;
        await stopInstance(item.kind, id);
        stop.disabled = false;
        handle.refresh();
      },
    }, "Stop");
    cells[12].append(view, logs, stop);
    row.stopButton = stop;
    return row;
  };
  const update = (row, item) => {
    const cells = row.children;
    const figures = item.statistics;
    setText(cells[0], item.kind);
    cells[1].replaceChildren(el("span", { class: "mono" }, item.instance_id),
      item.permanent ? el("span", { class: "muted" }, " (permanent)") : "");
    cells[2].replaceChildren(stateBadge(item.state), item.reason ? el("div", { class: "reason" }, item.reason) : "");
    setText(cells[3], item.camera_name || "–");
    setText(cells[4], figure(figures.rx_rate));
    setText(cells[5], figure(figures.tx_rate));
    setText(cells[6], `${figures.input_drops} / ${figures.output_drops}`);
    setText(cells[7], figures.processing_errors + figures.decode_errors);
    setText(cells[8], figure(figures.cpu));
    setText(cells[9], bytes(figures.memory));
    setText(cells[10], figures.clients);
    setText(cells[11], figure(figures.latency_mean));
    row.stopButton.disabled = !item.active;
  };
  handle = every(async () => {
    const data = await attempt("Could not list the instances", api.instances);
    if (!data) return;
    syncRows(body, data.instances, { key: (item) => `${item.kind}/${item.instance_id}`, create, update });
    empty.hidden = data.instances.length > 0;
    const load = data.host;
    setText(host, `Host: CPU ${figure(load.cpu)} %, memory used ${bytes(load.memory)}` +
      (load.rx === null ? "" : `, network in ${bytes(load.rx)}/s, out ${bytes(load.tx)}/s`));
    setText(updated, `Last update ${new Date().toLocaleTimeString()}.`);
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

// -- cameras -----------------------------------------------------------------------------------

export function showCameras(main) {
  const body = el("tbody");
  const table = el("table", { id: "cameras" },
    el("caption", {}, "Viewing a camera starts it if it is not running."),
    el("thead", {}, el("tr", {}, ["Camera", "Aliases", "Groups", "Instance", "Actions"].map(
      (name) => el("th", { scope: "col" }, name)))),
    body);
  main.append(el("h2", {}, "Cameras"), el("div", { class: "table-wrap" }, table));

  let handle = null;
  const create = (item) => {
    const name = item.name;
    const config = el("pre", { class: "block", hidden: true });
    const configButton = el("button", {
      type: "button",
      "aria-expanded": "false",
      onclick: async () => {
        const open = configButton.getAttribute("aria-expanded") === "true";
        configButton.setAttribute("aria-expanded", String(!open));
        config.hidden = open;
        if (!open) {
          const data = await attempt(`Could not read the config of camera ${name}`, () => api.cameraConfig(name));
          config.textContent = data ? JSON.stringify(data.config, null, 2) : "";
        }
      },
    }, "Config");
    const stop = el("button", {
      type: "button",
      class: "danger",
      "aria-label": `Stop camera ${name}`,
      onclick: async () => {
        await stopInstance("camera", name);
        handle.refresh();
      },
    }, "Stop");
    const row = el("tr", {},
      el("td", {}, el("span", { class: "mono" }, name)), el("td"), el("td"), el("td"),
      el("td", { class: "actions" }, el("a", { href: viewLink("camera", name) }, "View"), stop, configButton, config));
    row.stopButton = stop;
    return row;
  };
  const update = (row, item) => {
    setText(row.children[1], item.aliases.join(", ") || "–");
    setText(row.children[2], item.groups.join(", ") || "–");
    row.children[3].replaceChildren(item.instance ? stateBadge(item.instance.state) : el("span", { class: "muted" }, "not running"));
    row.stopButton.disabled = !(item.instance && item.instance.active);
  };
  handle = every(async () => {
    const [names, aliases, groups, instances] = await Promise.all([
      attempt("Could not list the cameras", api.cameras),
      attempt("Could not read the camera aliases", api.cameraAliases),
      attempt("Could not read the camera groups", api.cameraGroups),
      attempt("Could not list the instances", api.instances),
    ]);
    if (!names) return;
    const running = new Map((instances?.instances || []).filter((i) => i.kind === "camera").map((i) => [i.instance_id, i]));
    const items = names.cameras.map((name) => ({
      name,
      aliases: Object.entries(aliases?.aliases || {}).filter(([, camera]) => camera === name).map(([alias]) => alias),
      groups: Object.entries(groups?.groups || {}).filter(([, members]) => members.includes(name)).map(([group]) => group),
      instance: running.get(name),
    }));
    syncRows(body, items, { key: (item) => item.name, create, update });
  });
  return handle;
}

// -- pipelines ---------------------------------------------------------------------------------

export function showPipelines(main) {
  const select = el("select", { id: "start-pipeline", name: "pipeline", required: true });
  const instanceInput = el("input", { id: "start-instance-id", name: "instance_id", autocomplete: "off", placeholder: "a new id" });
  const form = el("form", { class: "toolbar", "aria-labelledby": "start-heading" },
    el("label", { for: "start-pipeline" }, "Pipeline", select),
    el("label", { for: "start-instance-id" }, "Instance id (optional)", instanceInput),
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
  main.append(el("h2", {}, "Pipelines"), el("h3", { id: "start-heading" }, "Start an instance"), form,
    el("h3", {}, "Saved pipelines"), el("div", { class: "table-wrap" }, table));

  const configs = new Map();
  let handle = null;
  const create = (item) => {
    const name = item.name;
    const config = el("pre", { class: "block", hidden: true });
    const configButton = el("button", {
      type: "button",
      "aria-expanded": "false",
      onclick: () => {
        const open = configButton.getAttribute("aria-expanded") === "true";
        configButton.setAttribute("aria-expanded", String(!open));
        config.hidden = open;
        config.textContent = JSON.stringify(configs.get(name) || {}, null, 2);
      },
    }, "Config");
    const start = el("button", {
      type: "button",
      "aria-label": `Start an instance of ${name}`,
      onclick: () => {
        select.value = name;
        instanceInput.focus();
      },
    }, "Start…");
    return el("tr", {},
      el("td", {}, el("span", { class: "mono" }, name)), el("td"), el("td"), el("td"),
      el("td", { class: "actions" }, el("a", { href: viewLink("pipeline", name) }, "View"), start, configButton, config));
  };
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
    const missing = names.pipelines.filter((name) => !configs.has(name));
    await Promise.all(missing.map(async (name) => {
      try {
        configs.set(name, (await api.pipelineConfig(name)).config);
      } catch (error) {
        configs.set(name, { error: error.message });
      }
    }));
    const selected = select.value;
    if ([...select.options].map((option) => option.value).join() !== names.pipelines.join()) {
      select.replaceChildren(...names.pipelines.map((name) => el("option", { value: name }, name)));
      if (names.pipelines.includes(selected)) select.value = selected;
    }
    const active = (instances?.instances || []).filter((i) => i.kind === "pipeline" && i.active);
    const items = names.pipelines.map((name) => ({
      name,
      instances: active.filter((i) => i.config_name === name || i.instance_id === name).map((i) => i.instance_id),
    }));
    syncRows(body, items, { key: (item) => item.name, create, update });
  });
  return handle;
}

// -- logs --------------------------------------------------------------------------------------

export function showLogs(main, instance) {
  const title = instance ? `Log of instance ${instance}` : "Server log";
  const body = el("tbody");
  const refresh = el("button", { type: "button", onclick: () => load() }, "Refresh");
  const follow = el("input", { type: "checkbox", id: "follow-log", checked: true });
  main.append(
    el("h2", {}, title),
    el("div", { class: "toolbar" }, refresh, el("label", { for: "follow-log", class: "inline" }, follow, "Refresh every 2 s")),
    el("div", { class: "table-wrap" }, el("table", { id: "log" },
      el("thead", {}, el("tr", {}, ["Time", "Source", "Level", "Message"].map((name) => el("th", { scope: "col" }, name)))),
      body)),
  );
  const load = async () => {
    let data;
    try {
      data = instance ? await api.instanceLogs(instance) : await api.serverLogs();
    } catch (error) {
      showError(`Could not read the ${instance ? `log of ${instance}` : "server log"}`, error);
      return;
    }
    const records = data.logs.slice(-500).reverse();
    body.replaceChildren(...records.map(([time, source, level, message]) =>
      el("tr", { class: `log-level-${level}` }, el("td", { class: "mono" }, time), el("td", {}, source),
        el("td", {}, level), el("td", {}, message))));
    if (!records.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No records yet.")));
  };
  const handle = every(async () => {
    if (follow.checked) await load();
  });
  return handle;
}
