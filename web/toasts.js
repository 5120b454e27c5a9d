// Notifications in the corner: job finished ("View results"), job failed ("Retry"), action errors.
// A success dismisses itself after SUCCESS_MS (what it offers stays on the job's card in the monitor, so nothing is
// lost), but not while the pointer is on it or the keyboard focus in it: a timed toast must not move under a user
// who is reading or about to press it. Failures and errors stay until dismissed or acted on. The oldest goes when
// more than MAX_TOASTS are open.

import { byId, h } from "./dom.js";

const MAX_TOASTS = 4;
export const SUCCESS_MS = 6000;

/** toast({kind: "success" | "error" | "info", title, message, action: {label, run}}) */
export function toast({ kind = "info", title, message = "", action = null }) {
  const region = byId("toasts");
  const dismiss = () => el.remove();
  const el = h(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", dataset: { kind } },
    h(
      "div",
      { class: "toast-body" },
      h("p", { class: "toast-title" }, title),
      message ? h("p", { class: "toast-message" }, message) : null,
    ),
    h(
      "div",
      { class: "toast-actions" },
      action
        ? h(
            "button",
            {
              type: "button",
              class: "toast-action",
              onclick: () => {
                dismiss();
                action.run();
              },
            },
            action.label,
          )
        : null,
      h("button", { type: "button", class: "toast-close", "aria-label": `Dismiss: ${title}`, onclick: dismiss }, "×"),
    ),
  );
  region.append(el);
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
  if (kind === "success") dismissLater(el);
  return el;
}

function dismissLater(el) {
  let timer = null;
  const held = () => el.matches(":hover") || el.contains(document.activeElement);
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (held()) arm();
      else el.remove();
    }, SUCCESS_MS);
  };
  el.addEventListener("mouseenter", () => clearTimeout(timer));
  el.addEventListener("focusin", () => clearTimeout(timer));
  el.addEventListener("mouseleave", () => held() || arm());
  el.addEventListener("focusout", () => setTimeout(() => held() || arm(), 0));
  el.dataset.autoDismiss = "true";
  arm();
}
