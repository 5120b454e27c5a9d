// The Batches view (#batches, #batches/<batch_id>): documents and folders, the New batch form and the list of batches
// with their live status; or one batch on its own (the overview hidden, a link back to it) with its Stage / Reprocess /
// Run / Cancel buttons, staging report, scores, summary and export links.
//
// Live: the job monitor's feed hands every job update here (jobsChanged); an update of a batch job (batch_staging,
// batch_evaluation) refreshes the list and, when it concerns the open batch, the batch — at most once a second
// while its job runs, and once more when it ends.

import { ACTIVE, api, apiUrl } from "./api.js";
import { reloadFolders, setUpDocuments, Folders } from "./batch-documents.js";
import { renderBatchBody, percent, statusPill } from "./batch-detail.js";
import { setUpBatchForm } from "./batch-form.js";
import { byId, clear, formatDateTime, formatNumber, h, hideError, showError } from "./dom.js";

const LIST_SIZE = 50;
const RECORDS_PAGE = 1000;
const REFRESH_MS = 1000;
const BATCH_JOB_TYPES = new Set(["batch_staging", "batch_evaluation"]);
const FINISHED = new Set(["COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELLED"]);

/** Batch names by id: the job monitor labels batch jobs with them. */
export class BatchNames extends EventTarget {
  constructor() {
    super();
    this.names = new Map();
  }

  nameOf(batchId) {
    return this.names.get(batchId) || `batch ${batchId}`;
  }

  learn(batches) {
    let changed = false;
    for (const { batch_id: id, name } of batches) {
      if (name && this.names.get(id) !== name) {
        this.names.set(id, name);
        changed = true;
      }
    }
    if (changed) this.dispatchEvent(new Event("change"));
  }
}

export class BatchesView {
  /** monitor: the job monitor (follows the jobs started here); navigate(hash): open a view. */
  constructor({ names, monitor, navigate }) {
    this.names = names;
    this.monitor = monitor;
    this.navigate = navigate;
    this.folders = new Folders();
    this.batches = [];
    this.continuation = null;
    this.current = null; // the open batch's id
    this.batch = null;
    this.records = [];
    this.seen = new Map(); // job id -> what was last seen of it (status and seq)
    this.timer = null;
    this.loading = null;
    this.dirty = { list: false, detail: false };
    this.lastRefresh = 0;
    this.statusAt = null; // the batch's status when the last action's message was shown
    this.started = false;

    setUpDocuments(this.folders);
    // A batch not staged yet counts the documents its folders hold now.
    this.folders.addEventListener("change", () => this.renderList());
    setUpBatchForm(this.folders, { onCreated: (batchId) => this.created(batchId) });
    byId("batch-list-refresh").addEventListener("click", () => this.loadList());
    byId("batch-list-more").addEventListener("click", () => this.loadList({ more: true }));
    for (const button of document.querySelectorAll("[data-batch-action]")) {
      button.addEventListener("click", () => this.act(button.dataset.batchAction, button));
    }
  }

  /** Folders and batches are read when first needed: the Batches view opens, or a batch job shows up. */
  ensureStarted() {
    if (this.started) return;
    this.started = true;
    reloadFolders(this.folders);
    this.loadList();
  }

  /** Route: #batches (the list) or #batches/<batch_id> (and the batch below it). */
  show(batchId) {
    this.ensureStarted();
    this.current = batchId || null;
    byId("batch-detail").hidden = !this.current;
    byId("batches-overview").hidden = Boolean(this.current);
    byId("batches-lede").hidden = Boolean(this.current);
    if (this.current) {
      if (!this.batch || this.batch.batch_id !== this.current) {
        byId("batch-detail-heading").textContent = this.names.names.get(this.current) || "Batch";
        clear(byId("batch-detail-body")).append(h("p", { class: "loading" }, "Loading the batch…"));
        byId("batch-action-status").textContent = "";
      }
      this.loadBatch();
    }
    this.markCurrentRow();
  }

  created(batchId) {
    this.loadList();
    this.navigate(`batches/${encodeURIComponent(batchId)}`);
  }

  // --- live updates -------------------------------------------------------------------------------------------

  jobsChanged(jobs) {
    for (const job of jobs) {
      if (!BATCH_JOB_TYPES.has(job.job_type)) continue;
      this.ensureStarted(); // the monitor names batch jobs by their batch
      const seen = `${job.status}:${(job.progress || {}).seq}`;
      if (this.seen.get(job.job_id) === seen) continue;
      this.seen.set(job.job_id, seen);
      this.dirty.list = true;
      const batchId = (job.request || {}).batch_id;
      if (batchId && batchId === this.current) {
        this.dirty.detail = true;
        if (ACTIVE.has(job.status)) this.renderProgress(job);
      }
    }
    if (this.dirty.list || this.dirty.detail) this.schedule();
  }

  schedule() {
    if (this.timer || this.loading) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  async flush() {
    this.timer = null;
    const { list, detail } = this.dirty;
    this.dirty = { list: false, detail: false };
    this.lastRefresh = Date.now();
    this.loading = Promise.all([list ? this.loadList() : null, detail ? this.loadBatch() : null]);
    await this.loading;
    this.loading = null;
    if (this.dirty.list || this.dirty.detail) this.schedule();
  }

  // --- list ---------------------------------------------------------------------------------------------------

  async loadList({ more = false } = {}) {
    const query = new URLSearchParams({ limit: String(LIST_SIZE) });
    if (more && this.continuation) query.set("continuation", this.continuation);
    try {
      const page = await api(`batches?${query}`);
      this.batches = more ? [...this.batches, ...page.batches] : page.batches;
      this.continuation = page.continuation || null;
      hideError(byId("batch-list-error"));
    } catch (error) {
      showError(byId("batch-list-error"), error, "Could not load the batches.");
      return;
    }
    this.names.learn(this.batches);
    this.renderList();
  }

  renderList() {
    const body = clear(byId("batch-list-body"));
    for (const batch of this.batches) {
      const href = `#batches/${encodeURIComponent(batch.batch_id)}`;
      const docs = batch.documents || {};
      body.append(
        h(
          "tr",
          { dataset: { batchId: batch.batch_id, status: batch.status } },
          h("th", { scope: "row" }, h("a", { href }, batch.name)),
          h("td", {}, statusPill(h("span"), batch.status)),
          h("td", {}, (batch.folders || []).join(", ")),
          h("td", { class: "num" }, this.documentCount(batch)),
          h("td", { class: "num" }, percent(batch.mean_score)),
          h("td", {}, formatDateTime(batch.updated_at)),
        ),
      );
    }
    byId("batch-table").hidden = this.batches.length === 0;
    byId("batch-list-empty").hidden = this.batches.length > 0;
    byId("batch-list-more").hidden = !this.continuation;
    this.markCurrentRow();
  }

  /** Staged documents (and those that could not be); before staging, what the batch's folders hold now. */
  documentCount(batch) {
    const docs = batch.documents || {};
    if (docs.staged || docs.failed) {
      return docs.failed ? `${formatNumber(docs.staged)} (${formatNumber(docs.failed)} not staged)` : formatNumber(docs.staged);
    }
    if (batch.status !== "SAVED" && batch.status !== "STAGING") return formatNumber(0);
    const counts = new Map(this.folders.folders.map((f) => [f.folder, f.document_count]));
    const held = (batch.folders || []).reduce((sum, folder) => sum + (counts.get(folder) || 0), 0);
    return h("span", { title: "In the batch's folders now; staging reads them" }, `${formatNumber(held)} in folders`);
  }

  markCurrentRow() {
    for (const row of byId("batch-list-body").querySelectorAll("tr")) {
      const link = row.querySelector("a");
      if (row.dataset.batchId === this.current) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }

  // --- one batch ----------------------------------------------------------------------------------------------

  async loadBatch() {
    const batchId = this.current;
    if (!batchId) return;
    const path = `batches/${encodeURIComponent(batchId)}`;
    let batch;
    let records = [];
    let complete = true;
    try {
      batch = await api(path);
      if (batch.snapshot) {
        const page = await api(`${path}/responses?limit=${RECORDS_PAGE}`);
        records = page.responses;
        complete = !page.continuation;
      }
    } catch (error) {
      if (batchId !== this.current) return;
      clear(byId("batch-detail-body"));
      showError(byId("batch-detail-error"), error, "Could not load the batch.");
      return;
    }
    if (batchId !== this.current) return; // another batch was opened meanwhile
    hideError(byId("batch-detail-error"));
    this.batch = batch;
    this.records = records;
    this.recordsComplete = complete;
    this.names.learn([batch]);
    this.renderBatch();
  }

  renderBatch() {
    const batch = this.batch;
    byId("batch-detail-heading").textContent = batch.name;
    statusPill(byId("batch-detail-status"), batch.status);
    const config = batch.snapshot || batch.config;
    byId("batch-detail-meta").textContent = [
      `Folders: ${config.folders.join(", ")}`,
      `${config.prompts.length} ${config.prompts.length === 1 ? "prompt" : "prompts"}`,
      `Model: ${config.model.modelSelection}`,
      `Created ${formatDateTime(batch.created_at)}`,
    ].join(" · ");
    const progress = batch.progress;
    if (progress && ACTIVE.has(progress.status)) this.renderProgress({ ...progress, progress });
    else byId("batch-progress").hidden = true;

    const actions = new Set(batch.actions || []);
    const counts = batch.counts || {};
    // A finished batch runs again only what failed (or was never reached): nothing to run, no button.
    if (FINISHED.has(batch.status) && !(counts.F || counts.QUEUED)) actions.delete("run");
    // What the last action said is stale once the batch has moved on.
    const at = this.statusAt;
    if (at && (at.batchId !== batch.batch_id || (at.status !== batch.status && !ACTIVE.has((batch.progress || {}).status)))) {
      byId("batch-action-status").textContent = "";
      this.statusAt = null;
    }
    const focused = document.activeElement;
    for (const button of document.querySelectorAll("[data-batch-action]")) {
      const action = button.dataset.batchAction;
      // Reprocess staging mends a staging (documents that failed, or added since); once the batch has run, its
      // records are answered and "Re-run failed records" is what a user wants.
      const staged = batch.status === "STAGED" || batch.status === "FAILED_STAGING";
      button.hidden = !actions.has(action) || (action === "reprocess" && !staged);
      if (action === "run") button.textContent = FINISHED.has(batch.status) ? "Re-run failed records" : "Run";
    }
    // A button that hid itself (Stage, once staging runs) must not drop the keyboard focus to the page.
    if (focused && focused.dataset && focused.dataset.batchAction && focused.hidden) {
      const next = document.querySelector("[data-batch-action]:not([hidden])");
      (next || byId("batch-detail-heading")).focus();
    }
    const csv = byId("batch-export-csv");
    const jsonl = byId("batch-export-jsonl");
    csv.href = apiUrl(`batches/${encodeURIComponent(batch.batch_id)}/export.csv`);
    jsonl.href = apiUrl(`batches/${encodeURIComponent(batch.batch_id)}/export.jsonl`);
    csv.hidden = jsonl.hidden = !batch.snapshot;
    renderBatchBody(byId("batch-detail-body"), batch, this.records, this.recordsComplete);
  }

  renderProgress(job) {
    const progress = job.progress || {};
    const value = Math.max(0, Math.min(100, Math.round(Number(progress.percentage) || 0)));
    const kind = job.job_type === "batch_staging" ? "Staging" : "Running";
    const message = progress.message || (job.status === "queued" ? "Queued" : kind);
    byId("batch-progress").hidden = false;
    const bar = byId("batch-progress-bar");
    bar.setAttribute("aria-valuenow", String(value));
    bar.setAttribute("aria-valuetext", `${value} %, ${message}`);
    byId("batch-progress-fill").style.width = `${value}%`;
    byId("batch-progress-label").textContent = `${kind}: ${message}`;
    byId("batch-progress-percent").textContent = `${value} %`;
  }

  // --- actions ------------------------------------------------------------------------------------------------

  async act(action, button) {
    const batch = this.batch;
    if (!batch) return;
    const error = byId("batch-detail-error");
    const status = byId("batch-action-status");
    const path = `batches/${encodeURIComponent(batch.batch_id)}`;
    hideError(error);
    button.disabled = true;
    this.statusAt = null;
    let settled = batch.status;
    try {
      if (action === "stage") {
        this.follow(await api(`${path}/stage`, { method: "POST" }));
        status.textContent = "Staging started.";
      } else if (action === "run") {
        this.follow(await api(`${path}/run`, { method: "POST" }));
        status.textContent = "Run started.";
      } else if (action === "cancel") {
        const cancelled = await api(`${path}/cancel`, { method: "POST" });
        this.monitor.fetchJob(cancelled.job_id);
        status.textContent = "Cancelled. Records already answered are kept.";
      } else if (action === "reprocess") {
        status.textContent = "Reprocessing the staging…";
        const answer = await api(`${path}/reprocess-staging`, { method: "POST" });
        if (typeof answer.success === "boolean") {
          settled = answer.status; // finished already: the message holds until the batch moves on from here
          const failed = (answer.failed || []).length;
          status.textContent = `${answer.message}${failed ? ` (${failed} not staged: see the staging report)` : ""}.`;
        } else {
          this.follow(answer);
          status.textContent = "Reprocessing continues in the background.";
        }
      }
    } catch (failure) {
      status.textContent = "";
      showError(error, failure, `${button.textContent.trim()} failed.`);
    } finally {
      button.disabled = false;
    }
    this.statusAt = { batchId: batch.batch_id, status: settled };
    await this.refreshNow();
  }

  follow(accepted) {
    this.monitor.submitted(accepted);
  }

  async refreshNow() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.loading) await this.loading;
    this.dirty = { list: true, detail: true };
    await this.flush();
  }
}
