// @ts-check
// One live view's connection: the websocket api/v1/viewer/ws. Each frame is one binary message: a
// 4-byte big-endian length, that many bytes of JSON describing the frame, then its JPEG; text
// messages are figures ("status"), raw pixel values ("pixels") and errors. Each frame drawn is
// acknowledged ({"ack": seq}); the server sends at most two frames ahead of the browser. The
// connection retries after a dropped socket, never after the server refused the view.

import { serverUrl } from "./api.js";

const RETRY_MS = 3000;
const decoder = new TextDecoder();

/** @typedef {import("./messages.js").FrameMessage} FrameMessage */
/** @typedef {import("./messages.js").StatusMessage} StatusMessage */
/** @typedef {import("./messages.js").PixelsMessage} PixelsMessage */
/** @typedef {import("./messages.js").ErrorMessage} ErrorMessage */

/**
 * @typedef {object} FeedHandlers What a view does with what arrives.
 * @property {(meta: FrameMessage, bitmap: ImageBitmap) => void} frame a frame to draw (the bitmap is closed after)
 * @property {(message: StatusMessage) => void} [status]
 * @property {(message: PixelsMessage) => void} [pixels]
 * @property {(message: ErrorMessage, refused: boolean) => void} [error] refused: the view ended
 * @property {(state: "connecting" | "live" | "retrying" | "refused", code?: number) => void} [state]
 */

export class ViewerFeed {
  /**
   * @param {"camera" | "pipeline"} kind
   * @param {string} name
   * @param {Record<string, unknown>} settings the initial settings (fps, colormap, min, max, zoom, history, ...)
   * @param {FeedHandlers} handlers
   */
  constructor(kind, name, settings, handlers) {
    this.kind = kind;
    this.name = name;
    this.settings = { ...settings };
    this.handlers = handlers;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.stopped = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {Promise<void>} */
    this.drawing = Promise.resolve();
    this.framesDrawn = 0;
    /** the last close code of a refused view (4000 + HTTP status), 0 while not refused */
    this.refusedCode = 0;
  }

  /** Open (or reopen) the socket. */
  connect() {
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close();
    this.refusedCode = 0;
    this.handlers.state?.("connecting");
    /** @type {Record<string, unknown>} */
    const query = { kind: this.kind, name: this.name };
    for (const [key, value] of Object.entries(this.settings)) {
      if (value === null || value === undefined) continue;
      query[key] = Array.isArray(value) ? value.join(",") || "none" : value;
    }
    const url = serverUrl("api/v1/viewer/ws", query);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const opened = new WebSocket(url);
    opened.binaryType = "arraybuffer";
    this.socket = opened;
    opened.addEventListener("message", (event) => {
      if (this.socket !== opened) return;
      if (typeof event.data === "string") this.receiveText(JSON.parse(event.data));
      else this.receiveFrame(event.data);
    });
    opened.addEventListener("close", (event) => {
      if (this.socket !== opened || this.stopped) return;
      this.socket = null;
      if (event.code >= 4000) {
        this.refusedCode = event.code;
        this.handlers.state?.("refused", event.code);
      } else {
        this.handlers.state?.("retrying", event.code);
        this.retryTimer = setTimeout(() => this.connect(), RETRY_MS);
      }
    });
  }

  /**
   * Change settings (sent at once, and kept for a reconnection).
   * @param {Record<string, unknown>} changes
   */
  update(changes) {
    Object.assign(this.settings, changes);
    this.send(changes);
  }

  /**
   * Ask for the raw values of a region (answered by the `pixels` handler).
   * @param {import("./messages.js").PixelRequest} request
   */
  requestPixels(request) {
    this.send({ pixels: request });
  }

  /** @param {import("./messages.js").BrowserMessage | Record<string, unknown>} message */
  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** @param {any} message */
  receiveText(message) {
    if (message.type === "status") this.handlers.status?.(message);
    else if (message.type === "pixels") this.handlers.pixels?.(message);
    else if (message.type === "error") this.handlers.error?.(message, false);
  }

  /** @param {ArrayBuffer} buffer */
  receiveFrame(buffer) {
    const length = new DataView(buffer).getUint32(0);
    /** @type {FrameMessage} */
    const meta = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, length)));
    const picture = new Blob([new Uint8Array(buffer, 4 + length)], { type: "image/jpeg" });
    this.drawing = this.drawing.then(async () => {
      try {
        const bitmap = await createImageBitmap(picture);
        try {
          this.framesDrawn += 1;
          this.handlers.frame(meta, bitmap);
          this.handlers.state?.("live");
        } finally {
          bitmap.close();
        }
      } finally {
        this.send({ ack: meta.seq });
      }
    }).catch((error) => {
      this.handlers.error?.({ type: "error", state: "error", status: `a frame could not be drawn: ${error}`, error: "Error", code: 0 }, false);
    });
  }

  /** Close for good. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close();
    this.socket = null;
  }
}
