// New analysis: a comparison (standard vs contracts, whole or selected clauses) or a question over contracts.

import { api } from "./api.js";
import { byId, clear, h, hideError, plural, showError } from "./dom.js";

export function setUpAnalyzeView(library, { onSubmitted }) {
  const kinds = document.querySelectorAll("input[name=kind]");
  for (const radio of kinds) {
    radio.addEventListener("change", () => {
      const kind = document.querySelector("input[name=kind]:checked").value;
      for (const form of document.querySelectorAll("form[data-kind]")) form.hidden = form.dataset.kind !== kind;
    });
  }
  for (const button of document.querySelectorAll("[data-select-all], [data-select-none]")) {
    button.addEventListener("click", () => {
      const all = button.hasAttribute("data-select-all");
      const list = byId(button.dataset.selectAll || button.dataset.selectNone);
      for (const box of list.querySelectorAll("input[type=checkbox]:not(:disabled)")) box.checked = all;
    });
  }
  setUpComparison(library, onSubmitted);
  setUpQuery(library, onSubmitted);
}

function checked(listId) {
  return [...byId(listId).querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

/** Checkbox list of contracts; keeps what was ticked across re-renders. */
function renderContractChoices(listId, contracts, { disabledId = null } = {}) {
  const list = byId(listId);
  const keep = new Set(checked(listId));
  clear(list);
  if (contracts.length === 0) {
    list.append(h("p", { class: "hint" }, "No contracts in the library yet. Add some under Contracts."));
    return;
  }
  for (const contract of contracts) {
    const id = `${listId}-${contract.contract_id}`;
    const disabled = contract.contract_id === disabledId;
    list.append(
      h(
        "div",
        { class: "choice" },
        h("input", {
          type: "checkbox",
          id,
          value: contract.contract_id,
          checked: keep.has(contract.contract_id) && !disabled,
          disabled,
          "aria-describedby": `${id}-note`,
        }),
        h("label", { for: id }, contract.title),
        h("span", { class: "sub", id: `${id}-note` }, disabled ? "the standard" : plural(contract.clause_count, "clause")),
      ),
    );
  }
}

function setUpComparison(library, onSubmitted) {
  const form = byId("comparison-form");
  const standard = byId("cmp-standard");
  const clausesGroup = byId("cmp-clauses-group");
  const error = byId("comparison-error");
  const status = byId("comparison-status");
  const submit = byId("comparison-submit");
  const clauseCache = new Map();
  const mode = () => form.querySelector("input[name=mode]:checked").value;

  const renderStandardOptions = () => {
    const current = standard.value;
    clear(standard).append(h("option", { value: "" }, "Choose the standard…"));
    for (const contract of library.contracts) {
      standard.append(h("option", { value: contract.contract_id }, contract.title));
    }
    standard.value = library.contracts.some((c) => c.contract_id === current) ? current : "";
  };
  const renderCompared = () => renderContractChoices("cmp-compared", library.contracts, { disabledId: standard.value });

  const renderClauses = async () => {
    clausesGroup.hidden = mode() !== "clauses";
    if (clausesGroup.hidden) return;
    const list = byId("cmp-clauses");
    const id = standard.value;
    if (!id) {
      clear(list).append(h("p", { class: "hint" }, "Choose a standard contract first."));
      return;
    }
    if (!clauseCache.has(id)) {
      clear(list).append(h("p", { class: "hint" }, "Loading clauses…"));
      try {
        const contract = await api(`contracts/${encodeURIComponent(id)}`);
        clauseCache.set(id, contract.clauses || []);
      } catch (problem) {
        clear(list);
        showError(error, problem, "Could not load the standard's clauses.");
        return;
      }
    }
    if (standard.value !== id) return; // the choice changed while loading
    clear(list);
    const seen = new Set();
    for (const clause of clauseCache.get(id)) {
      if (seen.has(clause.title)) continue; // the API selects clauses by title
      seen.add(clause.title);
      const boxId = `cmp-clause-${clause.index}`;
      list.append(
        h(
          "div",
          { class: "choice" },
          h("input", { type: "checkbox", id: boxId, value: clause.title }),
          h("label", { for: boxId }, clause.number ? `${clause.number} ${clause.title}` : clause.title),
        ),
      );
    }
    if (seen.size === 0) list.append(h("p", { class: "hint" }, "No clauses were found in this contract."));
  };

  library.addEventListener("change", () => {
    renderStandardOptions();
    renderCompared();
  });
  standard.addEventListener("change", () => {
    hideError(error);
    renderCompared();
    renderClauses();
  });
  for (const radio of form.querySelectorAll("input[name=mode]")) radio.addEventListener("change", renderClauses);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError(error);
    status.textContent = "";
    const compared = checked("cmp-compared");
    if (!standard.value) return showError(error, new Error("Choose the standard contract."));
    if (compared.length === 0) return showError(error, new Error("Choose at least one contract to compare."));
    const request = {
      standardContractId: standard.value,
      compareContractIds: compared,
      comparisonMode: mode(),
      modelSelection: byId("cmp-model").value,
    };
    if (request.comparisonMode === "clauses") {
      const clauses = checked("cmp-clauses");
      if (clauses.length) request.selectedClauses = clauses;
    }
    submit.disabled = true;
    try {
      const submitted = await api("jobs/comparison", { method: "POST", body: { request, priority: 5 } });
      status.textContent = `Comparison started against ${plural(compared.length, "contract")}. Follow it in the job monitor.`;
      onSubmitted(submitted);
    } catch (problem) {
      showError(error, problem, "The comparison was not started.");
    } finally {
      submit.disabled = false;
    }
  });
}

function setUpQuery(library, onSubmitted) {
  const form = byId("query-form");
  const question = byId("q-question");
  const error = byId("query-error");
  const status = byId("query-status");
  const submit = byId("query-submit");

  library.addEventListener("change", () => renderContractChoices("q-contracts", library.contracts));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError(error);
    status.textContent = "";
    const contracts = checked("q-contracts");
    if (!question.value.trim()) return showError(error, new Error("Write the question."));
    if (contracts.length === 0) return showError(error, new Error("Choose at least one contract to search."));
    submit.disabled = true;
    try {
      const body = { request: { question: question.value, contract_ids: contracts, modelSelection: byId("q-model").value } };
      const submitted = await api("jobs/query", { method: "POST", body });
      status.textContent = `Question sent over ${plural(contracts.length, "contract")}. Follow it in the job monitor.`;
      onSubmitted(submitted);
    } catch (problem) {
      showError(error, problem, "The question was not sent.");
    } finally {
      submit.disabled = false;
    }
  });
}
