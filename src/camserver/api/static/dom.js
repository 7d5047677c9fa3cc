// @ts-check
// Building the page safely: text from the server only ever goes into text nodes.

/** @typedef {string | number | Node | null | undefined | false | any[]} Child */

/**
 * el("button", {class: "primary", onclick: f}, "Start") -> <button class="primary">Start</button>
 * Attributes starting with "on" become listeners; `null`/`false` attributes are left out; children
 * may be strings, nodes, or arrays of them.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [attributes]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

/**
 * @param {Node} node
 * @param {Child[]} children
 */
function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * An instance's drops as "input / output", and how often a subscriber's queue overflowed (each
 * time that subscriber missed at least one message the others got).
 * @param {{input_drops: number, output_drops: number, subscriber_overflows?: number}} figures
 */
export function drops(figures) {
  const overflows = figures.subscriber_overflows || 0;
  const text = `${figures.input_drops} / ${figures.output_drops}`;
  return overflows ? `${text} (${overflows} overflow${overflows === 1 ? "" : "s"} of a slow client)` : text;
}

/**
 * A number for people: `digits` significant digits, or "–" for nothing.
 * @param {unknown} value
 * @param {number} [digits]
 */
export function figure(value, digits = 3) {
  if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value))) return "–";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return value.toLocaleString("en-US");
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** @param {number | null | undefined} value a number of bytes */
export function bytes(value) {
  if (!value) return "0 B";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let index = 0;
  let amount = value;
  while (amount >= 1000 && index < units.length - 1) {
    amount /= 1000;
    index += 1;
  }
  return `${figure(amount)} ${units[index]}`;
}

/**
 * A badge showing an instance state.
 * @param {string} state
 */
export function stateBadge(state) {
  return el("span", { class: `badge state-${state}` }, state);
}

/**
 * Keep the rows of `body` in line with `items` without rebuilding rows that stay (so keyboard
 * focus on their buttons survives a refresh): `key(item)` names a row, `create(item)` makes it,
 * `update(row, item)` refreshes it.
 * @template T
 * @param {HTMLElement} body
 * @param {T[]} items
 * @param {{key: (item: T) => string, create: (item: T) => HTMLElement, update: (row: HTMLElement, item: T) => void}} how
 */
export function syncRows(body, items, { key, create, update }) {
  /** @type {Map<string, HTMLElement>} */
  const existing = new Map();
  for (const row of body.children) if (row instanceof HTMLElement) existing.set(row.dataset.key, row);
  const wanted = new Set();
  /** @type {Node | null} */
  let previous = null;
  for (const item of items) {
    const name = key(item);
    wanted.add(name);
    let row = existing.get(name);
    if (!row) {
      row = create(item);
      row.dataset.key = name;
    }
    update(row, item);
    const next = previous ? previous.nextSibling : body.firstChild;
    if (next !== row) body.insertBefore(row, next);
    previous = row;
  }
  for (const [name, row] of existing) if (!wanted.has(name)) row.remove();
}

/**
 * Replace the text of a node only when it changed (no needless layout work).
 * @param {Node} node
 * @param {unknown} text
 */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/**
 * Ask before doing something that cannot be undone, in an accessible modal dialog.
 * @param {string} question e.g. "Stop camera simulation?"
 * @param {string} action the confirming button's text, e.g. "Stop"
 * @returns {Promise<boolean>} true if confirmed
 */
export function confirmAction(question, action) {
  return new Promise((resolve) => {
    const confirm = el("button", { type: "submit", class: "danger", value: "yes" }, action);
    const cancel = el("button", { type: "submit", value: "no", autofocus: true }, "Cancel");
    const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-question" },
      el("form", { method: "dialog" }, el("p", { id: "confirm-question" }, question),
        el("div", { class: "field-row" }, confirm, cancel)));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A labelled checkbox: `{input, node}`.
 * @param {string} id
 * @param {string} label
 * @param {boolean} checked
 * @param {string} [colour] a swatch shown before the label
 */
export function checkbox(id, label, checked, colour) {
  const input = el("input", { type: "checkbox", id, checked });
  return {
    input,
    node: el("label", { for: id, class: "inline" }, input,
      colour ? el("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }) : "", label),
  };
}

/**
 * A labelled field: `{input, node}`.
 * @template {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} F
 * @param {string} label
 * @param {F} input (its id names the label's target)
 * @param {string} [hint]
 */
export function field(label, input, hint) {
  return {
    input,
    node: el("div", { class: "field" }, el("label", { for: input.id }, label), input,
      hint ? el("span", { class: "form-note" }, hint) : ""),
  };
}
