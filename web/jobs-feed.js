// Where the job monitor's updates come from: the user's Server-Sent-Events stream first, polling as a fallback.
//
// Stream: GET /api/jobs/stream sends `jobs_update` events ({jobs, counts}), `heartbeat`s and `error` events (the
// API's error shape). The server closes it every few minutes (Azure's HTTP limit); EventSource reconnects by itself
// and resumes with Last-Event-ID.
//
// Fallback: when the stream cannot be opened (an answer that is not an event stream, e.g. a 404 from a server
// without it, or a proxy that buffers), poll GET /api/jobs every 2 s for active and recently ended jobs, and try
// the stream again now and then: the first time it opens, polling stops.

import { api, apiUrl } from "./api.js";

const POLL_INTERVAL_MS = 2000;
const RECENT_LIMIT = 20;
const ACTIVE_LIMIT = 100;
// How long a dropped stream may take to reconnect before polling covers the gap.
const RECONNECT_GRACE_MS = 5000;
// How often a refused stream is tried again while polling.
const STREAM_RETRY_MS = 30000;

export const FeedState = Object.freeze({
  CONNECTING: "connecting",
  LIVE: "live",
  POLLING: "polling",
  ERROR: "error",
});

export class JobFeed {
  /**
   * onJobs(jobs, counts): a batch of job documents (merge them by job_id); onState(state); onError(error | null).
   */
  constructor({ onJobs, onState, onError, streamPath = "jobs/stream" }) {
    this.onJobs = onJobs;
    this.onState = onState;
    this.onError = onError;
    this.streamPath = streamPath;
    this.source = null;
    this.pollTimer = null;
    this.polling = false;
    this.graceTimer = null;
    this.retryTimer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.setState(FeedState.CONNECTING);
    // The stream sends what changes from now on; one read fills the monitor with recent history at once.
    this.refresh();
    this.openStream();
  }

  stop() {
    this.stopped = true;
    this.closeStream();
    this.stopPolling();
    clearTimeout(this.retryTimer);
  }

  /** One read of active and recently ended jobs (also used after the user acts on a job). */
  async refresh() {
    try {
      const [active, recent] = await Promise.all([
        api(`jobs?status=queued,processing&limit=${ACTIVE_LIMIT}`),
        api(`jobs?limit=${RECENT_LIMIT}`),
      ]);
      const jobs = new Map();
      for (const job of [...recent.jobs, ...active.jobs]) jobs.set(job.job_id, job);
      this.onJobs([...jobs.values()], active.counts);
      this.onError(null);
      if (this.state === FeedState.ERROR) this.setState(this.polling ? FeedState.POLLING : FeedState.LIVE);
      return true;
    } catch (error) {
      this.onError(error);
      if (this.polling) this.setState(FeedState.ERROR);
      return false;
    }
  }

  // --- stream ---------------------------------------------------------------------------------------------------

  openStream() {
    if (this.stopped || this.source) return;
    const source = new EventSource(apiUrl(this.streamPath));
    this.source = source;
    source.addEventListener("open", () => {
      clearTimeout(this.graceTimer);
      clearTimeout(this.retryTimer);
      const wasPolling = this.polling;
      this.stopPolling();
      this.setState(FeedState.LIVE);
      this.onError(null);
      // Whatever changed while the stream was down (or before it first opened) is read once.
      if (wasPolling) this.refresh();
    });
    source.addEventListener("jobs_update", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        this.onError(new Error("The job stream sent an update that could not be read."));
        return;
      }
      this.onJobs(Array.isArray(data.jobs) ? data.jobs : [], data.counts || null);
      this.onError(null);
    });
    // The server's own `error` event and a failed connection share the name "error"; only the former has data.
    source.addEventListener("error", (event) => {
      if (typeof event.data === "string" && event.data) {
        this.onError(streamError(event.data));
        return;
      }
      this.connectionLost(source);
    });
  }

  connectionLost(source) {
    if (this.stopped || source !== this.source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused for good (not an event stream): poll, and try the stream again later.
      this.closeStream();
      this.startPolling();
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.openStream(), STREAM_RETRY_MS);
      return;
    }
    // CONNECTING: the browser reconnects by itself (with Last-Event-ID). Poll only if that takes a while.
    if (!this.polling) {
      this.setState(FeedState.CONNECTING);
      clearTimeout(this.graceTimer);
      this.graceTimer = setTimeout(() => {
        if (this.source && this.source.readyState !== EventSource.OPEN) this.startPolling();
      }, RECONNECT_GRACE_MS);
    }
  }

  closeStream() {
    clearTimeout(this.graceTimer);
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }

  // --- polling --------------------------------------------------------------------------------------------------

  startPolling() {
    if (this.stopped || this.polling) return;
    this.polling = true;
    this.setState(FeedState.POLLING);
    const tick = async () => {
      if (!this.polling) return;
      await this.refresh();
      if (this.polling) this.pollTimer = setTimeout(tick, POLL_INTERVAL_MS);
    };
    tick();
  }

  stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }
}

function streamError(data) {
  try {
    const body = JSON.parse(data);
    if (body && body.error && body.error.message) return new Error(`Job stream: ${body.error.message}`);
  } catch {
    // fall through
  }
  return new Error("The job stream reported an error.");
}
