// @ts-check
// The two message areas under the header: errors (role=alert) and information (role=status).
// An error stays until dismissed or until a later success: the same action succeeding, a refresh
// of the same list succeeding, or any information shown (which reports a success).

/** @typedef {{box: HTMLElement, text: HTMLElement}} Area */

/** @param {string} id */
function area(id) {
  const box = document.getElementById(id);
  const text = /** @type {HTMLElement} */ (box.querySelector(".notice-text"));
  box.querySelector(".notice-close").addEventListener("click", () => {
    box.hidden = true;
  });
  return { box, text };
}

/** @type {{error: Area, info: Area} | null} */
let areas = null;
/** what the error on show is about ("" for none) */
let errorTopic = "";

function ready() {
  if (!areas) areas = { error: area("error"), info: area("info") };
  return areas;
}

/**
 * Show what went wrong, in words: "Could not start pipeline x: <server's words> (HTTP 409, Conflict)".
 * @param {string} what what failed, also the topic a later success of clears
 * @param {any} error an ApiError, Error, or anything with describe()
 */
export function showError(what, error) {
  const { error: shown } = ready();
  const words = typeof error?.describe === "function" ? error.describe() : error?.message || String(error);
  shown.text.textContent = what ? `${what}: ${words}` : words;
  shown.box.hidden = false;
  errorTopic = what || "error";
}

/**
 * Report a success; it clears the error on show.
 * @param {string | Node} message
 * @param {...(string | Node)} extra
 */
export function showInfo(message, ...extra) {
  const { info } = ready();
  info.text.replaceChildren(message, ...extra);
  info.box.hidden = false;
  clearError();
}

/** Hide the error (of `topic` only, if given). @param {string} [topic] */
export function clearError(topic) {
  if (topic !== undefined && topic !== errorTopic) return;
  ready().error.box.hidden = true;
  errorTopic = "";
}

/**
 * Run `action`; on failure show "<what>: <words>" and resolve to undefined; on success clear an
 * earlier error of the same `what`.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} action
 * @returns {Promise<T | undefined>}
 */
export async function attempt(what, action) {
  try {
    const result = await action();
    clearError(what);
    return result;
  } catch (error) {
    showError(what, error);
    return undefined;
  }
}
