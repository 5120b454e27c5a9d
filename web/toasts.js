// Notifications in the corner: job finished ("View results"), job failed ("Retry"), action errors.
// They stay until dismissed or acted on (a timed toast with a button is a trap for keyboard and screen-reader
// users); the oldest goes when more than MAX_TOASTS are open.

import { byId, h } from "./dom.js";

const MAX_TOASTS = 4;

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
  return el;
}
