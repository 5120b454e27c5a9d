// One batch, rendered: its staging report (documents not staged, with the reason), the score table (one row per
// staged document, one column per prompt: score, status, a short response, its evidence on demand) and the summary
// (mean, pass rate per prompt, answers reused). Text from the API only ever goes in as text.

import { clear, formatCost, formatNumber, h, plural, truncate } from "./dom.js";

export const STATUS_LABELS = {
  SAVED: "Saved",
  STAGING: "Staging",
  STAGED: "Staged",
  FAILED_STAGING: "Staging failed",
  PROCESSING: "Running",
  COMPLETED: "Completed",
  COMPLETED_WITH_ERRORS: "Completed with errors",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};
const RECORD_LABELS = { QUEUED: "Queued", S: "Answered", F: "Failed" };
const SHORT_RESPONSE = 140;

export function statusPill(el, status) {
  el.textContent = STATUS_LABELS[status] || status;
  el.className = `pill batch-status batch-status-${String(status).toLowerCase().replace(/_/g, "-")}`;
  el.dataset.status = status;
  return el;
}

export function percent(value) {
  return typeof value === "number" ? `${Math.round(value * 100)} %` : "—";
}

/** A score in its prompt's own terms: Pass / Fail, "4 / 5", or the share of checks that pass. */
export function formatScore(score, scoring) {
  if (typeof score !== "number") return "—";
  if (!scoring || scoring.type === "pass_fail") return score >= 1 ? "Pass" : "Fail";
  if (scoring.type === "scale") return `${formatNumber(score)} / ${formatNumber(scoring.max)}`;
  const total = (scoring.checks || []).length;
  return total ? `${Math.round(score * total)} of ${total} checks` : percent(score);
}

function scoreClass(score, scoring) {
  if (typeof score !== "number") return "score";
  let share = score;
  if (scoring && scoring.type === "scale") share = (score - scoring.min) / (scoring.max - scoring.min);
  return `score ${share >= 1 ? "score-high" : share >= 0.5 ? "score-mid" : "score-low"}`;
}

/** `complete`: every record of the batch is in `records` (a large batch shows its first page; the exports have all). */
export function renderBatchBody(container, batch, records, complete = true) {
  clear(container);
  const config = batch.snapshot || batch.config;
  container.append(stagingReport(batch));
  if (batch.summary) container.append(summarySection(batch.summary, config));
  let staged = (batch.documents || []).filter((d) => d.status === "staged");
  if (!complete) {
    const loaded = new Set(records.map((r) => r.document_id));
    staged = staged.filter((d) => loaded.has(d.document_id));
  }
  if (staged.length) container.append(scoreTable(batch, config, staged, records, complete));
}

function stagingReport(batch) {
  const documents = batch.documents || [];
  const section = h("section", { class: "batch-section", "aria-labelledby": "batch-report-heading" });
  section.append(h("h3", { id: "batch-report-heading" }, "Staging report"));
  if (!batch.snapshot) {
    section.append(h("p", { class: "empty" }, `Not staged yet. Staging reads the documents of ${plural(batch.config.folders.length, "folder")} and queues one record per document and prompt.`));
    return section;
  }
  const failed = documents.filter((d) => d.status === "failed");
  const staged = documents.length - failed.length;
  section.append(h("p", {}, `${formatNumber(staged)} of ${plural(documents.length, "document")} staged.`));
  if (failed.length === 0) return section;
  section.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "batch-failed-documents" },
        h("caption", { class: "table-caption" }, `Not staged (${formatNumber(failed.length)})`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Document"), h("th", { scope: "col" }, "Folder"), h("th", { scope: "col" }, "Reason"))),
        h(
          "tbody",
          {},
          failed.map((d) => h("tr", { dataset: { documentId: d.document_id } }, h("th", { scope: "row" }, d.filename || d.document_id), h("td", {}, d.folder), h("td", {}, d.reason || ""))),
        ),
      ),
    ),
  );
  return section;
}

function summarySection(summary, config) {
  const section = h("section", { class: "batch-section", "aria-labelledby": "batch-summary-heading" });
  section.append(h("h3", { id: "batch-summary-heading" }, "Summary"));
  const byStatus = summary.by_status || {};
  // Pass/fail prompts score 1 or 0: their mean is their pass rate, and is called that.
  const allPassFail = config.prompts.every((p) => !p.scoring || p.scoring.type === "pass_fail");
  const facts = [
    [allPassFail ? "Pass rate" : "Mean score", percent(summary.mean_score)],
    ["Answered", formatNumber(byStatus.S || 0)],
    ["Failed", formatNumber(byStatus.F || 0)],
    ["Answers reused", formatNumber(summary.reused_answers)],
    ["Model calls", formatNumber(summary.model_calls)],
  ];
  if (typeof summary.estimated_cost === "number") {
    facts.push(["Estimated cost", formatCost(summary.estimated_cost, summary.currency || "USD")]);
  }
  section.append(h("dl", { class: "facts", id: "batch-summary" }, facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value)))));
  const prompts = summary.prompts || [];
  section.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "batch-prompt-summary" },
        h("caption", { class: "table-caption" }, "Per prompt"),
        h(
          "thead",
          {},
          h("tr", {}, ["Prompt", "Scoring", "Answered", "Failed", "Mean", "Pass rate"].map((label, i) => h("th", { scope: "col", class: i > 1 ? "num" : null }, label))),
        ),
        h(
          "tbody",
          {},
          prompts.map((p, index) => {
            const scoring = (config.prompts[index] || {}).scoring;
            const passFail = !scoring || scoring.type === "pass_fail";
            const mean = passFail
              ? h("span", {}, h("span", { "aria-hidden": "true" }, "—"), h("span", { class: "visually-hidden" }, "see the pass rate"))
              : scoring.type === "scale"
                ? typeof p.mean === "number" ? p.mean.toFixed(1) : "—"
                : percent(p.mean);
            return h(
              "tr",
              {},
              h("th", { scope: "row" }, p.name),
              h("td", {}, p.scoring),
              h("td", { class: "num" }, formatNumber(p.answered)),
              h("td", { class: "num" }, formatNumber(p.failed)),
              h("td", { class: "num" }, mean),
              h("td", { class: "num" }, percent(p.pass_rate)),
            );
          }),
        ),
      ),
    ),
  );
  return section;
}

function scoreTable(batch, config, documents, records, complete) {
  const byCell = new Map(records.map((r) => [`${r.document_id}:${r.prompt_index}`, r]));
  const section = h("section", { class: "batch-section", "aria-labelledby": "batch-scores-heading" });
  section.append(h("h3", { id: "batch-scores-heading" }, "Scores"));
  if (!complete) {
    section.append(h("p", { class: "hint" }, `The first ${plural(records.length, "record")} are shown; the exports hold every record.`));
  }
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, "Document"),
    config.prompts.map((p) => h("th", { scope: "col" }, p.name)),
    h("th", { scope: "col", class: "num" }, "Overall"),
  );
  const rows = documents.map((d) =>
    h(
      "tr",
      { dataset: { documentId: d.document_id } },
      h("th", { scope: "row", class: "title-cell" }, d.filename, h("span", { class: "sub" }, d.folder)),
      config.prompts.map((p, index) => scoreCell(byCell.get(`${d.document_id}:${index}`), p)),
      h("td", { class: "num" }, percent(d.overall_score)),
    ),
  );
  section.append(
    h("div", { class: "table-wrap" }, h("table", { class: "data scores", id: "batch-scores", "aria-labelledby": "batch-scores-heading" }, h("thead", {}, head), h("tbody", {}, rows))),
  );
  return section;
}

function scoreCell(record, prompt) {
  if (!record) return h("td", { class: "score-cell", dataset: { status: "none" } }, h("span", { class: "sub" }, "Not loaded"));
  const cell = h("td", { class: "score-cell", dataset: { status: record.status, prompt: prompt.name } });
  if (record.status === "S") {
    cell.append(h("span", { class: scoreClass(record.score, prompt.scoring) }, formatScore(record.score, prompt.scoring)));
    if (record.reused) cell.append(h("span", { class: "sub reused" }, " · reused"));
    if (record.response_text) cell.append(h("p", { class: "cell-response", title: record.response_text }, truncate(record.response_text, SHORT_RESPONSE)));
    const evidence = record.evidence || [];
    cell.append(
      evidence.length
        ? h("details", { class: "evidence" }, h("summary", {}, `Evidence (${evidence.length})`), evidence.map((quote) => h("blockquote", { class: "quote" }, quote)))
        : h("p", { class: "sub" }, "No evidence quoted"),
    );
  } else {
    cell.append(h("span", { class: `pill record-${record.status.toLowerCase()}` }, RECORD_LABELS[record.status] || record.status));
    if (record.error) cell.append(h("p", { class: "cell-response cell-error" }, truncate(record.error, SHORT_RESPONSE)));
  }
  return cell;
}
