// The two message areas under the header: errors (role=alert) and information (role=status).

function area(id) {
  const box = document.getElementById(id);
  const text = box.querySelector(".notice-text");
  box.querySelector(".notice-close").addEventListener("click", () => {
    box.hidden = true;
  });
  return { box, text };
}

let areas = null;

function ready() {
  if (!areas) areas = { error: area("error"), info: area("info") };
  return areas;
}

/** Show what went wrong, in words: "Could not start pipeline x: <server's words> (HTTP 409, Conflict)". */
export function showError(what, error) {
  const { error: shown } = ready();
  const words = typeof error?.describe === "function" ? error.describe() : error?.message || String(error);
  shown.text.textContent = what ? `${what}: ${words}` : words;
  shown.box.hidden = false;
}

export function showInfo(message, ...extra) {
  const { info } = ready();
  info.text.replaceChildren(message, ...extra);
  info.box.hidden = false;
}

export function clearError() {
  ready().error.box.hidden = true;
}

/** Run `action`; on failure show "<what>: <words>" and resolve to undefined. */
export async function attempt(what, action) {
  try {
    const result = await action();
    return result;
  } catch (error) {
    showError(what, error);
    return undefined;
  }
}
