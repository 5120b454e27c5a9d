// Result views (GET /api/results/{result_id}).
//
// A comparison opens on its differences, highest severity first, one card per compared contract: a list of the
// changes that jumps to each, and the findings as a redline (the compared text with the standard's deleted words
// struck through and the new words underlined, computed by the server) or side by side, per contract, remembered.
// Matched clauses are one click away. A question shows its answer and citations. Every finding and citation opens
// its clause in the contract viewer; "Download report" gets the Word report (or Markdown, for pasting).

import { api, apiUrl } from "./api.js";
import { contractHref } from "./contract-view.js";
import { byId, clear, formatDateTime, formatNumber, h, hideError, plural, showError } from "./dom.js";

const SEVERITY_RANK = { high: 3, medium: 2, low: 1 };
const STATUS_RANK = { missing: 3, modified: 2, added: 1, matched: 0 };
const STATUS_LABELS = {
  matched: "Matched",
  modified: "Modified",
  missing: "Missing",
  added: "Added",
  not_assessed: "Not assessed",
};
const STATUS_ORDER = ["missing", "modified", "added", "not_assessed", "matched"];
const MODES = { redline: "Redline", side: "Side by side" };
const MODE_KEY = "contractjobs.findings-view"; // `${MODE_KEY}:<contract id>`: each compared contract's own choice

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

function reportLinks(stored) {
  const base = `results/${encodeURIComponent(stored.result_id)}`;
  return h(
    "div",
    { class: "result-actions", role: "group", "aria-label": "Report" },
    h("a", { class: "button primary", href: apiUrl(`${base}/report.docx`), download: "" }, "Download report"),
    h("a", { class: "button quiet", href: apiUrl(`${base}/report.md`), download: "" }, "Markdown, for pasting"),
  );
}

// --- comparison ---------------------------------------------------------------------------------------------------

function renderComparison(body, stored, result, library) {
  const comparisons = result.comparisons || [];
  const standard = {
    id: result.standard_contract_id,
    title: result.standard_contract_title || library.titleOf(result.standard_contract_id),
  };
  body.append(
    h(
      "div",
      { class: "result-intro" },
      h(
        "p",
        { class: "lede" },
        "Standard: ",
        h("a", { href: contractHref(standard.id) }, standard.title),
        ` — compared with ${plural(comparisons.length, "contract")}.`,
      ),
      usageLine(stored, result),
      reportLinks(stored),
    ),
  );
  comparisons.forEach((comparison, index) => body.append(new ComparisonCard(comparison, index, standard).root));
  if (comparisons.length === 0) body.append(h("p", { class: "empty" }, "This comparison has no findings."));
}

function severityRank(finding) {
  return SEVERITY_RANK[finding.severity] || 0;
}

/** The findings that differ, highest severity first (then missing, modified, added; then as found). */
function differences(clauses) {
  return clauses
    .map((finding, position) => ({ finding, position }))
    .filter(({ finding }) => finding.status !== "matched")
    .sort(
      (a, b) =>
        severityRank(b.finding) - severityRank(a.finding) ||
        (STATUS_RANK[b.finding.status] || 0) - (STATUS_RANK[a.finding.status] || 0) ||
        a.position - b.position,
    );
}

function readMode(contractId) {
  try {
    return localStorage.getItem(`${MODE_KEY}:${contractId}`) || "redline";
  } catch {
    return "redline"; // storage refused (a private window): the default, every time
  }
}

function keepMode(contractId, mode) {
  try {
    localStorage.setItem(`${MODE_KEY}:${contractId}`, mode);
  } catch {
    // not remembered: nothing else changes
  }
}

class ComparisonCard {
  constructor(comparison, index, standard) {
    this.comparison = comparison;
    this.index = index;
    this.standard = standard;
    this.clauses = comparison.clauses || [];
    this.changes = differences(this.clauses);
    this.matched = this.clauses.map((finding, position) => ({ finding, position })).filter((f) => f.finding.status === "matched");
    this.mode = MODES[readMode(comparison.contract_id)] ? readMode(comparison.contract_id) : "redline";
    this.showMatched = false;
    this.headingId = `cmp-${index}-title`;
    this.tableId = `cmp-${index}-findings`;
    this.thead = h("thead");
    this.tbody = h("tbody");
    this.root = this.build();
    this.renderTable();
  }

  rowId(position) {
    return `finding-${this.index}-${position}`;
  }

  build() {
    const comparison = this.comparison;
    const similarity = Math.round((Number(comparison.similarity) || 0) * 100);
    const counts = STATUS_ORDER.map((status) => [status, this.clauses.filter((c) => c.status === status).length]).filter(
      ([, n]) => n > 0,
    );
    const modeSwitch = h(
      "fieldset",
      { class: "segmented view-switch" },
      h("legend", {}, "Show changes as"),
      Object.entries(MODES).map(([value, label]) =>
        h(
          "label",
          {},
          h("input", {
            type: "radio",
            name: `cmp-${this.index}-mode`,
            value,
            checked: value === this.mode,
            onchange: () => {
              this.mode = value;
              keepMode(comparison.contract_id, value);
              this.renderTable();
            },
          }),
          ` ${label}`,
        ),
      ),
    );
    this.matchedButton = h(
      "button",
      {
        type: "button",
        class: "quiet small",
        "aria-controls": this.tableId,
        "aria-expanded": "false",
        hidden: this.matched.length === 0,
        onclick: () => {
          this.showMatched = !this.showMatched;
          this.renderTable();
          if (this.showMatched && this.matched.length) this.focusRow(this.matched[0].position, false);
        },
      },
    );
    return h(
      "section",
      { class: "card comparison", "aria-labelledby": this.headingId, dataset: { contractId: comparison.contract_id } },
      h(
        "div",
        { class: "card-head" },
        h("h2", { id: this.headingId }, comparison.contract_title || "Compared contract"),
        h("span", { class: "similarity", title: "Share of the standard's clauses found unchanged" }, `${similarity} % similar`),
      ),
      comparison.summary ? h("p", { class: "summary" }, comparison.summary) : null,
      (comparison.warnings || []).length
        ? h("ul", { class: "hint warnings", "aria-label": "Notes on these findings" }, comparison.warnings.map((w) => h("li", {}, w)))
        : null,
      h(
        "ul",
        { class: "counts", "aria-label": "Findings by status" },
        counts.map(([status, n]) => h("li", { class: `pill status-${status}` }, `${n} ${(STATUS_LABELS[status] || status).toLowerCase()}`)),
      ),
      this.changesNav(),
      h("div", { class: "result-tools" }, modeSwitch, this.matchedButton),
      h(
        "p",
        { class: "redline-legend" },
        "In the redline, ",
        h("del", {}, "struck-through words"),
        " are the standard's, gone from this contract; ",
        h("ins", {}, "underlined words"),
        " are new in this contract.",
      ),
      h(
        "div",
        { class: "table-wrap" },
        h("table", { class: "data findings", id: this.tableId, "aria-labelledby": this.headingId }, this.thead, this.tbody),
      ),
    );
  }

  /** Every change, highest severity first: each link moves to its finding. */
  changesNav() {
    const title = this.comparison.contract_title || "this contract";
    if (this.changes.length === 0) {
      return h("p", { class: "no-changes" }, "No differences: every clause of the standard is here unchanged.");
    }
    return h(
      "nav",
      { class: "changes", "aria-label": `Changes in ${title}` },
      h("h3", { class: "changes-title" }, `${plural(this.changes.length, "change")}, highest severity first`),
      h(
        "ol",
        {},
        this.changes.map(({ finding, position }) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: `#${this.rowId(position)}`,
                onclick: (event) => {
                  event.preventDefault(); // the page's URL stays the result's
                  this.focusRow(position, true);
                },
              },
              finding.title,
            ),
            " ",
            h("span", { class: `pill status-${finding.status}` }, STATUS_LABELS[finding.status] || finding.status),
            finding.severity ? h("span", { class: `severity severity-${finding.severity}` }, capitalize(finding.severity)) : null,
          ),
        ),
      ),
    );
  }

  focusRow(position, highlight) {
    const row = this.tbody.querySelector(`#${this.rowId(position)}`);
    if (!row) return;
    row.scrollIntoView({ block: "center" });
    row.focus({ preventScroll: true });
    if (highlight) {
      for (const other of this.tbody.querySelectorAll(".jumped")) other.classList.remove("jumped");
      row.classList.add("jumped");
    }
  }

  renderTable() {
    const redline = this.mode === "redline";
    const headers = redline
      ? [["Clause", "col-clause"], ["Status", "col-status"], ["Severity", "col-severity"], ["Changes", "col-redline"], ["Explanation", "col-explanation"]]
      : [
          ["Clause", "col-clause"],
          ["Status", "col-status"],
          ["Severity", "col-severity"],
          ["Standard", "col-excerpt"],
          ["This contract", "col-excerpt"],
          ["Explanation", "col-explanation"],
        ];
    clear(this.thead).append(h("tr", {}, headers.map(([label, cls]) => h("th", { scope: "col", class: cls }, label))));
    const shown = this.showMatched ? [...this.changes, ...this.matched] : this.changes;
    clear(this.tbody).append(...shown.map(({ finding, position }) => this.row(finding, position, redline)));
    if (shown.length === 0) {
      this.tbody.append(h("tr", {}, h("td", { colspan: String(headers.length), class: "empty" }, "No differences to show.")));
    }
    this.root.dataset.mode = this.mode;
    this.matchedButton.textContent = this.showMatched
      ? `Hide matched clauses (${this.matched.length})`
      : `Show matched clauses (${this.matched.length})`;
    this.matchedButton.setAttribute("aria-expanded", String(this.showMatched));
  }

  row(finding, position, redline) {
    const severity = finding.severity || "none";
    const cells = redline
      ? [h("td", { class: "redline-cell" }, this.redlineCell(finding))]
      : [
          excerptCell(finding.standard_excerpt, finding.status === "added" ? "Not in the standard" : absentNote(finding)),
          excerptCell(finding.compared_excerpt, finding.status === "missing" ? "Not in this contract" : absentNote(finding)),
        ];
    return h(
      "tr",
      { id: this.rowId(position), tabindex: "-1", dataset: { status: finding.status, severity, position: String(position) } },
      h("th", { scope: "row", class: "col-clause" }, finding.title, this.clauseLinks(finding)),
      h("td", {}, h("span", { class: `pill status-${finding.status}` }, STATUS_LABELS[finding.status] || finding.status)),
      h(
        "td",
        {},
        finding.severity
          ? h("span", { class: `severity severity-${finding.severity}` }, capitalize(finding.severity))
          : h("span", { class: "severity severity-none" }, h("span", { "aria-hidden": "true" }, "—"), h("span", { class: "visually-hidden" }, "none")),
      ),
      ...cells,
      h("td", { class: "explanation" }, finding.explanation || ""),
    );
  }

  redlineCell(finding) {
    if (finding.status === "modified" && Array.isArray(finding.redline)) return redlineText(finding.redline);
    if (finding.status === "missing") {
      return [h("p", { class: "redline-note" }, "Not in this contract:"), redlineText([{ op: "delete", text: finding.standard_excerpt || finding.title }])];
    }
    if (finding.status === "added") {
      return [h("p", { class: "redline-note" }, "Not in the standard:"), redlineText([{ op: "insert", text: finding.compared_excerpt || finding.title }])];
    }
    const text = finding.compared_excerpt || finding.standard_excerpt;
    if (text) return h("blockquote", { class: "excerpt-text" }, text);
    return h("span", { class: "absent" }, finding.status === "matched" ? "Same text in both" : "—");
  }

  /** Where to read the clause in full: the standard, this contract, or both. */
  clauseLinks(finding) {
    const links = [];
    if (finding.status !== "added") {
      links.push(
        h(
          "a",
          { href: contractHref(this.standard.id, { clause: finding.title, quote: finding.standard_excerpt }) },
          "In the standard",
          h("span", { class: "visually-hidden" }, `: “${finding.title}” in ${this.standard.title}`),
        ),
      );
    }
    if (finding.status !== "missing") {
      const title = this.comparison.contract_title || "this contract";
      links.push(
        h(
          "a",
          { href: contractHref(this.comparison.contract_id, { clause: finding.title, quote: finding.compared_excerpt }) },
          "In this contract",
          h("span", { class: "visually-hidden" }, `: “${finding.title}” in ${title}`),
        ),
      );
    }
    return h("span", { class: "clause-links" }, links);
  }
}

/** Redline runs as text: <ins> underlined, <del> struck through, each with words a screen reader says. */
export function redlineText(runs) {
  const p = h("p", { class: "redline" });
  runs.forEach((run, i) => {
    if (run.op === "insert") {
      // A replacement: the new words right after the old, set a little apart so each reads as a word of its own.
      const replaces = i > 0 && runs[i - 1].op === "delete";
      p.append(h("ins", { class: replaces ? "replaces" : null }, h("span", { class: "visually-hidden" }, "[inserted: "), run.text, h("span", { class: "visually-hidden" }, "]")));
    } else if (run.op === "delete") {
      p.append(h("del", {}, h("span", { class: "visually-hidden" }, "[deleted: "), run.text, h("span", { class: "visually-hidden" }, "]")));
    } else {
      p.append(run.text);
    }
  });
  return p;
}

function excerptCell(text, absent) {
  return h("td", { class: "excerpt" }, text ? h("blockquote", {}, text) : h("span", { class: "absent" }, absent));
}

function absentNote(finding) {
  // not_assessed: a standard clause the model's reply left out even when asked again (the card's notes say so).
  if (finding.status === "not_assessed") return "Not assessed";
  return finding.status === "matched" ? "Same text" : "—";
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
    h(
      "div",
      { class: "result-intro" },
      h("p", { class: "question" }, h("span", { class: "label" }, "Question"), result.question || ""),
      usageLine(stored, result),
      reportLinks(stored),
    ),
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
                h(
                  "p",
                  { class: "citation-source" },
                  h("span", { class: "citation-contract" }, titleOf(c.contract_id)),
                  c.clause_title ? h("span", { class: "citation-clause" }, c.clause_title) : null,
                  h(
                    "a",
                    { class: "citation-open", href: contractHref(c.contract_id, { clause: c.clause_title, quote: c.quote }) },
                    "Read in the contract",
                    h("span", { class: "visually-hidden" }, `: ${titleOf(c.contract_id)}${c.clause_title ? `, “${c.clause_title}”` : ""}`),
                  ),
                ),
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
