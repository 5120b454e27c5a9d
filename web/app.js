// Contract Jobs web page: wiring and the view router (#contracts, #analyze, #batches[/<batch_id>],
// #result/<result_id>, #contract/<contract_id>[?clause=&quote=], and #ops for callers with the app role `ops`).

import { setUpAnalyzeView } from "./analyze.js";
import { BatchNames, BatchesView } from "./batches.js";
import { ContractView } from "./contract-view.js";
import { Library, setUpContractsView } from "./contracts.js";
import { byId } from "./dom.js";
import { JobFeed } from "./jobs-feed.js";
import { Monitor } from "./monitor.js";
import { OpsView } from "./ops.js";
import { showResult } from "./results.js";

const VIEWS = ["contracts", "analyze", "batches", "result", "contract"];
const OPS_VIEW = "ops"; // a view only once GET /api/me says the caller has the role

const library = new Library();
const batchNames = new BatchNames();
const monitor = new Monitor(library, {
  openResult: (resultId) => navigate(`result/${resultId}`),
  openBatch: (batchId) => navigate(`batches/${encodeURIComponent(batchId)}`),
  batchNames,
});
const batches = new BatchesView({ names: batchNames, monitor, navigate });
const ops = new OpsView();
const contractView = new ContractView(library);

function navigate(hash) {
  if (location.hash === `#${hash}`) route(true);
  else location.hash = hash;
}

function views() {
  return ops.allowed ? [...VIEWS, OPS_VIEW] : VIEWS;
}

function route(userAction = false) {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const [name, ...rest] = path.split("/");
  // Other fragments (the skip link's #main) are in-page links, not views: the current view stays.
  if (userAction && !views().includes(name)) return;
  const view = views().includes(name) ? name : "contracts";
  const resultId = view === "result" ? decodeURIComponent(rest.join("/")) : "";
  const batchId = view === "batches" ? decodeURIComponent(rest.join("/")) : "";
  const contractId = view === "contract" ? decodeURIComponent(rest.join("/")) : "";
  for (const section of document.querySelectorAll("[data-view]")) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll("[data-view-link]")) {
    if (link.dataset.viewLink === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const resultLink = document.querySelector("[data-view-link=result]");
  if (view === "result") {
    resultLink.hidden = false;
    resultLink.href = location.hash;
    showResult(resultId, library);
  }
  if (view === "batches") batches.show(batchId);
  const contractLink = document.querySelector("[data-view-link=contract]");
  if (view === "contract") {
    contractLink.hidden = false;
    contractLink.href = location.hash;
    const params = new URLSearchParams(query);
    contractView.show(contractId, { clause: params.get("clause") || "", quote: params.get("quote") || "" });
  }
  if (view === OPS_VIEW) ops.show();
  else ops.hide();
  // Moving focus to the new view's heading tells screen-reader users the page changed; not on the first load.
  if (userAction) {
    const heading = byId(batchId ? "batch-detail-heading" : `${view}-heading`);
    heading.focus({ preventScroll: true });
    // The contract viewer scrolls to the clause it was asked for itself.
    if (!(view === "contract" && query)) window.scrollTo({ top: 0 });
  }
}

function confirmDialog(text) {
  const dialog = byId("confirm-dialog");
  byId("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
  });
}

const reloadLibrary = setUpContractsView(library, { confirm: confirmDialog });
setUpAnalyzeView(library, { onSubmitted: (accepted) => monitor.submitted(accepted) });

const feed = new JobFeed({
  onJobs: (jobs) => {
    monitor.merge(jobs);
    batches.jobsChanged(jobs);
  },
  onState: (state) => monitor.setFeedState(state),
  onError: (error) => monitor.setFeedError(error),
});
monitor.feed = feed;

window.addEventListener("hashchange", () => route(true));
route(false);
reloadLibrary();
feed.start();
// An operator who opened the page at #ops gets that view once the role is known.
ops.learnRole().then((allowed) => {
  if (allowed && location.hash.replace(/^#/, "") === OPS_VIEW) route(false);
});
