// The job monitor: one card per job (status, progress bar, step message, actions), the active-job badge, and the
// toasts when a job this page watched completes or fails. Cards are updated in place, so a keyboard user's focus
// on a button survives every update.

import { ACTIVE, JOB_STATUS_LABELS as STATUS_LABELS, TERMINAL, api } from "./api.js";
import { byId, formatDateTime, h, plural, showError, hideError, truncate } from "./dom.js";
import { FeedState } from "./jobs-feed.js";
import { toast } from "./toasts.js";

const MAX_CARDS = 30;
const KIND_LABELS = { comparison: "Comparison", query: "Question", batch_staging: "Batch", batch_evaluation: "Batch" };
// An older server's batch job without a title: "Batch staging — <batch name>".
const BATCH_JOB_LABELS = { batch_staging: "Batch staging", batch_evaluation: "Batch run" };
const FEED_LABELS = {
  [FeedState.CONNECTING]: "Connecting…",
  [FeedState.LIVE]: "Live",
  [FeedState.POLLING]: "Updating every 2 s",
  [FeedState.ERROR]: "Not updating",
};

export class Monitor {
  /** openResult(resultId), openBatch(batchId): where "View results" goes; batchNames: a BatchNames (batches.js). */
  constructor(library, { openResult, openBatch, batchNames }) {
    this.library = library;
    this.openResult = openResult;
    this.openBatch = openBatch;
    this.batchNames = batchNames;
    this.jobs = new Map();
    this.cards = new Map();
    this.watched = new Set(); // submitted here: announce them even if first seen already finished
    this.announced = new Set();
    this.feed = null;
    this.list = byId("job-list");
    // Titles arrive after the first jobs may have: re-label the cards then.
    const relabel = () => {
      for (const job of this.jobs.values()) this.renderCard(job);
    };
    library.addEventListener("change", relabel);
    batchNames.addEventListener("change", relabel);
    byId("jobs-button").addEventListener("click", () => {
      byId("monitor").scrollIntoView({ behavior: "smooth", block: "start" });
      byId("monitor-heading").focus({ preventScroll: true });
    });
  }

  // --- feed callbacks -------------------------------------------------------------------------------------------

  merge(jobs) {
    for (const job of jobs) this.upsert(job);
    this.layout();
  }

  setFeedState(state) {
    const el = byId("feed-state");
    el.dataset.state = state;
    el.textContent = FEED_LABELS[state] || state;
  }

  setFeedError(error) {
    const el = byId("monitor-error");
    if (error) showError(el, error, "Job updates failed.");
    else hideError(el);
  }

  // --- jobs -----------------------------------------------------------------------------------------------------

  watch(jobId) {
    this.watched.add(jobId);
  }

  upsert(job) {
    const previous = this.jobs.get(job.job_id);
    // A late answer from an older read must not bring a finished job back to life.
    if (previous && TERMINAL.has(previous.status) && !TERMINAL.has(job.status)) return;
    if (previous && isOlder(job, previous)) return;
    this.jobs.set(job.job_id, job);
    const wasActive = previous ? ACTIVE.has(previous.status) : this.watched.has(job.job_id);
    if (wasActive && TERMINAL.has(job.status)) this.announce(job);
    if (ACTIVE.has(job.status)) this.watched.add(job.job_id);
    this.renderCard(job);
  }

  async fetchJob(jobId) {
    try {
      this.upsert(await api(`jobs/${encodeURIComponent(jobId)}`));
      this.layout();
    } catch (error) {
      this.setFeedError(error);
    }
  }

  announce(job) {
    if (this.announced.has(job.job_id)) return;
    this.announced.add(job.job_id);
    const label = this.describe(job);
    if (job.status === "completed" && job.result_id) {
      toast({
        kind: "success",
        title: `${KIND_LABELS[job.job_type] || "Job"} complete`,
        message: label,
        action: { label: viewLabel(job), run: () => this.view(job) },
      });
    } else if (job.status === "failed") {
      toast({
        kind: "error",
        title: `${KIND_LABELS[job.job_type] || "Job"} failed`,
        message: `${label}: ${failureReason(job)}`,
        action: { label: "Retry", run: () => this.retry(job) },
      });
    }
  }

  async cancel(job) {
    try {
      await api(`jobs/${encodeURIComponent(job.job_id)}/cancel`, { method: "POST" });
    } catch (error) {
      toast({ kind: "error", title: "The job was not cancelled", message: error.message });
    }
    await this.fetchJob(job.job_id);
  }

  async retry(job) {
    try {
      const submitted = await api(`jobs/${encodeURIComponent(job.job_id)}/retry`, { method: "POST" });
      this.submitted(submitted);
    } catch (error) {
      toast({ kind: "error", title: "The job was not retried", message: error.message });
    }
  }

  /** A 202 from a submit or retry: follow the new job at once. */
  submitted(accepted) {
    this.watch(accepted.job_id);
    this.fetchJob(accepted.job_id);
    if (this.feed) this.feed.refresh();
  }

  /** A finished job's outcome: a batch job's batch, any other job's result. */
  view(job) {
    if (BATCH_JOB_LABELS[job.job_type]) this.openBatch((job.request || {}).batch_id);
    else this.openResult(job.result_id);
  }

  /** The job's title as the server fixed it at submission, whatever client submitted it (older servers: made here). */
  describe(job) {
    if (job.title) return job.title;
    const request = job.request || {};
    if (BATCH_JOB_LABELS[job.job_type]) {
      const again = request.reprocess ? " (reprocess)" : "";
      return `${BATCH_JOB_LABELS[job.job_type]} — ${this.batchNames.nameOf(request.batch_id)}${again}`;
    }
    if (job.job_type === "comparison") {
      const compared = request.compareContractIds || [];
      const other = compared.length === 1 ? this.library.titleOf(compared[0]) : plural(compared.length, "contract");
      return `${this.library.titleOf(request.standardContractId)} vs ${other}`;
    }
    if (job.job_type === "query") {
      const count = (request.contract_ids || []).length;
      return `“${truncate(request.question, 90)}” over ${plural(count, "contract")}`;
    }
    return job.job_type;
  }

  // --- rendering ------------------------------------------------------------------------------------------------

  renderCard(job) {
    let card = this.cards.get(job.job_id);
    if (!card) {
      card = buildCard(job, this);
      this.cards.set(job.job_id, card);
    }
    const progress = job.progress || {};
    const percentage = job.status === "completed" ? 100 : clamp(progress.percentage);
    const title = this.describe(job);
    card.root.dataset.status = job.status;
    card.kind.textContent = KIND_LABELS[job.job_type] || job.job_type;
    card.status.textContent = STATUS_LABELS[job.status] || job.status;
    card.status.className = `pill status-${job.status}`;
    card.title.textContent = title;
    card.title.title = title;
    card.bar.setAttribute("aria-valuenow", String(percentage));
    card.bar.setAttribute("aria-valuetext", `${percentage} %${progress.message ? `, ${progress.message}` : ""}`);
    card.fill.style.width = `${percentage}%`;
    card.percent.textContent = `${percentage} %`;
    card.message.textContent = stepMessage(job);
    const reason = job.status === "failed" || job.status === "cancelled" ? failureReason(job) : "";
    card.reason.textContent = reason;
    card.reason.hidden = !reason;
    const meta = [`Started ${formatDateTime(job.created_at)}`];
    if (job.retry_of) meta.push("retry of an earlier job");
    card.meta.textContent = meta.join(" · ");
    card.cancel.hidden = !ACTIVE.has(job.status);
    card.retry.hidden = !(job.status === "failed" || job.status === "cancelled");
    card.view.hidden = !(job.status === "completed" && job.result_id);
    card.view.textContent = viewLabel(job);
  }

  layout() {
    const ordered = [...this.jobs.values()].sort(newestFirst);
    // Keep every active job; drop the oldest finished ones past the limit.
    let kept = 0;
    const visible = ordered.filter((job) => ACTIVE.has(job.status) || kept++ < MAX_CARDS);
    const keep = new Set(visible.map((job) => job.job_id));
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        card.root.remove();
        this.cards.delete(id);
        this.jobs.delete(id);
      }
    }
    // Insert only where the order differs: moving a node would take the focus off a button in it.
    visible.forEach((job, index) => {
      const node = this.cards.get(job.job_id).root;
      if (this.list.children[index] !== node) this.list.insertBefore(node, this.list.children[index] || null);
    });
    const active = visible.filter((job) => ACTIVE.has(job.status)).length;
    const badge = byId("active-badge");
    badge.textContent = String(active);
    badge.dataset.count = String(active);
    byId("active-jobs-label").textContent = `${plural(active, "active job")}`;
    byId("jobs-empty").hidden = visible.length > 0;
  }
}

function buildCard(job, monitor) {
  const titleId = `job-title-${job.job_id}`;
  const fill = h("div", { class: "progress-fill" });
  const card = {
    kind: h("span", { class: "job-kind" }),
    status: h("span", { class: "pill" }),
    title: h("p", { class: "job-title", id: titleId }),
    fill,
    bar: h(
      "div",
      {
        class: "progress",
        role: "progressbar",
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": "0",
        "aria-labelledby": titleId,
      },
      fill,
    ),
    message: h("span", { class: "job-message" }),
    percent: h("span", { class: "job-percent" }),
    reason: h("p", { class: "job-reason", hidden: true }),
    meta: h("p", { class: "job-meta" }),
    cancel: h("button", { type: "button", class: "quiet small", "aria-describedby": titleId }, "Cancel"),
    retry: h("button", { type: "button", class: "quiet small", "aria-describedby": titleId }, "Retry"),
    view: h("button", { type: "button", class: "primary small", "aria-describedby": titleId }, "View results"),
  };
  card.cancel.addEventListener("click", async () => {
    card.cancel.disabled = true;
    await monitor.cancel(monitor.jobs.get(job.job_id));
    card.cancel.disabled = false;
  });
  card.retry.addEventListener("click", async () => {
    card.retry.disabled = true;
    await monitor.retry(monitor.jobs.get(job.job_id));
    card.retry.disabled = false;
  });
  card.view.addEventListener("click", () => monitor.view(monitor.jobs.get(job.job_id)));
  card.root = h(
    "li",
    { class: "job", dataset: { jobId: job.job_id } },
    h("div", { class: "job-head" }, card.kind, card.status),
    card.title,
    card.bar,
    h("div", { class: "job-step" }, card.message, card.percent),
    card.reason,
    h("div", { class: "job-foot" }, card.meta, h("div", { class: "job-actions" }, card.cancel, card.retry, card.view)),
  );
  return card;
}

function viewLabel(job) {
  return BATCH_JOB_LABELS[job.job_type] ? "Open batch" : "View results";
}

// Where a job was when it stopped, in words (a failed job's own message repeats the reason shown below it).
const STEP_LABELS = {
  queued: "before it started",
  retrieving_data: "while reading the contracts",
  generating_prompt: "while preparing the prompts",
  calling_llm: "during the model calls",
  processing_results: "while checking the results",
  saving_results: "while saving the result",
};

function stepMessage(job) {
  const progress = job.progress || {};
  if (job.status === "completed") return job.result_id ? "Result ready" : "Completed";
  if (TERMINAL.has(job.status)) return `Stopped ${STEP_LABELS[progress.current_step] || ""}`.trim();
  return progress.message || STATUS_LABELS[job.status] || "";
}

export function failureReason(job) {
  const details = job.error_details || {};
  const reason = details.message || details.reason || details.error;
  if (typeof reason === "string" && reason) return reason;
  return job.status === "cancelled" ? "Cancelled" : "The job failed without a reason.";
}

function clamp(value) {
  const n = Number(value);
  return Number.isFinite(n) ? Math.max(0, Math.min(100, Math.round(n))) : 0;
}

function newestFirst(a, b) {
  return String(b.created_at).localeCompare(String(a.created_at)) || String(b.job_id).localeCompare(String(a.job_id));
}

// A job read from an older answer (a poll that crossed a stream event): its progress `seq` (which only ever grows),
// else its progress time, is behind what the card already shows.
function isOlder(job, previous) {
  if (job.status !== previous.status) return false;
  const a = job.progress || {};
  const b = previous.progress || {};
  if (Number.isFinite(a.seq) && Number.isFinite(b.seq)) return a.seq < b.seq;
  return Boolean(a.updated_at && b.updated_at && new Date(a.updated_at) < new Date(b.updated_at));
}
