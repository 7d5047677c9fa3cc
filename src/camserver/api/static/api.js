// The REST API as the page uses it: every call returns the envelope's body or throws an ApiError
// whose message is the server's `status`, in words.

const TOKEN_KEY = "camserver.token";

/** An error answered by the server (or the failure to reach it), in words. */
export class ApiError extends Error {
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

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An address of this server, relative to the page (so a reverse proxy's prefix is kept). */
export function serverUrl(path, query = {}) {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url;
}

const part = encodeURIComponent;

/** One request; resolves to the JSON body, rejects with an ApiError carrying the server's words. */
export async function call(method, path, { query = {}, body } = {}) {
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

// The routes the page uses, by what they do.
export const api = {
  instances: () => call("GET", "api/v1/instances"),
  viewerOptions: () => call("GET", "api/v1/viewer/options"),
  viewerFeeds: () => call("GET", "api/v1/viewer"),
  cameras: () => call("GET", "api/v1/cam"),
  cameraAliases: () => call("GET", "api/v1/cam/aliases"),
  cameraGroups: () => call("GET", "api/v1/cam/groups"),
  cameraConfig: (name) => call("GET", `api/v1/cam/${part(name)}/config`),
  startCamera: (name) => call("GET", `api/v1/cam/${part(name)}`),
  stopCamera: (name) => call("DELETE", `api/v1/cam/${part(name)}`),
  pipelines: () => call("GET", "api/v1/pipeline"),
  pipelineConfig: (name) => call("GET", `api/v1/pipeline/${part(name)}/config`),
  startPipeline: (name, instanceId) =>
    call("POST", `api/v1/pipeline/${part(name)}`, { query: { instance_id: instanceId } }),
  stopPipeline: (instanceId) => call("DELETE", `api/v1/pipeline/${part(instanceId)}`),
  instanceConfig: (instanceId) => call("GET", `api/v1/pipeline/instance/${part(instanceId)}/config`),
  updateInstance: (instanceId, changes) =>
    call("POST", `api/v1/pipeline/instance/${part(instanceId)}/config`, { body: changes }),
  backgrounds: (camera) => call("GET", `api/v1/pipeline/camera/${part(camera)}/backgrounds`),
  collectBackground: (camera, images) =>
    call("POST", `api/v1/pipeline/camera/${part(camera)}/background`, { query: { n_images: images } }),
  serverLogs: () => call("GET", "api/v1/logs"),
  instanceLogs: (name) => call("GET", `api/v1/logs/instance/${part(name)}`),
};
