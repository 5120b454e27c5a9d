// Result views (GET /api/results/{result_id}): a comparison as one findings table per compared contract, sortable by
// severity; a query as the answer with its citations (contract, clause, quote).

import { api } from "./api.js";
import { byId, clear, formatDateTime, formatNumber, h, hideError, plural, showError } from "./dom.js";

const SEVERITY_RANK = { high: 3, medium: 2, low: 1 };
// not_assessed: a standard clause the model's reply left out even when asked again. Plain (the neutral pill, no
// severity), apart from matched: nothing is known about it, and the card's warnings say why.
const STATUS_LABELS = { matched: "Matched", modified: "Modified", missing: "Missing", added: "Added", not_assessed: "Not assessed" };
const STATUS_ORDER = ["missing", "modified", "added", "matched", "not_assessed"];

export async function showResult(resultId, library) {
  const body = clear(byId("result-body"));
  const error = byId("result-error");
  const heading = byId("result-heading");
  hideError(error);
  heading.textContent = "Result";
  body.append(h("p", { class: "loading" }, "Loading the result…"));
  let stored;
  try {
    [stored] = await Promise.all([api(`results/${encodeURIComponent(resultId)}`), library.ready]);
  } catch (problem) {
    clear(body);
    showError(error, problem, "Could not open the result.");
    return;
  }
  clear(body);
  const result = stored.result || {};
  if (stored.job_type === "comparison") {
    heading.textContent = "Comparison result";
    renderComparison(body, stored, result, library);
  } else if (stored.job_type === "query") {
    heading.textContent = "Question and answer";
    renderQuery(body, stored, result, library);
  } else {
    body.append(h("pre", { class: "raw" }, JSON.stringify(result, null, 2)));
  }
}

function usageLine(stored, result) {
  const parts = [`Finished ${formatDateTime(stored.created_at)}`];
  if (result.model) parts.push(`Model ${result.model}`);
  const usage = result.usage || {};
  if (usage.llm_calls) parts.push(plural(usage.llm_calls, "model call"));
  if (usage.total_tokens) parts.push(`${formatNumber(usage.total_tokens)} tokens`);
  return h("p", { class: "result-meta" }, parts.join(" · "));
}

// --- comparison ---------------------------------------------------------------------------------------------------

function renderComparison(body, stored, result, library) {
  const comparisons = result.comparisons || [];
  body.append(
    h(
      "div",
      { class: "result-intro" },
      h("p", { class: "lede" }, "Standard: ", h("strong", {}, library.titleOf(result.standard_contract_id)), ` — compared with ${plural(comparisons.length, "contract")}.`),
      usageLine(stored, result),
    ),
  );
  const onlyDifferences = h("input", { type: "checkbox", id: "only-differences" });
  onlyDifferences.addEventListener("change", () => body.classList.toggle("hide-matched", onlyDifferences.checked));
  body.classList.remove("hide-matched");
  if (comparisons.length) {
    body.append(h("div", { class: "result-tools" }, onlyDifferences, h("label", { for: "only-differences" }, "Show differences only")));
  }
  comparisons.forEach((comparison, index) => body.append(comparisonCard(comparison, index)));
  if (comparisons.length === 0) body.append(h("p", { class: "empty" }, "This comparison has no findings."));
}

function comparisonCard(comparison, index) {
  const clauses = comparison.clauses || [];
  const headingId = `cmp-${index}-title`;
  const counts = STATUS_ORDER.map((status) => [status, clauses.filter((c) => c.status === status).length]).filter(
    ([, n]) => n > 0,
  );
  const similarity = Math.round((Number(comparison.similarity) || 0) * 100);
  const tbody = h("tbody");
  const rows = clauses.map((clause, position) => findingRow(clause, position));
  tbody.append(...rows);

  const sortButton = h("button", { type: "button", class: "sort" }, "Severity", h("span", { class: "sort-icon", "aria-hidden": "true" }));
  const severityHeader = h("th", { scope: "col", class: "col-severity", "aria-sort": "none" }, sortButton);
  sortButton.addEventListener("click", () => {
    const descending = severityHeader.getAttribute("aria-sort") !== "descending";
    severityHeader.setAttribute("aria-sort", descending ? "descending" : "none");
    const ordered = [...rows].sort((a, b) =>
      descending
        ? severityRank(b) - severityRank(a) || Number(a.dataset.position) - Number(b.dataset.position)
        : Number(a.dataset.position) - Number(b.dataset.position),
    );
    tbody.append(...ordered);
  });

  return h(
    "section",
    { class: "card comparison", "aria-labelledby": headingId, dataset: { contractId: comparison.contract_id } },
    h(
      "div",
      { class: "card-head" },
      h("h2", { id: headingId }, comparison.contract_title || comparison.contract_id),
      h("span", { class: "similarity", title: "Share of the standard's clauses found unchanged" }, `${similarity} % similar`),
    ),
    comparison.summary ? h("p", { class: "summary" }, comparison.summary) : null,
    (comparison.warnings || []).length
      ? h("ul", { class: "hint warnings", "aria-label": "Notes on these findings" }, comparison.warnings.map((w) => h("li", {}, w)))
      : null,
    h(
      "ul",
      { class: "counts", "aria-label": "Findings by status" },
      counts.map(([status, n]) => h("li", { class: `pill status-${status}` }, `${n} ${STATUS_LABELS[status].toLowerCase()}`)),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data findings", "aria-labelledby": headingId },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col", class: "col-clause" }, "Clause"),
            h("th", { scope: "col", class: "col-status" }, "Status"),
            severityHeader,
            h("th", { scope: "col", class: "col-excerpt" }, "Standard"),
            h("th", { scope: "col", class: "col-excerpt" }, "This contract"),
            h("th", { scope: "col", class: "col-explanation" }, "Explanation"),
          ),
        ),
        tbody,
      ),
    ),
  );
}

function findingRow(clause, position) {
  const severity = clause.severity || "none";
  return h(
    "tr",
    { dataset: { status: clause.status, severity, position: String(position) } },
    h("th", { scope: "row", class: "col-clause" }, clause.title),
    h("td", {}, h("span", { class: `pill status-${clause.status}` }, STATUS_LABELS[clause.status] || clause.status)),
    h(
      "td",
      {},
      clause.severity
        ? h("span", { class: `severity severity-${clause.severity}` }, capitalize(clause.severity))
        : h("span", { class: "severity severity-none" }, h("span", { "aria-hidden": "true" }, "—"), h("span", { class: "visually-hidden" }, "none")),
    ),
    excerptCell(clause.standard_excerpt, clause.status === "added" ? "Not in the standard" : absentNote(clause)),
    excerptCell(clause.compared_excerpt, clause.status === "missing" ? "Not in this contract" : absentNote(clause)),
    h("td", { class: "explanation" }, clause.explanation || ""),
  );
}

function excerptCell(text, absent) {
  return h("td", { class: "excerpt" }, text ? h("blockquote", {}, text) : h("span", { class: "absent" }, absent));
}

function absentNote(clause) {
  if (clause.status === "not_assessed") return "Not assessed";
  return clause.status === "matched" ? "Same text" : "—";
}

function severityRank(row) {
  return SEVERITY_RANK[row.dataset.severity] || 0;
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// --- query --------------------------------------------------------------------------------------------------------

function renderQuery(body, stored, result, library) {
  const titles = new Map((result.per_contract || []).map((p) => [p.contract_id, p.contract_title]));
  const titleOf = (id) => titles.get(id) || library.titleOf(id);
  const citations = result.citations || [];
  body.append(
    h("div", { class: "result-intro" }, h("p", { class: "question" }, h("span", { class: "label" }, "Question"), result.question || ""), usageLine(stored, result)),
    h("section", { class: "card answer", "aria-labelledby": "answer-heading" }, h("h2", { id: "answer-heading" }, "Answer"), h("p", { class: "answer-text" }, result.answer || "")),
    h(
      "section",
      { class: "card", "aria-labelledby": "citations-heading" },
      h("h2", { id: "citations-heading" }, `Citations (${citations.length})`),
      citations.length
        ? h(
            "ol",
            { class: "citations" },
            citations.map((c) =>
              h(
                "li",
                { class: "citation", dataset: { contractId: c.contract_id } },
                h("p", { class: "citation-source" }, h("span", { class: "citation-contract" }, titleOf(c.contract_id)), c.clause_title ? h("span", { class: "citation-clause" }, c.clause_title) : null),
                h("blockquote", { class: "quote" }, c.quote),
              ),
            ),
          )
        : h("p", { class: "empty" }, "The answer cites no passage."),
    ),
  );
  const perContract = result.per_contract || [];
  if (perContract.length) {
    body.append(
      h(
        "details",
        { class: "card per-contract" },
        h("summary", {}, `Answers per contract (${perContract.length})`),
        h(
          "dl",
          {},
          perContract.map((p) => [
            h("dt", {}, p.contract_title || titleOf(p.contract_id), p.relevant === false ? h("span", { class: "sub" }, "not relevant") : null),
            h("dd", {}, p.answer),
          ]),
        ),
      ),
    );
  }
}
