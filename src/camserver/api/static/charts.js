// @ts-check
// Strip charts: the history of scalar channels, drawn on canvases. Every frame of the viewer
// carries the followed channels of every message the server read since the frame before, so the
// charts have the stream's full rate wherever the server reads it whole. Charts can be paused,
// zoomed in time (drag across a chart; "Live" returns), and exported as CSV (made in the browser).

import { el, figure, setText } from "./dom.js";
import { OVERLAY_COLOURS, sizeCanvas, tickLabel, ticks } from "./drawing.js";

/** @typedef {import("./messages.js").HistoryMessage} HistoryMessage */

/** points kept per channel; the oldest go first */
const MAX_POINTS = 200_000;
const CHART_HEIGHT = 92;
const LEFT = 64;
const WINDOWS = [[10, "10 s"], [30, "30 s"], [60, "1 min"], [300, "5 min"], [900, "15 min"], [3600, "1 h"]];
const COLOURS = ["#0550ae", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#0a7d8c", "#9a6700", "#d1247a"];

/** The values of the followed channels, by time. */
export class HistoryStore {
  constructor() {
    /** @type {number[]} seconds since the epoch (the message's timestamp, else its arrival) */
    this.time = [];
    /** @type {number[]} */
    this.pulse = [];
    /** @type {Map<string, (number | null)[]>} */
    this.series = new Map();
    this.lost = 0;
  }

  /** @param {HistoryMessage} batch */
  add(batch) {
    const now = Date.now() / 1000;
    const start = this.time.length;
    for (let index = 0; index < batch.pulse_id.length; index += 1) {
      this.time.push(batch.time[index] ?? now);
      this.pulse.push(batch.pulse_id[index]);
    }
    for (const [name, values] of Object.entries(batch.values)) {
      let series = this.series.get(name);
      if (!series) {
        series = new Array(start).fill(null);
        this.series.set(name, series);
      }
      for (const value of values) series.push(value);
    }
    for (const series of this.series.values()) while (series.length < this.time.length) series.push(null);
    this.lost += batch.lost;
    if (this.time.length > MAX_POINTS) {
      const drop = this.time.length - MAX_POINTS + MAX_POINTS / 10;
      this.time.splice(0, drop);
      this.pulse.splice(0, drop);
      for (const series of this.series.values()) series.splice(0, drop);
    }
  }

  clear() {
    this.time = [];
    this.pulse = [];
    this.series = new Map();
  }

  /**
   * The stored points as CSV: pulse_id, time (ISO 8601 and seconds), one column per channel.
   * @param {string[]} channels
   */
  csv(channels) {
    const lines = [["pulse_id", "time", "time_s", ...channels].join(",")];
    for (let index = 0; index < this.time.length; index += 1) {
      const row = [this.pulse[index], new Date(this.time[index] * 1000).toISOString(), this.time[index].toFixed(6)];
      for (const name of channels) {
        const value = this.series.get(name)?.[index];
        row.push(value === null || value === undefined ? "" : String(value));
      }
      lines.push(row.join(","));
    }
    return `${lines.join("\n")}\n`;
  }
}

/**
 * The strip charts panel.
 * @param {{title: string, channels: string[], maxChannels: number, onChannels: (channels: string[]) => void}} options
 */
export function createStripCharts({ title, channels, maxChannels, onChannels }) {
  const store = new HistoryStore();
  let followed = [...channels];
  let paused = false;
  /** @type {[number, number] | null} */
  let zoom = null;
  let windowSeconds = 60;
  let pending = false;
  /** @type {Set<string>} */
  const known = new Set(channels);

  const windowSelect = el("select", { id: "chart-window" },
    WINDOWS.map(([seconds, label]) => el("option", { value: seconds, selected: seconds === windowSeconds }, label)));
  const pause = el("button", { type: "button", id: "chart-pause", "aria-pressed": "false" }, "Pause");
  const live = el("button", { type: "button", id: "chart-live", disabled: true }, "Live (reset zoom)");
  const exportCsv = el("button", { type: "button", id: "chart-csv" }, "Export CSV");
  const note = el("span", { class: "muted", id: "chart-note" }, "");
  const chooserList = el("div", { class: "chooser" });
  const chooser = el("details", { class: "chart-channels" }, el("summary", {}, "Channels charted"), chooserList);
  const charts = el("div", { class: "charts", id: "strip-charts" });
  const element = el("section", { class: "panel charts-panel", "aria-labelledby": "charts-heading" },
    el("div", { class: "charts-head" },
      el("h3", { id: "charts-heading" }, title),
      el("label", { for: "chart-window", class: "inline" }, "Window", windowSelect),
      pause, live, exportCsv, note),
    chooser, charts,
    el("p", { class: "form-note" }, "Drag across a chart to zoom in time; the charts pause until Live."));

  /** @type {Map<string, {canvas: HTMLCanvasElement, value: HTMLElement, row: HTMLElement}>} */
  const rows = new Map();

  function layoutRows() {
    for (const [name, row] of rows) if (!followed.includes(name)) {
      row.row.remove();
      rows.delete(name);
    }
    followed.forEach((name, index) => {
      if (rows.has(name)) return;
      const canvas = el("canvas", { class: "strip-chart", role: "img", "aria-label": `History of ${name}`, dataset: { channel: name, points: "0" } });
      const value = el("span", { class: "chart-value" }, "–");
      const row = el("div", { class: "chart-row" },
        el("div", { class: "chart-label" }, el("span", { class: "swatch", style: `background:${COLOURS[index % COLOURS.length]}` }), el("span", { class: "mono" }, name), value),
        canvas);
      attachZoom(canvas);
      rows.set(name, { canvas, value, row });
      charts.append(row);
    });
    schedule();
  }

  function refreshChooser() {
    chooserList.replaceChildren(...[...known].sort().map((name) => {
      const id = `chart-channel-${name}`;
      const input = el("input", { type: "checkbox", id, checked: followed.includes(name), value: name });
      input.addEventListener("change", () => {
        const chosen = [...chooserList.querySelectorAll("input:checked")].map((box) => /** @type {HTMLInputElement} */ (box).value);
        if (chosen.length > maxChannels) {
          input.checked = false;
          setText(note, `At most ${maxChannels} channels.`);
          return;
        }
        followed = chosen;
        layoutRows();
        onChannels(followed);
      });
      return el("label", { for: id, class: "inline mono" }, input, name);
    }));
  }

  /** The time range shown: [start, end] in seconds since the epoch. */
  function range() {
    if (zoom) return zoom;
    const end = store.time.length ? store.time[store.time.length - 1] : Date.now() / 1000;
    return /** @type {[number, number]} */ ([end - windowSeconds, end]);
  }

  /** @param {HTMLCanvasElement} canvas */
  function attachZoom(canvas) {
    /** @type {number | null} */
    let startX = null;
    canvas.addEventListener("pointerdown", (event) => {
      startX = event.offsetX;
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointerup", (event) => {
      if (startX === null) return;
      const width = canvas.clientWidth - LEFT;
      const [from, to] = range();
      const a = Math.min(startX, event.offsetX) - LEFT;
      const b = Math.max(startX, event.offsetX) - LEFT;
      startX = null;
      if (b - a < 4 || width <= 0) return;
      zoom = [from + (a / width) * (to - from), from + (b / width) * (to - from)];
      setPaused(true);
      live.disabled = false;
      schedule();
    });
  }

  /** @param {boolean} value */
  function setPaused(value) {
    paused = value;
    pause.setAttribute("aria-pressed", String(paused));
    setText(pause, paused ? "Resume" : "Pause");
  }

  pause.addEventListener("click", () => {
    setPaused(!paused);
    if (!paused) {
      zoom = null;
      live.disabled = true;
    }
    schedule();
  });
  live.addEventListener("click", () => {
    zoom = null;
    live.disabled = true;
    setPaused(false);
    schedule();
  });
  windowSelect.addEventListener("change", () => {
    windowSeconds = Number(windowSelect.value);
    schedule();
  });
  exportCsv.addEventListener("click", () => {
    const blob = new Blob([store.csv(followed)], { type: "text/csv" });
    const link = el("a", { href: URL.createObjectURL(blob), download: `${title.replace(/\W+/g, "_")}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });

  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  }

  function draw() {
    const [from, to] = range();
    let first = 0;
    while (first < store.time.length && store.time[first] < from) first += 1;
    let last = store.time.length;
    while (last > first && store.time[last - 1] > to) last -= 1;
    followed.forEach((name, index) => {
      const row = rows.get(name);
      if (!row) return;
      const width = Math.max(200, charts.clientWidth - 4);
      sizeCanvas(row.canvas, width, CHART_HEIGHT);
      const series = store.series.get(name) || [];
      const latest = series.length ? series[series.length - 1] : null;
      setText(row.value, figure(latest, 6));
      drawChart(row.canvas, store.time, series, first, last, from, to, COLOURS[index % COLOURS.length]);
      row.canvas.dataset.points = String(last - first);
      row.canvas.dataset.last = last > first ? String(store.time[last - 1]) : "";
    });
    setText(note, `${store.time.length.toLocaleString("en-US")} messages kept` + (store.lost ? `, ${store.lost} not received in time` : "") + (paused ? " (paused)" : ""));
  }

  return {
    element,
    store,
    /** @param {HistoryMessage} batch @param {Record<string, any>} scalars */
    add(batch, scalars) {
      store.add(batch);
      let grown = false;
      for (const [name, value] of Object.entries(scalars)) {
        if (typeof value === "number" && !known.has(name)) {
          known.add(name);
          grown = true;
        }
      }
      if (grown) refreshChooser();
      if (!paused) schedule();
    },
    start() {
      refreshChooser();
      layoutRows();
    },
    /** The channels followed now. */
    channels: () => [...followed],
  };
}

/**
 * One chart: the points [first, last) of `series` against `time`, from `from` to `to`.
 * @param {HTMLCanvasElement} canvas
 * @param {number[]} time
 * @param {(number | null)[]} series
 * @param {number} first
 * @param {number} last
 * @param {number} from
 * @param {number} to
 * @param {string} colour
 */
function drawChart(canvas, time, series, first, last, from, to, colour) {
  const context = canvas.getContext("2d");
  const ratio = canvas.width / parseFloat(canvas.style.width);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  const width = parseFloat(canvas.style.width);
  const height = parseFloat(canvas.style.height);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  const plot = { left: LEFT, top: 6, width: width - LEFT - 8, height: height - 24 };
  let low = Infinity;
  let high = -Infinity;
  for (let index = first; index < last; index += 1) {
    const value = series[index];
    if (value === null || value === undefined) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  if (!Number.isFinite(low)) [low, high] = [0, 1];
  if (!(high > low)) [low, high] = [low - Math.max(1e-9, Math.abs(low) * 0.01), high + Math.max(1e-9, Math.abs(high) * 0.01)];
  const pad = (high - low) * 0.08;
  low -= pad;
  high += pad;
  /** @param {number} t */
  const x = (t) => plot.left + ((t - from) / (to - from)) * plot.width;
  /** @param {number} v */
  const y = (v) => plot.top + (1 - (v - low) / (high - low)) * plot.height;
  context.font = "11px system-ui, sans-serif";
  context.strokeStyle = "#d0d7de";
  context.fillStyle = "#57606a";
  context.lineWidth = 1;
  context.textAlign = "right";
  context.textBaseline = "middle";
  const values = ticks(low, high, 3);
  const step = values.length > 1 ? values[1] - values[0] : 1;
  context.beginPath();
  for (const value of values) {
    context.moveTo(plot.left, y(value));
    context.lineTo(plot.left + plot.width, y(value));
    context.fillText(tickLabel(value, step), plot.left - 4, y(value));
  }
  context.stroke();
  context.textAlign = "center";
  context.textBaseline = "top";
  const seconds = ticks(from, to, Math.max(2, Math.floor(plot.width / 110)));
  for (const t of seconds) {
    const when = new Date(t * 1000);
    const label = to - from < 20
      ? `${when.toLocaleTimeString("en-GB")}.${String(when.getMilliseconds()).padStart(3, "0").slice(0, 1)}`
      : when.toLocaleTimeString("en-GB");
    const half = context.measureText(label).width / 2;
    context.fillText(label, Math.min(Math.max(x(t), plot.left + half), width - half - 2), plot.top + plot.height + 4);
  }
  context.save();
  context.beginPath();
  context.rect(plot.left, plot.top, plot.width, plot.height);
  context.clip();
  context.strokeStyle = colour;
  context.lineWidth = 1.5;
  context.beginPath();
  let drawing = false;
  // more points than pixels: one vertical min-max stroke per pixel column
  const dense = last - first > plot.width * 2;
  if (dense) {
    let column = -1;
    let columnLow = 0;
    let columnHigh = 0;
    for (let index = first; index <= last; index += 1) {
      const value = index < last ? series[index] : null;
      const at = index < last ? Math.floor(x(time[index])) : Infinity;
      if (at !== column || index === last) {
        if (column >= 0) {
          context.moveTo(column + 0.5, y(columnLow));
          context.lineTo(column + 0.5, y(columnHigh) - 0.5);
        }
        column = value === null || value === undefined ? -1 : at;
        if (column >= 0) columnLow = columnHigh = /** @type {number} */ (value);
      } else if (value !== null && value !== undefined) {
        if (column < 0) {
          column = at;
          columnLow = columnHigh = value;
        }
        columnLow = Math.min(columnLow, value);
        columnHigh = Math.max(columnHigh, value);
      }
    }
  } else {
    for (let index = first; index < last; index += 1) {
      const value = series[index];
      if (value === null || value === undefined) {
        drawing = false;
        continue;
      }
      if (drawing) context.lineTo(x(time[index]), y(value));
      else context.moveTo(x(time[index]), y(value));
      drawing = true;
    }
  }
  context.stroke();
  context.restore();
  context.strokeStyle = OVERLAY_COLOURS.grid;
}
