// Small DOM helpers. Text from the API only ever goes in through textContent or attributes, never as HTML.

/**
 * h("button", {class: "primary", type: "button", onclick: fn, "aria-label": "..."}, "Text", childNode)
 * Keys: class, text, dataset (object), hidden, on<event> (listener); anything else is an attribute.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "hidden") el.hidden = Boolean(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const number = new Intl.NumberFormat();

export function formatDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? `today ${timeOnly.format(date)}` : dateTime.format(date);
}

export function formatNumber(value) {
  return typeof value === "number" ? number.format(value) : "";
}

const costFormats = new Map();

/** An estimated cost with its currency (the summary's COST_CURRENCY): "$0.1076", "€0.1076". */
export function formatCost(value, currency = "USD") {
  if (typeof value !== "number") return "—";
  if (!costFormats.has(currency)) {
    let format;
    try {
      format = new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: 4, maximumFractionDigits: 4 });
    } catch {
      const plain = new Intl.NumberFormat(undefined, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
      format = { format: (n) => `${plain.format(n)} ${currency}` };
    }
    costFormats.set(currency, format);
  }
  return costFormats.get(currency).format(value);
}

export function plural(count, one, many = `${one}s`) {
  return `${formatNumber(count)} ${count === 1 ? one : many}`;
}

export function truncate(text, max) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** Show an error (an ApiError or any Error) in an alert element: its message, and field details when given. */
export function showError(alertEl, error, lead = "") {
  clear(alertEl);
  const message = error && error.message ? error.message : String(error);
  alertEl.append(h("p", { class: "alert-message" }, lead ? h("strong", {}, `${lead} `) : null, message));
  const details = error && Array.isArray(error.details) ? error.details : [];
  const fields = details.filter((d) => d && typeof d === "object" && d.message);
  if (fields.length > 1) {
    alertEl.append(
      h("ul", { class: "alert-details" }, fields.map((d) => h("li", {}, d.field ? `${d.field}: ${d.message}` : d.message))),
    );
  }
  alertEl.hidden = false;
}

export function hideError(alertEl) {
  clear(alertEl);
  alertEl.hidden = true;
}
