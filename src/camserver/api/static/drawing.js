// @ts-check
// Drawing on canvases: overlays on the image, axes with ticks, the colour bar, the histogram of
// the shown pixels, and the x and y profiles beside the image. Positions arrive in image pixels;
// `view` ({x, y, width, height}) is the part of the image shown.

/** @typedef {import("./messages.js").FrameMessage} FrameMessage */
/** @typedef {import("./messages.js").AxisMessage} AxisMessage */
/** @typedef {{x: number, y: number, width: number, height: number}} View */

export const OVERLAY_COLOURS = {
  centerOfMass: "#ffffff",
  fit: "#ffd60a",
  goodRegion: "#00e5ff",
  slices: "#ff4fd8",
  roi: "#7CFC00",
  profile: "#8fd3ff",
  fitLine: "#ffd60a",
  axis: "#c9d1d9",
  grid: "rgba(201, 209, 217, 0.25)",
  level: "#ffb000",
};

const FONT = "12px system-ui, sans-serif";

/** @returns {number} canvas pixels per CSS pixel */
export function pixelRatio() {
  return window.devicePixelRatio || 1;
}

/**
 * Size a canvas to `width` x `height` CSS pixels, sharp on this screen.
 * @param {HTMLCanvasElement} canvas
 * @param {number} width
 * @param {number} height
 */
export function sizeCanvas(canvas, width, height) {
  const ratio = pixelRatio();
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
}

/**
 * A 2-D context drawing in CSS pixels.
 * @param {HTMLCanvasElement} canvas
 */
function cssContext(canvas) {
  const context = canvas.getContext("2d");
  const ratio = canvas.width / (parseFloat(canvas.style.width) || canvas.width);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

/**
 * A mapping from image pixels to canvas pixels for a canvas showing `view`.
 * @param {HTMLCanvasElement} canvas
 * @param {View} view
 */
export function imageToCanvas(canvas, view) {
  const sx = canvas.width / view.width;
  const sy = canvas.height / view.height;
  return {
    /** @param {number} ix */
    x: (ix) => (ix - view.x) * sx,
    /** @param {number} iy */
    y: (iy) => (iy - view.y) * sy,
    sx,
    sy,
  };
}

/**
 * @param {CanvasRenderingContext2D} context
 * @param {string} colour
 * @param {number} width
 * @param {() => void} draw
 */
function outlined(context, colour, width, draw) {
  context.save();
  context.lineWidth = width + 2;
  context.strokeStyle = "rgba(0, 0, 0, 0.75)";
  draw();
  context.stroke();
  context.lineWidth = width;
  context.strokeStyle = colour;
  draw();
  context.stroke();
  context.restore();
}

/**
 * Centre of mass, Gaussian fit (1 sigma ellipse), good region and slices.
 * @param {HTMLCanvasElement} canvas
 * @param {FrameMessage | null} frame
 * @param {{centerOfMass: boolean, fit: boolean, goodRegion: boolean, slices: boolean}} shown
 */
export function drawOverlays(canvas, frame, shown) {
  const context = canvas.getContext("2d");
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!frame || !shown) return;
  const overlays = frame.overlays;
  const map = imageToCanvas(canvas, frame.view);
  const ratio = pixelRatio();
  const line = 1.5 * ratio;
  if (shown.goodRegion && overlays.good_region) {
    const region = overlays.good_region;
    outlined(context, OVERLAY_COLOURS.goodRegion, line, () => {
      context.beginPath();
      context.rect(map.x(region.x0), map.y(region.y0), (region.x1 - region.x0) * map.sx, (region.y1 - region.y0) * map.sy);
    });
  }
  if (shown.fit && overlays.fit && overlays.fit.sigma_x && overlays.fit.sigma_y) {
    const fit = overlays.fit;
    outlined(context, OVERLAY_COLOURS.fit, line, () => {
      context.beginPath();
      context.setLineDash([6 * ratio, 4 * ratio]);
      context.ellipse(map.x(fit.x), map.y(fit.y), Math.max(1, fit.sigma_x * map.sx), Math.max(1, fit.sigma_y * map.sy), 0, 0, 2 * Math.PI);
    });
  }
  if (shown.slices && overlays.slices) {
    for (const slice of overlays.slices) {
      const cx = map.x(slice.x);
      const cy = map.y(slice.y);
      const half = slice.sigma ? slice.sigma * (slice.orientation === "vertical" ? map.sx : map.sy) : 4 * ratio;
      outlined(context, OVERLAY_COLOURS.slices, line, () => {
        context.beginPath();
        if (slice.orientation === "vertical") {
          context.moveTo(cx - half, cy);
          context.lineTo(cx + half, cy);
        } else {
          context.moveTo(cx, cy - half);
          context.lineTo(cx, cy + half);
        }
        context.moveTo(cx + 2.5 * ratio, cy);
        context.arc(cx, cy, 2.5 * ratio, 0, 2 * Math.PI);
      });
    }
  }
  if (shown.centerOfMass && overlays.center_of_mass) {
    const cx = map.x(overlays.center_of_mass.x);
    const cy = map.y(overlays.center_of_mass.y);
    const arm = 9 * ratio;
    outlined(context, OVERLAY_COLOURS.centerOfMass, line, () => {
      context.beginPath();
      context.moveTo(cx - arm, cy);
      context.lineTo(cx + arm, cy);
      context.moveTo(cx, cy - arm);
      context.lineTo(cx, cy + arm);
    });
  }
}

/**
 * A rectangle being drawn (zoom or ROI), in canvas pixels.
 * @param {HTMLCanvasElement} canvas
 * @param {{x: number, y: number, width: number, height: number}} rect
 * @param {string} colour
 */
export function drawRubberBand(canvas, rect, colour) {
  const context = canvas.getContext("2d");
  outlined(context, colour, 1.5 * pixelRatio(), () => {
    context.beginPath();
    context.setLineDash([5, 3]);
    context.rect(rect.x, rect.y, rect.width, rect.height);
  });
}

/**
 * "Nice" tick values between `low` and `high` (about `count` of them).
 * @param {number} low
 * @param {number} high
 * @param {number} count
 * @returns {number[]}
 */
export function ticks(low, high, count) {
  const lo = Math.min(low, high);
  const hi = Math.max(low, high);
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const rough = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) || 10 * power;
  const values = [];
  for (let value = Math.ceil(lo / step) * step; value <= hi + step * 1e-9; value += step) {
    values.push(Math.abs(value) < step * 1e-9 ? 0 : value);
    if (values.length > 50) break;
  }
  return values;
}

/**
 * A tick label: short, with as many decimals as the step needs.
 * @param {number} value
 * @param {number} step
 */
export function tickLabel(value, step) {
  const magnitude = Math.max(Math.abs(value), Math.abs(step));
  if (magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-3)) return value.toExponential(1);
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

/**
 * The axes around the image: ticks and labels along the left and the bottom edge of the image
 * area `box` (CSS pixels inside `canvas`), in calibrated units where the frame has them and
 * `calibrated` asks for them, else in image pixels of `view`.
 * @param {HTMLCanvasElement} canvas
 * @param {{left: number, top: number, width: number, height: number}} box
 * @param {{x: AxisMessage, y: AxisMessage}} axes
 * @param {View} view
 * @param {boolean} calibrated
 */
export function drawAxes(canvas, box, axes, view, calibrated) {
  const context = cssContext(canvas);
  const width = parseFloat(canvas.style.width);
  const height = parseFloat(canvas.style.height);
  context.clearRect(0, 0, width, height);
  context.font = FONT;
  context.fillStyle = OVERLAY_COLOURS.axis;
  context.strokeStyle = OVERLAY_COLOURS.axis;
  context.lineWidth = 1;
  for (const name of /** @type {("x" | "y")[]} */ (["x", "y"])) {
    const axis = axes[name];
    const horizontal = name === "x";
    const length = horizontal ? box.width : box.height;
    const useUnits = calibrated && axis.calibrated;
    const from = useUnits ? axis.start : horizontal ? view.x : view.y;
    const to = useUnits ? axis.end : horizontal ? view.x + view.width : view.y + view.height;
    const values = ticks(from, to, Math.max(2, Math.floor(length / (horizontal ? 80 : 45))));
    const step = values.length > 1 ? Math.abs(values[1] - values[0]) : 1;
    context.textAlign = horizontal ? "center" : "right";
    context.textBaseline = horizontal ? "top" : "middle";
    context.beginPath();
    for (const value of values) {
      const fraction = (value - from) / (to - from);
      if (!(fraction >= -1e-6 && fraction <= 1 + 1e-6)) continue;
      if (horizontal) {
        const x = box.left + fraction * box.width;
        const y = box.top + box.height;
        context.moveTo(x, y);
        context.lineTo(x, y + 5);
        context.fillText(tickLabel(value, step), x, y + 7);
      } else {
        const y = box.top + fraction * box.height;
        context.moveTo(box.left, y);
        context.lineTo(box.left - 5, y);
        context.fillText(tickLabel(value, step), box.left - 7, y);
      }
    }
    context.stroke();
    const unit = useUnits ? axis.unit : "px";
    context.save();
    if (horizontal) {
      context.textAlign = "left";
      context.textBaseline = "top";
      context.fillText(`x (${unit})`, box.left, box.top + box.height + 20);
    } else {
      context.translate(10, box.top + box.height / 2);
      context.rotate(-Math.PI / 2);
      context.textAlign = "center";
      context.textBaseline = "middle";
      context.fillText(`y (${unit})`, 0, 0);
    }
    context.restore();
  }
}

/**
 * The colour bar: the colour map from the low level (bottom) to the high level (top), with ticks
 * in pixel values.
 * @param {HTMLCanvasElement} canvas
 * @param {string[]} table the colour map, 256 CSS colours
 * @param {number} low
 * @param {number} high
 */
export function drawColourBar(canvas, table, low, high) {
  const context = cssContext(canvas);
  const width = parseFloat(canvas.style.width);
  const height = parseFloat(canvas.style.height);
  context.clearRect(0, 0, width, height);
  const bar = { left: 2, top: 8, width: 14, height: height - 16 };
  for (let index = 0; index < 256; index += 1) {
    context.fillStyle = table[Math.floor((index * table.length) / 256)] || "#000";
    const y = bar.top + bar.height * (1 - (index + 1) / 256);
    context.fillRect(bar.left, y, bar.width, bar.height / 256 + 0.6);
  }
  context.strokeStyle = OVERLAY_COLOURS.axis;
  context.strokeRect(bar.left + 0.5, bar.top + 0.5, bar.width - 1, bar.height - 1);
  context.font = FONT;
  context.fillStyle = OVERLAY_COLOURS.axis;
  context.textAlign = "left";
  context.textBaseline = "middle";
  const values = ticks(low, high, Math.max(2, Math.floor(bar.height / 45)));
  const step = values.length > 1 ? values[1] - values[0] : Math.max(1e-9, high - low);
  context.beginPath();
  for (const value of values) {
    const y = bar.top + bar.height * (1 - (value - low) / (high - low));
    context.moveTo(bar.left + bar.width, y);
    context.lineTo(bar.left + bar.width + 4, y);
    context.fillText(tickLabel(value, step), bar.left + bar.width + 6, y);
  }
  context.stroke();
}

/**
 * The histogram of the shown pixels (counts on a log scale) with the levels as two handles.
 * @param {HTMLCanvasElement} canvas
 * @param {import("./messages.js").HistogramMessage | null} histogram
 * @param {number} low
 * @param {number} high
 * @returns {{toValue: (x: number) => number, toX: (value: number) => number} | null} the value scale
 */
export function drawHistogram(canvas, histogram, low, high) {
  const context = cssContext(canvas);
  const width = parseFloat(canvas.style.width);
  const height = parseFloat(canvas.style.height);
  context.fillStyle = "#0d1117";
  context.fillRect(0, 0, width, height);
  if (!histogram) return null;
  const plot = { left: 4, top: 4, width: width - 8, height: height - 22 };
  const from = histogram.low;
  const to = histogram.high > histogram.low ? histogram.high : histogram.low + 1;
  /** @param {number} value */
  const toX = (value) => plot.left + ((value - from) / (to - from)) * plot.width;
  /** @param {number} x */
  const toValue = (x) => from + ((x - plot.left) / plot.width) * (to - from);
  const most = Math.max(1, ...histogram.counts);
  const bins = histogram.counts.length;
  context.fillStyle = "#8fd3ff";
  histogram.counts.forEach((count, index) => {
    if (!count) return;
    const barHeight = (Math.log1p(count) / Math.log1p(most)) * plot.height;
    context.fillRect(plot.left + (index / bins) * plot.width, plot.top + plot.height - barHeight, plot.width / bins + 0.5, barHeight);
  });
  context.font = "11px system-ui, sans-serif";
  context.fillStyle = OVERLAY_COLOURS.axis;
  context.textBaseline = "top";
  const values = ticks(from, to, 4);
  const step = values.length > 1 ? values[1] - values[0] : 1;
  for (const value of values) {
    context.textAlign = "center";
    context.fillText(tickLabel(value, step), Math.min(Math.max(toX(value), 14), width - 14), plot.top + plot.height + 4);
  }
  for (const level of [low, high]) {
    const x = toX(level);
    context.fillStyle = OVERLAY_COLOURS.level;
    context.fillRect(x - 1, plot.top, 2, plot.height);
    context.beginPath();
    context.moveTo(x - 5, plot.top);
    context.lineTo(x + 5, plot.top);
    context.lineTo(x, plot.top + 7);
    context.fill();
  }
  if (histogram.above) {
    context.fillStyle = OVERLAY_COLOURS.axis;
    context.textAlign = "right";
    context.fillText(`+${histogram.above} above`, width - 4, plot.top);
  }
  return { toValue, toX };
}

/**
 * @param {(number | null)[]} values
 * @returns {[number, number]}
 */
function extent(values) {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value === null) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  if (!Number.isFinite(low)) return [0, 1];
  return high > low ? [low, high] : [low - 1, high + 1];
}

/**
 * @param {CanvasRenderingContext2D} context
 * @param {(number | null)[]} values
 * @param {(index: number, value: number) => [number, number]} place
 * @param {string} colour
 * @param {boolean} dashed
 */
function polyline(context, values, place, colour, dashed) {
  context.save();
  context.strokeStyle = colour;
  context.lineWidth = 1.5 * pixelRatio();
  if (dashed) context.setLineDash([5, 3]);
  context.beginPath();
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    const [px, py] = place(index, value);
    if (drawing) context.lineTo(px, py);
    else context.moveTo(px, py);
    drawing = true;
  });
  context.stroke();
  context.restore();
}

/**
 * A profile along `axis` ("x": under the image, values upwards; "y": beside it, values to the
 * right) with its fit, if any, and the largest value written in a corner.
 * @param {HTMLCanvasElement} canvas
 * @param {import("./messages.js").ProfileData} profile
 * @param {View} view
 * @param {"x" | "y"} axis
 */
export function drawProfile(canvas, profile, view, axis) {
  const context = canvas.getContext("2d");
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!profile || !profile.values || !profile.values.length) return;
  const [low, high] = extent(profile.fit ? [...profile.values, ...profile.fit] : profile.values);
  const along = axis === "x" ? canvas.width : canvas.height;
  const across = axis === "x" ? canvas.height : canvas.width;
  const origin = axis === "x" ? view.x : view.y;
  const length = axis === "x" ? view.width : view.height;
  const margin = 3;
  /** @type {(index: number, value: number) => [number, number]} */
  const place = (index, value) => {
    const pixel = profile.start + (index + 0.5) * profile.step;
    const a = ((pixel - origin) / length) * along;
    const level = margin + ((value - low) / (high - low)) * (across - 2 * margin);
    return axis === "x" ? [a, across - level] : [level, a];
  };
  polyline(context, profile.values, place, OVERLAY_COLOURS.profile, false);
  if (profile.fit) polyline(context, profile.fit, place, OVERLAY_COLOURS.fitLine, true);
  const ratio = pixelRatio();
  context.font = `${11 * ratio}px system-ui, sans-serif`;
  context.fillStyle = OVERLAY_COLOURS.axis;
  context.textAlign = "right";
  context.textBaseline = "top";
  context.fillText(`max ${tickLabel(high, Math.max(1e-9, (high - low) / 100))}`, canvas.width - 3 * ratio, 2 * ratio);
}
