// Building the page safely: text from the server only ever goes into text nodes.

/**
 * el("button", {class: "primary", onclick: f}, "Start") -> <button class="primary">Start</button>
 * Attributes starting with "on" become listeners; `null`/`false` attributes are left out; children
 * may be strings, nodes, or arrays of them.
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

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A number for people: `digits` significant digits, or "–" for nothing. */
export function figure(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return value.toLocaleString("en-US");
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

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

/** A badge showing an instance state. */
export function stateBadge(state) {
  return el("span", { class: `badge state-${state}` }, state);
}

/**
 * Keep the rows of `body` in line with `items` without rebuilding rows that stay (so keyboard
 * focus on their buttons survives a refresh): `key(item)` names a row, `create(item)` makes it,
 * `update(row, item)` refreshes it.
 */
export function syncRows(body, items, { key, create, update }) {
  const existing = new Map([...body.children].map((row) => [row.dataset.key, row]));
  const wanted = new Set();
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

/** Replace the text of a node only when it changed (no needless layout work). */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}
