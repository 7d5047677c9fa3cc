// @ts-check
// The REST API as the page uses it: every call returns the envelope's body or throws an ApiError
// whose message is the server's `status`, in words.

const TOKEN_KEY = "camserver.token";

/** An error answered by the server (or the failure to reach it), in words. */
export class ApiError extends Error {
  /**
   * @param {string} message the server's words
   * @param {{code?: number, error?: string}} [details] HTTP status and error class
   */
  constructor(message, { code = 0, error = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.error = error;
  }

  /** "words (HTTP 409, Conflict)" */
  describe() {
    const parts = [];
    if (this.code) parts.push(`HTTP ${this.code}`);
    if (this.error) parts.push(this.error);
    return parts.length ? `${this.message} (${parts.join(", ")})` : this.message;
  }
}

/** @returns {string} the access token of this tab ("" for none) */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

/** @param {string} value the access token to send with changes ("" for none) */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * An address of this server, relative to the page (so a reverse proxy's prefix is kept).
 * @param {string} path
 * @param {Record<string, unknown>} [query]
 */
export function serverUrl(path, query = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url;
}

const part = encodeURIComponent;

/**
 * One request; resolves to the JSON body, rejects with an ApiError carrying the server's words.
 * @param {string} method
 * @param {string} path
 * @param {{query?: Record<string, unknown>, body?: unknown}} [options]
 * @returns {Promise<any>}
 */
export async function call(method, path, { query = {}, body } = {}) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const secret = token();
  if (secret && method !== "GET") headers.Authorization = `Bearer ${secret}`;
  let response;
  try {
    response = await fetch(serverUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`The server cannot be reached (${error.message}).`);
  }
  const type = response.headers.get("content-type") || "";
  let data = null;
  if (type.includes("json")) data = await response.json().catch(() => null);
  else data = { text: await response.text() };
  if (!response.ok || (data && data.state === "error")) {
    const words = (data && data.status) || `${response.status} ${response.statusText}`.trim();
    throw new ApiError(words, { code: response.status, error: (data && data.error) || "" });
  }
  return data;
}

/** @typedef {"camera" | "pipeline"} Kind */

// The routes the page uses, by what they do.
export const api = {
  instances: () => call("GET", "api/v1/instances"),
  nodes: () => call("GET", "api/v1/nodes"),
  viewerOptions: () => call("GET", "api/v1/viewer/options"),
  viewerFeeds: () => call("GET", "api/v1/viewer"),
  cameras: () => call("GET", "api/v1/cam"),
  cameraAliases: () => call("GET", "api/v1/cam/aliases"),
  cameraGroups: () => call("GET", "api/v1/cam/groups"),
  /** @param {string} name */
  cameraConfig: (name) => call("GET", `api/v1/cam/${part(name)}/config`),
  /** @param {string} name @param {object} config */
  setCameraConfig: (name, config) => call("POST", `api/v1/cam/${part(name)}/config`, { body: config }),
  /** @param {string} name */
  deleteCameraConfig: (name) => call("DELETE", `api/v1/cam/${part(name)}/config`),
  /** @param {string} name */
  startCamera: (name) => call("GET", `api/v1/cam/${part(name)}`),
  /** @param {string} name */
  stopCamera: (name) => call("DELETE", `api/v1/cam/${part(name)}`),
  pipelines: () => call("GET", "api/v1/pipeline"),
  /** @param {string} name */
  pipelineConfig: (name) => call("GET", `api/v1/pipeline/${part(name)}/config`),
  /** @param {string} name @param {object} config */
  setPipelineConfig: (name, config) => call("POST", `api/v1/pipeline/${part(name)}/config`, { body: config }),
  /** @param {string} name */
  deletePipelineConfig: (name) => call("DELETE", `api/v1/pipeline/${part(name)}/config`),
  /** @param {string} name @param {string} [instanceId] */
  startPipeline: (name, instanceId) =>
    call("POST", `api/v1/pipeline/${part(name)}`, { query: { instance_id: instanceId } }),
  /** @param {object} config @param {string} [instanceId] */
  startPipelineFromConfig: (config, instanceId) =>
    call("POST", "api/v1/pipeline", { query: { instance_id: instanceId }, body: config }),
  /** @param {string} instanceId */
  stopPipeline: (instanceId) => call("DELETE", `api/v1/pipeline/${part(instanceId)}`),
  /** @param {string} instanceId */
  instanceInfo: (instanceId) => call("GET", `api/v1/pipeline/instance/${part(instanceId)}/info`),
  /** @param {string} instanceId */
  instanceConfig: (instanceId) => call("GET", `api/v1/pipeline/instance/${part(instanceId)}/config`),
  /** @param {string} instanceId @param {object} changes */
  updateInstance: (instanceId, changes) =>
    call("POST", `api/v1/pipeline/instance/${part(instanceId)}/config`, { body: changes }),
  /** @param {string} camera */
  backgrounds: (camera) => call("GET", `api/v1/pipeline/camera/${part(camera)}/backgrounds`),
  /** @param {string} camera @param {number} images */
  collectBackground: (camera, images) =>
    call("POST", `api/v1/pipeline/camera/${part(camera)}/background`, { query: { n_images: images } }),
  serverLogs: () => call("GET", "api/v1/logs"),
  /** @param {string} name */
  instanceLogs: (name) => call("GET", `api/v1/logs/instance/${part(name)}`),
};

/**
 * Stop an instance.
 * @param {Kind} kind
 * @param {string} id camera name or pipeline instance id
 */
export function stopInstance(kind, id) {
  return kind === "camera" ? api.stopCamera(id) : api.stopPipeline(id);
}

/**
 * Start a stopped or failed instance again as it was: a camera by its name; a pipeline instance
 * from the saved pipeline it was started from, else from the config it ran with.
 * @param {Kind} kind
 * @param {string} id
 * @param {{config_name?: string|null, config?: object}} [known] what the list of instances says of it
 */
export async function startAgain(kind, id, known = {}) {
  if (kind === "camera") return api.startCamera(id);
  if (known.config_name) return api.startPipeline(known.config_name, id);
  const config = known.config || (await api.instanceConfig(id)).config;
  return api.startPipelineFromConfig(config, id);
}

/**
 * Stop an instance, then start it again as it was.
 * @param {Kind} kind
 * @param {string} id
 * @param {{config_name?: string|null, config?: object, active?: boolean}} [known]
 */
export async function restartInstance(kind, id, known = {}) {
  let config = known.config;
  if (kind === "pipeline" && !known.config_name && !config) config = (await api.instanceConfig(id)).config;
  if (known.active !== false) await stopInstance(kind, id);
  return startAgain(kind, id, { ...known, config });
}
