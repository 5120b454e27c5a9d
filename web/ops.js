// The Operations view (#ops), for callers with the app role `ops` only: GET /api/me says whether the caller has it
// (the tab stays hidden otherwise, and GET /api/ops/summary would answer 403 anyway). While the view is open and the
// page visible, the summary is read every 15 s: key figures for the last hour and day, the model deployments (calls,
// tokens, cost, 429 share, the scheduler's queue), jobs by status and type, the oldest running job and the last
// day's failures with their reasons. Text from the API only ever goes in as text.

import { JOB_STATUS_LABELS as STATUS_LABELS, api } from "./api.js";
import { byId, clear, formatCost, formatDateTime, formatNumber, h, hideError, showError } from "./dom.js";

const REFRESH_MS = 15_000;
const OPS_ROLE = "ops";
const PERIOD_LABELS = { hour: "Last hour", day: "Last 24 hours" };
const TYPE_LABELS = {
  comparison: "Comparison",
  query: "Question",
  batch_staging: "Batch staging",
  batch_evaluation: "Batch run",
};
const SELECTION_LABELS = { primary: "Primary", secondary: "Secondary" };

export { formatCost };
export function formatShare(value) {
  if (typeof value !== "number") return "—";
  const pct = value * 100;
  return `${pct > 0 && pct < 1 ? pct.toFixed(1) : Math.round(pct)} %`;
}

/** 42 s, 3 min 5 s, 2 h 4 min. */
export function formatDuration(seconds) {
  if (typeof seconds !== "number") return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
}

export class OpsView {
  constructor() {
    this.allowed = false;
    this.open = false;
    this.timer = null;
    this.loading = null;
    this.period = "hour";
    this.summary = null;
    this.link = document.querySelector("[data-view-link=ops]");
    document.addEventListener("visibilitychange", () => this.schedule());
  }

  /** Ask the API whether the caller has the role; shows the tab when so. Resolves to that answer. */
  async learnRole() {
    try {
      const me = await api("me");
      this.allowed = Array.isArray(me.roles) && me.roles.includes(OPS_ROLE);
    } catch {
      this.allowed = false; // the tab is a convenience: without an answer it stays hidden
    }
    this.link.hidden = !this.allowed;
    this.link.dataset.roleChecked = "true"; // the answer is in (tests wait for it before looking for the tab)
    return this.allowed;
  }

  show() {
    this.open = true;
    this.load();
  }

  hide() {
    this.open = false;
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.open && document.visibilityState === "visible") {
      this.timer = setTimeout(() => this.load(), REFRESH_MS);
    }
  }

  async load() {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        this.summary = await api("ops/summary");
        hideError(byId("ops-error"));
        this.render();
      } catch (error) {
        showError(byId("ops-error"), error, "The figures could not be read.");
      } finally {
        this.loading = null;
        this.schedule();
      }
    })();
    return this.loading;
  }

  render() {
    const summary = this.summary;
    if (!summary) return;
    byId("ops-updated").textContent = `Updated ${formatDateTime(summary.generated_at)} · refreshes every 15 s`;
    const body = clear(byId("ops-body"));
    body.append(
      keyFigures(summary),
      this.deploymentsCard(summary),
      jobsCard(summary),
      oldestCard(summary.oldest_running),
      failuresCard(summary),
    );
  }

  deploymentsCard(summary) {
    const window = this.period === "day" ? summary.last_day : summary.last_hour;
    const switcher = h(
      "fieldset",
      // aria-label, not a visually hidden legend: a legend ignores the positioning that hides it and overflows.
      { class: "segmented ops-period", "aria-label": "Period" },
      Object.entries(PERIOD_LABELS).map(([value, label]) =>
        h(
          "label",
          {},
          h("input", {
            type: "radio",
            name: "ops-period",
            value,
            checked: value === this.period,
            onchange: () => {
              this.period = value;
              this.render();
              document.querySelector(`input[name=ops-period][value=${value}]`)?.focus();
            },
          }),
          ` ${label}`,
        ),
      ),
    );
    return h(
      "section",
      { class: "card", "aria-labelledby": "ops-deployments-heading" },
      h("div", { class: "card-head" }, h("h2", { id: "ops-deployments-heading" }, "Model deployments"), switcher),
      deploymentTable(window, summary.backlog, summary.currency),
      h(
        "p",
        { class: "hint" },
        "Calls are requests sent, retries included. Tokens are the answered requests'; the cost is estimated at the ",
        h("code", {}, "LLM_PRICE_PER_1K_*"),
        " settings. Waiting: calls queued for the deployment's quota now.",
      ),
    );
  }
}

function tile(label, hour, day, format = formatNumber) {
  return h(
    "div",
    { class: "ops-tile", role: "group", "aria-label": label },
    h("p", { class: "ops-tile-label" }, label),
    h("p", { class: "ops-tile-value" }, format(hour)),
    h("p", { class: "ops-tile-sub" }, `last hour · 24 h: ${format(day)}`),
  );
}

function keyFigures(summary) {
  const hour = summary.last_hour;
  const day = summary.last_day;
  const waiting = summary.backlog.reduce((sum, row) => sum + row.waiting, 0);
  const tokens = (w) => w.total.prompt_tokens + w.total.completion_tokens;
  const oldest = summary.oldest_running;
  return h(
    "section",
    { class: "ops-tiles", "aria-label": "Key figures" },
    tile("Jobs", hour.jobs.total, day.jobs.total),
    tile("Failed jobs", hour.jobs.by_status.failed, day.jobs.by_status.failed),
    nowTile("Running longest", oldest ? formatDuration(oldest.running_s ?? oldest.age_s) : "—", oldest ? oldest.step : "no job running"),
    nowTile("Waiting calls", formatNumber(waiting), "for quota, now"),
    tile("Model calls", hour.total.calls, day.total.calls),
    tile("429 share", hour.total.throttled_share, day.total.throttled_share, formatShare),
    tile("Tokens", tokens(hour), tokens(day)),
    tile(`Est. cost (${summary.currency || "USD"})`, hour.total.estimated_cost, day.total.estimated_cost, (v) => formatCost(v, summary.currency)),
  );
}

function nowTile(label, value, sub) {
  return h(
    "div",
    { class: "ops-tile", role: "group", "aria-label": label },
    h("p", { class: "ops-tile-label" }, label),
    h("p", { class: "ops-tile-value" }, value),
    h("p", { class: "ops-tile-sub" }, sub),
  );
}

function deploymentTable(window, backlog, currency) {
  const queues = new Map(backlog.map((row) => [row.deployment, row]));
  const names = [...new Set([...window.deployments.map((d) => d.deployment), ...queues.keys()])];
  if (!names.length) return h("p", { class: "empty" }, "No model calls in this period, and no model service configured.");
  const byName = new Map(window.deployments.map((d) => [d.deployment, d]));
  const numeric = (text, title) => h("th", { scope: "col", class: "num", title }, text);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data ops-deployments", "aria-labelledby": "ops-deployments-heading" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Deployment"),
          numeric("Calls"),
          numeric("429s", "Requests answered 429 Too Many Requests"),
          numeric("429 share"),
          numeric("Tokens in / out", "Prompt / completion tokens of the answered requests"),
          numeric(`Est. cost (${currency || "USD"})`),
          numeric("Queue wait", "Waited in a worker for the deployment's quota, per call"),
          numeric("Waiting", "Calls queued for the deployment's quota now"),
        ),
      ),
      h(
        "tbody",
        {},
        names.map((name) => deploymentRow(name, byName.get(name), queues.get(name), currency)),
      ),
      h("tfoot", {}, totalRow(window.total, backlog, currency)),
    ),
  );
}

function figureCells(figures, currency) {
  const cell = (text) => h("td", { class: "num" }, text);
  const f = figures || { calls: 0, throttled: 0, throttled_share: 0, prompt_tokens: 0, completion_tokens: 0 };
  return [
    cell(formatNumber(f.calls)),
    cell(formatNumber(f.throttled)),
    cell(formatShare(f.throttled_share)),
    cell(`${formatNumber(f.prompt_tokens)} / ${formatNumber(f.completion_tokens)}`),
    cell(formatCost(f.estimated_cost || 0, currency)),
    cell(f.calls ? formatDuration(f.avg_queue_wait_s) : "—"),
  ];
}

function deploymentRow(name, figures, queue, currency) {
  const selection = (figures && figures.selection) || (queue && queue.selection) || "";
  const about = [SELECTION_LABELS[selection] || selection, queue ? schedulerState(queue) : ""].filter(Boolean);
  return h(
    "tr",
    { dataset: { deployment: name } },
    h("th", { scope: "row" }, name, about.length ? h("span", { class: "sub" }, about.join(" · ")) : null),
    figureCells(figures, currency),
    h("td", { class: "num" }, queue ? formatNumber(queue.waiting) : "—"),
  );
}

function schedulerState(queue) {
  const parts = [];
  if (queue.paused_for_s > 0) parts.push(`paused ${formatDuration(queue.paused_for_s)} after a 429`);
  if (queue.rate < 1) parts.push(`at ${formatShare(queue.rate)} of its limits`);
  if (queue.waiting && queue.oldest_wait_s !== null) parts.push(`oldest waiting ${formatDuration(queue.oldest_wait_s)}`);
  return parts.join(", ");
}

function totalRow(total, backlog, currency) {
  const waiting = backlog.reduce((sum, row) => sum + row.waiting, 0);
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, "All deployments"),
    figureCells(total, currency),
    h("td", { class: "num" }, formatNumber(waiting)),
  );
}

function countsTable(caption, labels, hour, day) {
  return h(
    "table",
    { class: "data ops-counts" },
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, caption.replace(/^By /, "").replace(/^./, (c) => c.toUpperCase())),
        h("th", { scope: "col", class: "num" }, "Last hour"),
        h("th", { scope: "col", class: "num" }, "Last 24 h"),
      ),
    ),
    h(
      "tbody",
      {},
      Object.entries(labels).map(([key, label]) =>
        h(
          "tr",
          { dataset: { key } },
          h("th", { scope: "row" }, label),
          h("td", { class: "num" }, formatNumber(hour[key] || 0)),
          h("td", { class: "num" }, formatNumber(day[key] || 0)),
        ),
      ),
    ),
  );
}

function jobsCard(summary) {
  const hour = summary.last_hour.jobs;
  const day = summary.last_day.jobs;
  return h(
    "section",
    { class: "card", "aria-labelledby": "ops-jobs-heading" },
    h("h2", { id: "ops-jobs-heading" }, "Jobs"),
    h("p", { class: "hint" }, "Jobs submitted in the period, every user's, by their status now."),
    h(
      "div",
      { class: "ops-pair" },
      countsTable("By status", STATUS_LABELS, hour.by_status, day.by_status),
      countsTable("By type", TYPE_LABELS, hour.by_type, day.by_type),
    ),
  );
}

function oldestCard(job) {
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "ops-oldest-heading" },
    h("h2", { id: "ops-oldest-heading" }, "Oldest running job"),
  );
  if (!job) {
    card.append(h("p", { class: "empty" }, "No job is running."));
    return card;
  }
  const row = (term, value) => h("div", {}, h("dt", {}, term), h("dd", {}, value));
  card.append(
    h(
      "dl",
      { class: "ops-facts" },
      h("div", { class: "ops-fact-wide" }, h("dt", {}, "Job"), h("dd", {}, job.title || TYPE_LABELS[job.job_type] || "Job", h("code", { class: "sub" }, job.job_id))),
      row("Type", TYPE_LABELS[job.job_type] || job.job_type),
      row("Step", job.step || "—"),
      row("Running for", job.running_s === null ? "not started" : formatDuration(job.running_s)),
      row("Submitted", `${formatDuration(job.age_s)} ago`),
      row("User", h("code", { title: "The user's hash, as in telemetry's user.hash" }, job.user_hash)),
    ),
  );
  return card;
}

function failuresCard(summary) {
  const failures = summary.failed_jobs;
  const failedToday = summary.last_day.jobs.by_status.failed;
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "ops-failed-heading" },
    h("h2", { id: "ops-failed-heading" }, "Failed jobs, last 24 hours"),
  );
  if (!failures.length) {
    card.append(h("p", { class: "empty" }, "No job failed in the last 24 hours."));
    return card;
  }
  if (failures.length >= summary.failed_jobs_limit) {
    card.append(h("p", { class: "hint" }, `The ${failures.length} most recent; ${formatNumber(failedToday)} submitted today failed.`));
  }
  card.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data ops-failures", "aria-labelledby": "ops-failed-heading" },
        h(
          "thead",
          {},
          h("tr", {}, ["When", "Job", "Error", "Reason"].map((text) => h("th", { scope: "col" }, text))),
        ),
        h(
          "tbody",
          {},
          failures.map((job) =>
            h(
              "tr",
              { dataset: { jobId: job.job_id } },
              h("td", { class: "nowrap" }, formatDateTime(job.failed_at)),
              h(
                "td",
                {},
                h("span", { class: "ops-job-title" }, job.title || TYPE_LABELS[job.job_type] || "Job"),
                h("span", { class: "sub" }, TYPE_LABELS[job.job_type] || job.job_type, " · ", h("code", {}, job.job_id)),
              ),
              h("td", { class: "nowrap" }, h("code", {}, job.error_type), job.step ? h("span", { class: "sub" }, job.step) : null),
              h("td", { class: "ops-reason" }, job.message),
            ),
          ),
        ),
      ),
    ),
  );
  return card;
}
