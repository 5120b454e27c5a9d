// The New batch form: name, folders, prompts (name, text, scoring: pass/fail, a scale, or checks of name + regular
// expression) and the model settings → POST /api/batches. The API validates; its message (and each field it names)
// is shown as it is.

import { api } from "./api.js";
import { byId, clear, h, hideError, plural, showError } from "./dom.js";

const SCORING_LABELS = { pass_fail: "Pass / fail", scale: "Scale", checks: "Checks (regular expressions)" };

export function setUpBatchForm(folders, { onCreated }) {
  const form = byId("batch-form");
  const prompts = byId("batch-prompts");
  const error = byId("batch-form-error");
  const status = byId("batch-form-status");
  const submit = byId("batch-submit");
  let next = 0; // ids stay unique when prompts and checks are removed

  const renumber = () => {
    const all = [...prompts.querySelectorAll(".prompt")];
    all.forEach((fieldset, index) => {
      fieldset.querySelector("legend").textContent = `Prompt ${index + 1}`;
      const remove = fieldset.querySelector("[data-remove-prompt]");
      remove.hidden = all.length === 1;
      remove.setAttribute("aria-label", `Remove prompt ${index + 1}`);
    });
  };

  const addCheck = (list) => {
    const id = `check-${next++}`;
    const row = h(
      "div",
      { class: "check-row" },
      h("div", { class: "field" }, h("label", { for: `${id}-name` }, "Check name"), h("input", { id: `${id}-name`, type: "text", maxlength: "100", "data-check": "name" })),
      h("div", { class: "field" }, h("label", { for: `${id}-regex` }, "Regular expression"), h("input", { id: `${id}-regex`, type: "text", maxlength: "1000", spellcheck: "false", "data-check": "regex" })),
    );
    const remove = h("button", { type: "button", class: "quiet small", "aria-label": "Remove this check" }, "Remove");
    remove.addEventListener("click", () => {
      row.remove();
      list.querySelector("input")?.focus();
    });
    row.append(remove);
    list.append(row);
    return row;
  };

  const addPrompt = () => {
    const id = `prompt-${next++}`;
    const scoring = h(
      "select",
      { id: `${id}-scoring`, "data-prompt": "scoring" },
      Object.entries(SCORING_LABELS).map(([value, label]) => h("option", { value }, label)),
    );
    const scale = h(
      "div",
      { class: "inline-fields", hidden: true, "data-scoring": "scale" },
      h("div", { class: "field" }, h("label", { for: `${id}-min` }, "Lowest score"), h("input", { id: `${id}-min`, type: "number", step: "1", value: "1", "data-prompt": "min" })),
      h("div", { class: "field" }, h("label", { for: `${id}-max` }, "Highest score"), h("input", { id: `${id}-max`, type: "number", step: "1", value: "5", "data-prompt": "max" })),
    );
    const checkList = h("div", { class: "check-list" });
    const addCheckButton = h("button", { type: "button", class: "quiet small" }, "Add a check");
    addCheckButton.addEventListener("click", () => addCheck(checkList).querySelector("input").focus());
    const checks = h(
      "fieldset",
      { class: "checks", hidden: true, "data-scoring": "checks" },
      h("legend", {}, "Checks"),
      h("p", { class: "hint" }, "Each check passes when its regular expression matches the document’s text; the score is the share that pass."),
      checkList,
      addCheckButton,
    );
    scoring.addEventListener("change", () => {
      scale.hidden = scoring.value !== "scale";
      checks.hidden = scoring.value !== "checks";
      if (scoring.value === "checks" && !checkList.children.length) addCheck(checkList);
    });
    const remove = h("button", { type: "button", class: "quiet small", "data-remove-prompt": "" }, "Remove prompt");
    const fieldset = h(
      "fieldset",
      { class: "prompt" },
      h("legend", {}, "Prompt"),
      h("div", { class: "field" }, h("label", { for: `${id}-name` }, "Name"), h("input", { id: `${id}-name`, type: "text", maxlength: "100", autocomplete: "off", "data-prompt": "name" })),
      h("div", { class: "field" }, h("label", { for: `${id}-text` }, "Question or instruction"), h("textarea", { id: `${id}-text`, rows: "3", maxlength: "8000", "data-prompt": "text" })),
      h("div", { class: "field narrow" }, h("label", { for: `${id}-scoring` }, "Scoring"), scoring),
      scale,
      checks,
      remove,
    );
    remove.addEventListener("click", () => {
      fieldset.remove();
      renumber();
      byId("batch-add-prompt").focus();
    });
    prompts.append(fieldset);
    renumber();
    return fieldset;
  };

  const reset = () => {
    form.reset();
    clear(prompts);
    addPrompt();
  };

  byId("batch-add-prompt").addEventListener("click", () => addPrompt().querySelector("input").focus());
  folders.addEventListener("change", () => renderFolderChoices(folders.folders));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError(error);
    status.textContent = "";
    const config = readConfig(form, prompts);
    submit.disabled = true;
    status.textContent = "Creating…";
    try {
      const created = await api("batches", { method: "POST", body: config });
      status.textContent = `Created “${config.name}”.`;
      reset();
      onCreated(created.batch_id);
    } catch (failure) {
      status.textContent = "";
      showError(error, failure, "The batch was not created.");
    } finally {
      submit.disabled = false;
    }
  });

  reset();
}

function readConfig(form, prompts) {
  const value = (el) => el.value.trim();
  const number = (el) => (el.value === "" ? null : Number(el.value));
  return {
    name: value(byId("batch-name")),
    folders: [...byId("batch-folders").querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value),
    prompts: [...prompts.querySelectorAll(".prompt")].map((fieldset) => {
      const field = (name) => fieldset.querySelector(`[data-prompt=${name}]`);
      const type = field("scoring").value;
      const scoring = { type };
      if (type === "scale") Object.assign(scoring, { min: number(field("min")), max: number(field("max")) });
      if (type === "checks") {
        scoring.checks = [...fieldset.querySelectorAll(".check-row")].map((row) => ({
          name: value(row.querySelector("[data-check=name]")),
          regex: row.querySelector("[data-check=regex]").value,
        }));
      }
      return { name: value(field("name")), text: value(field("text")), scoring };
    }),
    model: {
      modelSelection: byId("batch-model").value,
      temperature: number(byId("batch-temperature")),
      max_tokens: number(byId("batch-max-tokens")),
    },
  };
}

function renderFolderChoices(list) {
  const container = byId("batch-folders");
  const keep = new Set([...container.querySelectorAll("input:checked")].map((box) => box.value));
  clear(container);
  if (list.length === 0) {
    container.append(h("p", { class: "hint" }, "No folders yet. Upload documents above."));
    return;
  }
  list.forEach((entry, index) => {
    const id = `batch-folder-${index}`;
    container.append(
      h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id, value: entry.folder, checked: keep.has(entry.folder), "aria-describedby": `${id}-count` }),
        h("label", { for: id }, entry.folder),
        h("span", { class: "sub", id: `${id}-count` }, plural(entry.document_count, "document")),
      ),
    );
  });
}
