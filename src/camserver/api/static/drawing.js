// Drawing on canvases: overlays on the image, and the x and y profiles beside it.
// Positions arrive in image pixels; `view` ({x, y, width, height}) is the part of the image shown.

export const OVERLAY_COLOURS = {
  centerOfMass: "#ffffff",
  fit: "#ffd60a",
  goodRegion: "#00e5ff",
  slices: "#ff4fd8",
  roi: "#7CFC00",
  profile: "#8fd3ff",
  fitLine: "#ffd60a",
};

/** A mapping from image pixels to canvas pixels for a canvas showing `view`. */
export function imageToCanvas(canvas, view) {
  const sx = canvas.width / view.width;
  const sy = canvas.height / view.height;
  return {
    x: (ix) => (ix - view.x) * sx,
    y: (iy) => (iy - view.y) * sy,
    sx,
    sy,
  };
}

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

/** Centre of mass, Gaussian fit (1 sigma ellipse), good region and slices. */
export function drawOverlays(canvas, frame, shown) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!frame || !shown) return;
  const overlays = frame.overlays || {};
  const map = imageToCanvas(canvas, frame.view);
  const ratio = window.devicePixelRatio || 1;
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

/** A rectangle being drawn (zoom or ROI), in canvas pixels. */
export function drawRubberBand(canvas, rect, colour) {
  const context = canvas.getContext("2d");
  outlined(context, colour, 1.5 * (window.devicePixelRatio || 1), () => {
    context.beginPath();
    context.setLineDash([5, 3]);
    context.rect(rect.x, rect.y, rect.width, rect.height);
  });
}

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

function polyline(context, values, place, colour, dashed) {
  context.save();
  context.strokeStyle = colour;
  context.lineWidth = 1.5 * (window.devicePixelRatio || 1);
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
 * right) with its fit, if any. `profile` is {start, step, values, fit?} in image pixels.
 */
export function drawProfile(canvas, profile, view, axis) {
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!profile || !profile.values || !profile.values.length) return;
  const [low, high] = extent(profile.fit ? [...profile.values, ...profile.fit] : profile.values);
  const along = axis === "x" ? canvas.width : canvas.height;
  const across = axis === "x" ? canvas.height : canvas.width;
  const origin = axis === "x" ? view.x : view.y;
  const length = axis === "x" ? view.width : view.height;
  const margin = 3;
  const place = (index, value) => {
    const pixel = profile.start + (index + 0.5) * profile.step;
    const a = ((pixel - origin) / length) * along;
    const level = margin + ((value - low) / (high - low)) * (across - 2 * margin);
    return axis === "x" ? [a, across - level] : [level, a];
  };
  polyline(context, profile.values, place, OVERLAY_COLOURS.profile, false);
  if (profile.fit) polyline(context, profile.fit, place, OVERLAY_COLOURS.fitLine, true);
}
